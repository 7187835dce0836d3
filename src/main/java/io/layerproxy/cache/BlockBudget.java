package io.layerproxy.cache;

import io.layerproxy.OriginException;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The one memory budget for block bytes: a bounded pool of direct buffers of one block each. Every block the JVM
 * holds on the read and fill paths (a client's block, the read-ahead block, blocks waiting for the store, hits on
 * their way to the socket) is one of these, so memory does not grow with object size, client count or a slow disk.
 * When all are in use, a taker waits (bounded) and then fails with a clear timeout; it never allocates past it.
 *
 * <p>Direct, not heap: a 1 MiB {@code byte[]} is a G1 humongous object, and many of them fragment a small heap long
 * before it is full. Buffers are allocated on first use and kept for reuse (Jetty's pool allocates past its bound;
 * this one waits instead, which is the point).
 */
final class BlockBudget {
    private final int blockSize;
    private final int blocks;
    private final Semaphore free;
    private final ConcurrentLinkedQueue<ByteBuffer> pooled = new ConcurrentLinkedQueue<>();
    private final AtomicLong waits = new AtomicLong();
    private final AtomicLong exhausted = new AtomicLong();

    BlockBudget(long bytes, int blockSize) {
        this.blockSize = blockSize;
        this.blocks = (int) Math.max(MIN_BLOCKS, Math.min(Integer.MAX_VALUE, bytes / blockSize));
        this.free = new Semaphore(blocks, true);
    }

    /** Fewer than this and a leader, its read-ahead and one store could not all hold a block. */
    static final int MIN_BLOCKS = 4;

    /** A block now if one is free, else null. */
    Block tryTake() {
        return free.tryAcquire() ? wrap() : null;
    }

    /**
     * A block, waiting up to {@code timeout} for one to be given back.
     *
     * @throws OriginException of kind {@code BUSY} when none came back in time (a 503 for the client)
     */
    Block take(long timeout, TimeUnit unit, Object forWhat) {
        // the untimed tryAcquire barges past the fair queue: there is almost always a permit, and the fair, timed
        // path costs a lock handoff per block
        if (free.tryAcquire()) {
            return wrap();
        }
        waits.incrementAndGet();
        try {
            if (free.tryAcquire(timeout, unit)) {
                return wrap();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OriginException(OriginException.Kind.UNAVAILABLE, "interrupted waiting for block memory", e);
        }
        exhausted.incrementAndGet();
        throw new OriginException(
                OriginException.Kind.BUSY,
                "no block memory free for " + forWhat + " in " + unit.toSeconds(timeout) + " s: the memory budget ("
                        + bytes() + " bytes) is in use by other reads");
    }

    private Block wrap() {
        ByteBuffer buffer = pooled.poll();
        if (buffer == null) {
            try {
                buffer = ByteBuffer.allocateDirect(blockSize);
            } catch (OutOfMemoryError e) {
                free.release();
                throw new OriginException(
                        OriginException.Kind.UNAVAILABLE,
                        "direct memory for a block could not be" + " allocated (" + e.getMessage()
                                + "); lower buffer-memory or raise -XX:MaxDirectMemorySize",
                        e);
            }
        }
        return new Block(this, buffer);
    }

    /** A block's permit back, its buffer not (see {@link Block#discard}). */
    void giveBackWithout() {
        free.release();
    }

    void giveBack(ByteBuffer buffer) {
        pooled.offer(buffer);
        free.release();
    }

    int blockSize() {
        return blockSize;
    }

    /** The budget in bytes. */
    long bytes() {
        return (long) blocks * blockSize;
    }

    /** Bytes of blocks held right now. */
    /**
     * More than half the budget is taken: writers then copy blocks out in small pieces and give them back between
     * writes, so clients that do not read cannot hold the memory other reads need.
     */
    boolean underPressure() {
        return inUse() * 2 > bytes();
    }

    long inUse() {
        return (long) (blocks - free.availablePermits()) * blockSize;
    }

    /** Takes that had to wait for a block. */
    long waits() {
        return waits.get();
    }

    /** Takes that gave up: the budget stayed spent for the whole wait. */
    long exhausted() {
        return exhausted.get();
    }
}

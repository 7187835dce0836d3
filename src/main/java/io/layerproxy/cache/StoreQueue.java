package io.layerproxy.cache;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes blocks into the layers off the clients' path, on one thread, in the order they were queued. Drops are
 * queued like writes and never refused, so a drop of a version always runs after the writes of that version queued
 * before it. A version can also be condemned: writes from fills that started before the condemnation are skipped
 * wherever they are queued, so no block of a version that failed its check is stored afterwards.
 *
 * <p>Bounded in bytes (within the {@link BlockBudget}: the queued blocks are budget blocks): a write that finds the
 * queue full waits briefly, then is skipped, and so are the next ones until the queue is half empty again — a disk
 * slower than the origin costs cache fills, never requests.
 */
final class StoreQueue implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StoreQueue.class);
    private static final int MAX_CONDEMNED = 10_000;

    private final LinkedBlockingQueue<Runnable> tasks = new LinkedBlockingQueue<>();
    private final long maxQueuedBytes;
    private final long offerWaitMillis;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition drained = lock.newCondition();
    private long queuedBytes;
    /** Set when a write waited in vain: until the queue is half empty again, writes that do not fit skip at once. */
    private boolean shedding;

    private final AtomicLong epoch = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();
    private final Map<String, Long> condemned = new LinkedHashMap<>(16, 0.75f, false) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
            return size() > MAX_CONDEMNED;
        }
    };
    private final Thread thread;
    private volatile boolean closed;
    /** Set when close gave up waiting: what is still queued only releases its blocks. */
    private volatile boolean abandoned;

    StoreQueue(long maxQueuedBytes, long offerWaitMillis) {
        this.maxQueuedBytes = maxQueuedBytes;
        this.offerWaitMillis = offerWaitMillis;
        this.thread = new Thread(this::run, "layerproxy-store");
        thread.setDaemon(true);
        thread.start();
    }

    /** The current epoch: a fill notes it when it starts, and its writes are skipped if its version is condemned later. */
    long mark() {
        return epoch.get();
    }

    /** Writes from fills of {@code version} that started before now are skipped from here on, queued or not. */
    void condemn(String version) {
        long at = epoch.incrementAndGet();
        synchronized (condemned) {
            condemned.put(version, at);
        }
    }

    private boolean isCondemned(String version, long mark) {
        synchronized (condemned) {
            Long at = condemned.get(version);
            return at != null && at > mark;
        }
    }

    /**
     * Queues {@code write} of {@code block} (retained until it ran, then released); false when the queue stayed full
     * or is closed: the write was skipped and the block not retained.
     */
    boolean write(Block block, String version, long mark, Runnable write) {
        int bytes = block.length();
        lock.lock();
        try {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(offerWaitMillis);
            while (queuedBytes > 0 && queuedBytes + bytes > maxQueuedBytes && !closed) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || shedding) {
                    shedding = true;
                    skipped.incrementAndGet();
                    return false;
                }
                drained.awaitNanos(left);
            }
            if (closed) {
                return false;
            }
            queuedBytes += bytes;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            lock.unlock();
        }
        block.retain();
        tasks.add(() -> {
            try {
                if (!abandoned && !isCondemned(version, mark)) {
                    write.run();
                }
            } finally {
                block.release();
                lock.lock();
                try {
                    queuedBytes -= bytes;
                    if (queuedBytes <= maxQueuedBytes / 2) {
                        shedding = false;
                    }
                    drained.signalAll();
                } finally {
                    lock.unlock();
                }
            }
        });
        return true;
    }

    /** Queues a task that writes no block (a drop, a barrier); never refused, run inline once closed. */
    void run(Runnable task) {
        if (closed) {
            task.run();
        } else {
            tasks.add(task);
        }
    }

    /** Bytes of blocks queued now. */
    long queuedBytes() {
        lock.lock();
        try {
            return queuedBytes;
        } finally {
            lock.unlock();
        }
    }

    /** Writes skipped because the queue stayed full. */
    long skipped() {
        return skipped.get();
    }

    private void run() {
        while (true) {
            Runnable task;
            try {
                task = tasks.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (task == null) {
                if (closed) {
                    return;
                }
                continue;
            }
            try {
                task.run();
            } catch (RuntimeException | InternalError e) {
                // InternalError: a fault in a memory-mapped disk store (a full disk), which the JVM may raise after
                // the layer's own handler returned; the thread must live on, or nothing is stored again
                LOG.warn("a store task failed: {}", e.toString());
            }
        }
    }

    /** Runs what is queued (up to {@code seconds}), then stops the thread. */
    void close(long seconds) {
        closed = true;
        lock.lock();
        try {
            drained.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            thread.join(TimeUnit.SECONDS.toMillis(seconds));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            LOG.warn("blocks still being stored after {} s; closing the layers anyway", seconds);
            abandoned = true;
            thread.interrupt();
        }
        Runnable left;
        while ((left = tasks.poll()) != null) {
            left.run(); // after a clean drain nothing is left; after a timeout these only release their blocks
        }
    }

    @Override
    public void close() {
        close(30);
    }
}

package io.layerproxy.cache;

import io.layerproxy.OriginException;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongToIntFunction;

/**
 * Reads an origin body block by block on a background thread, one block ahead of the reader that consumes them,
 * so the next block is arriving while the current one is written to the client. Each block is taken from the
 * {@link BlockBudget} before a byte is read into it, so the read-ahead is inside the budget; it holds at most two
 * (the one ready, the one being read). Closing it aborts the origin body, which ends the background read.
 */
final class ReadAhead implements AutoCloseable {
    /** How long the read-ahead waits for block memory before it fails the fill. */
    private static final long BUDGET_WAIT_SECONDS = 30;

    private final InputStream body;
    private final BlockingQueue<Object> ready = new ArrayBlockingQueue<>(1);
    private volatile boolean closed;
    /** Hex MD5 of every byte read, set before the last block is handed over; null when not asked for. */
    private volatile String md5Hex;

    /**
     * Starts reading blocks {@code first..last} of {@code body}, each {@code lengthOf(index)} bytes long, hashing
     * them with {@code md5} when it is not null (on the reading thread, so the hash costs the client nothing).
     */
    ReadAhead(
            InputStream body,
            long first,
            long last,
            LongToIntFunction lengthOf,
            Duration blockDeadline,
            BlockBudget budget,
            ExecutorService threads,
            MessageDigest md5,
            Object what) {
        this.body = body;
        threads.execute(() -> {
            ReadableByteChannel channel = Channels.newChannel(body);
            for (long index = first; index <= last && !closed; index++) {
                int expected = lengthOf.applyAsInt(index);
                Object item;
                Block block = null;
                try {
                    block = budget.take(BUDGET_WAIT_SECONDS, TimeUnit.SECONDS, what);
                    ByteBuffer into = block.fillBuffer().limit(expected);
                    // the socket timeout catches silence; this catches an origin trickling a few bytes at a time
                    long deadline = System.nanoTime() + blockDeadline.toNanos();
                    while (into.hasRemaining() && channel.read(into) >= 0) {
                        // straight into the block's buffer, through the channel's small transfer array
                        if (into.hasRemaining() && System.nanoTime() - deadline > 0) {
                            throw new SocketTimeoutException("origin sent block " + index + " of " + what
                                    + " too slowly: " + into.position() + " of " + expected + " bytes in "
                                    + blockDeadline.toSeconds() + " s");
                        }
                    }
                    int n = into.position();
                    block.filled(n);
                    if (md5 != null) {
                        md5.update(block.bytes());
                        if (index == last) {
                            md5Hex = HexFormat.of().formatHex(md5.digest());
                        }
                    }
                    item = block;
                } catch (IOException | OriginException e) {
                    item = e;
                } catch (RuntimeException e) {
                    // the SDK's streams also fail unchecked (aborted, reset): the reader must hear of it, not wait
                    item = new IOException(e.getMessage(), e);
                }
                if (item != block && block != null) {
                    block.release();
                }
                if (!hand(item)) {
                    if (item instanceof Block b) {
                        b.release();
                    }
                    return;
                }
                if (!(item instanceof Block b) || b.length() < expected) {
                    return; // failed or short: the consumer sees it and stops
                }
            }
        });
    }

    /**
     * The next block (possibly short, if the body ended early), waiting at most {@code seconds} for it; the caller
     * owns the returned block's reference.
     *
     * @throws IOException the origin body failed; a timeout when nothing arrived in time
     */
    Block next(long seconds) throws IOException {
        Object item;
        try {
            item = ready.poll(seconds, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted waiting for the origin", e);
        }
        if (item == null) {
            throw new java.net.SocketTimeoutException("no origin bytes in " + seconds + " s");
        }
        if (item instanceof IOException e) {
            throw e;
        }
        if (item instanceof OriginException e) {
            throw e;
        }
        return (Block) item;
    }

    /** The MD5 of the whole span, once its last block was handed over. */
    String md5Hex() {
        return md5Hex;
    }

    private boolean hand(Object item) {
        try {
            while (!closed) {
                if (ready.offer(item, 100, TimeUnit.MILLISECONDS)) {
                    if (closed) {
                        drain(); // close() may have cleared the queue just before this offer
                    }
                    return true;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return false;
    }

    private void drain() {
        Object left;
        while ((left = ready.poll()) != null) {
            if (left instanceof Block b) {
                b.release();
            }
        }
    }

    /** Stops the background read, gives back a block nobody took and aborts the origin body. */
    @Override
    public void close() throws IOException {
        closed = true;
        drain();
        body.close();
    }
}

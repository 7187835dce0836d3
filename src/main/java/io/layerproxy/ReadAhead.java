package io.layerproxy;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongToIntFunction;

/**
 * Reads an origin body block by block on a background thread, one block ahead of the reader that consumes them,
 * so the next block is arriving while the current one is written to the client. Holds at most two blocks (the one
 * ready, the one being read). Closing it aborts the origin body, which ends the background read.
 */
final class ReadAhead implements AutoCloseable {
    private final InputStream body;
    private final BlockingQueue<Object> ready = new ArrayBlockingQueue<>(1);
    private volatile boolean closed;
    /** Hex MD5 of every byte read, set before the last block is handed over; null when not asked for. */
    private volatile String md5Hex;

    /**
     * Starts reading blocks {@code first..last} of {@code body}, each {@code lengthOf(index)} bytes long, hashing
     * them with {@code md5} when it is not null (on the reading thread, so the hash costs the client nothing).
     */
    ReadAhead(InputStream body, long first, long last, LongToIntFunction lengthOf, ExecutorService threads,
              MessageDigest md5) {
        this.body = body;
        threads.execute(() -> {
            for (long index = first; index <= last && !closed; index++) {
                int expected = lengthOf.applyAsInt(index);
                Object item;
                try {
                    // straight into the block: readNBytes(int) would read 8-16 KiB chunks and copy them again
                    byte[] block = new byte[expected];
                    int n = body.readNBytes(block, 0, expected);
                    item = n == expected ? block : java.util.Arrays.copyOf(block, n);
                    if (md5 != null) {
                        md5.update(block, 0, n);
                        if (index == last) {
                            md5Hex = HexFormat.of().formatHex(md5.digest());
                        }
                    }
                } catch (IOException e) {
                    item = e;
                } catch (RuntimeException e) {
                    // the SDK's streams also fail unchecked (aborted, reset): the reader must hear of it, not wait
                    item = new IOException(e.getMessage(), e);
                }
                if (!hand(item) || item instanceof IOException || ((byte[]) item).length < expected) {
                    return; // closed, failed or short: the consumer sees it and stops
                }
            }
        });
    }

    /**
     * The next block (possibly short, if the body ended early), waiting at most {@code seconds} for it.
     *
     * @throws IOException the origin body failed; a timeout when nothing arrived in time
     */
    byte[] next(long seconds) throws IOException {
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
        return (byte[]) item;
    }

    /** The MD5 of the whole span, once its last block was handed over. */
    String md5Hex() {
        return md5Hex;
    }

    private boolean hand(Object item) {
        try {
            while (!closed) {
                if (ready.offer(item, 100, TimeUnit.MILLISECONDS)) {
                    return true;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return false;
    }

    /** Stops the background read and aborts the origin body if it was not read to the end. */
    @Override
    public void close() throws IOException {
        closed = true;
        ready.clear();
        body.close();
    }
}

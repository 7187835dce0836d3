package io.layerproxy.servlet;

import io.layerproxy.ObjectBody;
import io.layerproxy.ObjectKey;
import io.layerproxy.http.BufferSink;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes an object's body with non-blocking servlet output: a client that reads slowly (or not at all) holds no
 * request thread while its socket is full, so 300 slow readers of a cached object leave every thread to the hits.
 * The next block is taken only once the container took the last one ({@link ServletOutputStream#isReady()}), so a
 * pooled block goes back to the budget only after its bytes left. Used where the container allows async requests
 * (the standalone server; a webapp whose filter mapping says {@code <async-supported>true}).
 */
final class AsyncBodyWriter implements WriteListener {
    private static final Logger LOG = LoggerFactory.getLogger(AsyncBodyWriter.class);
    /**
     * Bodies up to this size are written by the request thread: they fit the smallest socket send buffer, so a slow
     * client cannot hold the thread, and going async would only cost them time.
     */
    static final long SMALL_BODY = 16 << 10;
    /** Small enough for the container to copy into its own output buffer. */
    private static final int COPY_PIECE = 8 << 10;

    private final AsyncContext async;
    private final ServletOutputStream out;
    private final BufferSink sink;
    private final ObjectBody body;
    private final ObjectKey key;
    private final Runnable done;
    private final AtomicBoolean finished = new AtomicBoolean();
    /** Where block bytes go, a piece at a time, while block memory is tight (then no block waits on the client). */
    private byte[] copy;

    private ByteBuffer piece;
    private boolean copying;

    private AsyncBodyWriter(
            AsyncContext async, ServletOutputStream out, ObjectBody body, ObjectKey key, Runnable done) {
        this.async = async;
        this.out = out;
        this.sink = BufferSink.of(out);
        this.body = body;
        this.key = key;
        this.done = done;
    }

    /**
     * Takes {@code body} over and writes it asynchronously, then closes it and ends the request
     * ({@link RequestEnd}); false (nothing taken) when this request cannot go async, and the caller writes as before.
     */
    static boolean start(HttpServletRequest req, HttpServletResponse resp, ObjectBody body, ObjectKey key)
            throws IOException {
        if (!req.isAsyncSupported() || req.isAsyncStarted()) {
            return false;
        }
        ServletOutputStream out = resp.getOutputStream();
        AsyncContext async = req.startAsync(req, resp);
        async.setTimeout(0); // the connection's idle timeout cuts a client that stops reading
        out.setWriteListener(new AsyncBodyWriter(async, out, body, key, RequestEnd.fork(req)));
        return true;
    }

    @Override
    public void onWritePossible() {
        try {
            while (out.isReady()) {
                // the container is done with what it was given: the last block may go back, the next be read
                if (piece == null || !piece.hasRemaining()) {
                    piece = body.next();
                    if (piece == null) {
                        finish(null);
                        return;
                    }
                    copying = body.memoryTight();
                }
                if (copying) {
                    if (copy == null) {
                        copy = new byte[COPY_PIECE];
                    }
                    int n = Math.min(piece.remaining(), copy.length);
                    piece.get(copy, 0, n);
                    out.write(copy, 0, n);
                } else {
                    sink.write(piece); // the pooled block itself, until the container is done with it
                    piece = null;
                }
            }
            if (copying && piece != null && piece.hasRemaining() && body.pause()) {
                piece = null; // the client is slow and memory tight: the block goes back, its rest is read again
            }
        } catch (IOException e) {
            body.clientGone();
            finish(e);
        } catch (RuntimeException e) {
            // an origin failure part-way: the headers promised a length that cannot come
            LOG.warn("aborting response for {}: {}", key, e.getMessage());
            finish(e);
        }
    }

    @Override
    public void onError(Throwable failure) {
        body.clientGone();
        finish(failure);
    }

    /**
     * Closes the body and completes the request. After a failure the response is short of its promised
     * {@code Content-Length}, and the container cuts the connection instead of completing it.
     */
    private void finish(Throwable failure) {
        if (!finished.compareAndSet(false, true)) {
            return;
        }
        try {
            body.close();
            if (failure != null) {
                LOG.debug("body of {} not completed: {}", key, failure.toString());
            }
            async.complete();
        } finally {
            done.run();
        }
    }
}

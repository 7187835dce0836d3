package io.layerproxy;

import java.io.IOException;
import java.io.OutputStream;
import org.jspecify.annotations.Nullable;

/** An opened span of one object version, ready to be written to a client. Close it in all cases. */
public interface ObjectBody extends AutoCloseable {
    /** The version these bytes are of. */
    ObjectInfo info();

    /** Where the first byte came from: a layer's name or {@link LayerProxy#ORIGIN}; null for an empty span. */
    @Nullable
    String firstLayer();

    /**
     * Writes every byte of the span. An {@link OriginException} thrown part-way means the response must be
     * aborted, never completed short; an {@link IOException} means the client went away.
     */
    void writeTo(OutputStream out) throws IOException;

    /**
     * For writers that cannot take every byte at once (non-blocking servlet output): the next bytes of the span,
     * a view of a pooled buffer valid until the next call or {@link #close()}; null after the last. Blocks while a
     * block is read from a slower layer or the origin; an {@link OriginException} means the response must be
     * aborted, never completed short.
     */
    java.nio.@Nullable ByteBuffer next();

    /**
     * Gives back the pooled block behind the last {@link #next()} view while a slow client takes its time: the view's
     * unread bytes (from its position) come again, read anew, from the next call. False when this body cannot (it
     * leads a fill from the origin) and keeps the block.
     */
    boolean pause();

    /**
     * True while more than half the proxy's block memory is taken: a non-blocking writer should then copy bytes out
     * in small pieces and {@link #pause()} whenever the client is not ready, instead of handing the pooled block to
     * the container (where a client that never reads would hold it until its connection times out).
     */
    boolean memoryTight();

    /**
     * The client went away: a fill this body leads goes on for the readers following it, then stops. Call before
     * {@link #close()}.
     */
    void clientGone();

    @Override
    void close();
}

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

    @Override
    void close();
}

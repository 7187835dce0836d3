package io.layerproxy;

import java.io.InputStream;

/**
 * The authority behind the local layers, normally S3. Only the origin surfaces errors to clients, as
 * {@link OriginException}.
 */
public interface Origin extends AutoCloseable {
    /** The current version's metadata, or null when the key or its bucket does not exist. */
    ObjectInfo head(ObjectKey key);

    /**
     * Streams bytes {@code first..last} (inclusive) of exactly the version {@code etag}. Throws
     * {@link OriginException} of kind {@link OriginException.Kind#CHANGED} when the object is no longer that
     * version: callers must never splice bytes of two versions.
     */
    InputStream read(ObjectKey key, String etag, long first, long last);

    @Override
    void close();
}

package io.layerproxy;

import java.io.InputStream;
import java.util.function.Consumer;

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

    /**
     * Asks whether {@code cached} is still the current version, with a conditional request where the origin
     * supports one. Returns {@code cached} itself when it is, the new version's metadata when it changed, null
     * when the object is gone.
     */
    default ObjectInfo revalidate(ObjectKey key, ObjectInfo cached) {
        return head(key);
    }

    /** One object of a listing. */
    record Listed(ObjectKey key, String etag, long size) {
    }

    /** Calls {@code each} for every object under {@code prefix} in {@code bucket}, all pages, in key order. */
    void list(String bucket, String prefix, Consumer<Listed> each);

    @Override
    void close();
}

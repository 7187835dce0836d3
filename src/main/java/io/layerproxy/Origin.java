package io.layerproxy;

import java.io.InputStream;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The authority behind the local layers, normally S3. Only the origin surfaces errors to clients, as
 * {@link OriginException}.
 */
public interface Origin extends AutoCloseable {
    /** The current version's metadata, or null when the key or its bucket does not exist. */
    @Nullable
    ObjectInfo head(ObjectKey key);

    /**
     * Streams bytes {@code first..last} (inclusive) of exactly the version {@code version} describes (its ETag
     * and size). Throws
     * {@link OriginException} of kind {@link OriginException.Kind#CHANGED} when the object is no longer that
     * version: callers must never splice bytes of two versions.
     */
    InputStream read(ObjectKey key, ObjectInfo version, long first, long last);

    /**
     * A body some of whose bytes another cache (a fleet peer) served: the proxy keeps fewer copies of those, so a
     * fleet holds each block about once.
     */
    interface FromPeers {
        /** Whether any of bytes {@code first..last} (offsets in the object) came from a peer. */
        boolean fromPeer(long first, long last);
    }

    /**
     * The current version's metadata and a stream of its first {@code length} bytes, from one request.
     *
     * @param length how many bytes {@code body} holds, from the first: the whole object, or the part asked for
     */
    record Fetched(ObjectInfo info, InputStream body, long length) {
        public Fetched {
            if (length < 0 || length > info.size()) {
                throw new IllegalArgumentException("length " + length + " outside 0.." + info.size());
            }
        }

        /** The metadata and a stream of every byte of the version. */
        public Fetched(ObjectInfo info, InputStream body) {
            this(info, body, info.size());
        }
    }

    /**
     * The current version's metadata and whole body, or null when the key or its bucket does not exist: a miss
     * learns both from one GET instead of a HEAD and then a GET. Closing the body early aborts it. Origins that
     * cannot do it in one request keep this default: the metadata first, then a read of exactly that version.
     */
    default @Nullable Fetched fetch(ObjectKey key) {
        ObjectInfo info = head(key);
        if (info == null) {
            return null;
        }
        return new Fetched(
                info, info.size() == 0 ? InputStream.nullInputStream() : read(key, info, 0, info.size() - 1));
    }

    /**
     * As {@link #fetch(ObjectKey)}, but the body needs to hold only the first {@code firstBytes} bytes (fewer when
     * the object is smaller): a ranged GET, so a miss of a large object learns its metadata and reads its first part
     * from one request, and the rest is read in parallel parts. Origins that cannot keep the default: all of it.
     */
    default @Nullable Fetched fetch(ObjectKey key, long firstBytes) {
        return fetch(key);
    }

    /**
     * Asks whether {@code cached} is still the current version, with a conditional request where the origin
     * supports one. Returns {@code cached} itself when it is, the new version's metadata when it changed, null
     * when the object is gone.
     */
    default @Nullable ObjectInfo revalidate(ObjectKey key, ObjectInfo cached) {
        return head(key);
    }

    /** One object of a listing. */
    record Listed(ObjectKey key, String etag, long size) {}

    /** Calls {@code each} for every object under {@code prefix} in {@code bucket}, all pages, in key order. */
    void list(String bucket, String prefix, Consumer<Listed> each);

    /** What an S3 client asked of ListObjectsV2; null fields were not given. */
    record ListRequest(
            String bucket,
            @Nullable String prefix,
            @Nullable String delimiter,
            @Nullable Integer maxKeys,
            @Nullable String continuationToken,
            @Nullable String startAfter) {}

    /** One object of a {@link ListPage}. */
    record ListedObject(
            String key,
            java.time.@Nullable Instant lastModified,
            String etag,
            long size,
            @Nullable String storageClass) {}

    /** One page of ListObjectsV2, as S3 returned it. */
    record ListPage(
            boolean truncated,
            @Nullable String nextContinuationToken,
            java.util.List<ListedObject> contents,
            java.util.List<String> commonPrefixes) {}

    /**
     * One page of ListObjectsV2 exactly as asked, for S3 clients listing through the proxy; null when the bucket
     * does not exist. Origins that cannot list pages throw {@link UnsupportedOperationException}.
     */
    default @Nullable ListPage listPage(ListRequest request) {
        throw new UnsupportedOperationException("this origin does not serve ListObjectsV2");
    }

    /** A bucket of ListBuckets; {@code created} null when unknown. */
    record Bucket(String name, java.time.@Nullable Instant created) {}

    /**
     * The buckets the origin's credentials own (S3's ListBuckets), for S3 clients that list them
     * through the proxy. Origins that cannot list buckets throw {@link UnsupportedOperationException}.
     */
    default java.util.List<Bucket> listBuckets() {
        throw new UnsupportedOperationException("this origin does not serve ListBuckets");
    }

    @Override
    void close();
}

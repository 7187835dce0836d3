package io.layerproxy;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The core's reads and drops: metadata through the {@link MetadataStore}, bytes through the {@link BlockPipeline},
 * the allowlist in front of both. {@link LayerProxy} is its public face.
 */
final class ReadCore implements AutoCloseable {
    private final MetadataStore metadata;
    private final BlockPipeline blocks;
    private final Set<String> buckets;

    ReadCore(MetadataStore metadata, BlockPipeline blocks, Set<String> buckets) {
        this.metadata = metadata;
        this.blocks = blocks;
        this.buckets = Set.copyOf(buckets);
    }

    boolean allows(String bucket) {
        return buckets.isEmpty() || buckets.contains(bucket);
    }

    CachedObject read(ObjectKey key, ReadSpec spec) {
        if (!allows(key.bucket())) {
            return ObjectRead.missing(this, key, LayerProxy.ALLOWLIST);
        }
        MetadataStore.BodyLeader leader = spec.wholeBody()
                ? (info, body) -> BlockReader.leading(blocks, key, info, body) : null;
        MetadataStore.Lookup found = metadata.lookup(key, leader);
        return new ObjectRead(this, key, found.info(), found.layer(), found.stale(), found.body());
    }

    BlockReader open(ObjectKey key, ObjectInfo info, long start, long end) {
        if (start < 0 || end > info.size() || start > end) {
            throw new IllegalArgumentException("range [" + start + ", " + end + ") outside 0.." + info.size());
        }
        return new BlockReader(blocks, key, info, start, end);
    }

    boolean reconcile(Origin.Listed listed) {
        return metadata.reconcile(listed);
    }

    Set<ObjectKey> trackedKeys() {
        return metadata.tracked();
    }

    void invalidate(ObjectKey key) {
        metadata.forget(key);
    }

    boolean purge(ObjectKey key) {
        MetadataStore.Cached cached = metadata.cached(key);
        if (cached.info() != null) {
            dropVersion(key, cached.info());
        } else {
            invalidate(key);
        }
        return cached.found();
    }

    int purgePrefix(String bucket, String prefix) {
        int purged = 0;
        for (ObjectKey key : List.copyOf(metadata.tracked())) {
            if (key.bucket().equals(bucket) && key.key().startsWith(prefix) && purge(key)) {
                purged++;
            }
        }
        return purged;
    }

    /** The object is no longer {@code old}: forget its metadata and drop that version's blocks everywhere. */
    void dropVersion(ObjectKey key, ObjectInfo old) {
        invalidate(key);
        blocks.dropVersion(key, old);
    }

    BlockPipeline blocks() {
        return blocks;
    }

    /** Waits until every block write queued so far has run (for tests and a clean shutdown). */
    void awaitStores() throws InterruptedException {
        var done = new CountDownLatch(1);
        blocks.store.run(done::countDown);
        if (!done.await(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the store queue did not drain in 60 s");
        }
    }

    @Override
    public void close() {
        blocks.close();
    }
}

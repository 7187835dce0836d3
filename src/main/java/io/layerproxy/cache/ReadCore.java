package io.layerproxy.cache;

import io.layerproxy.CacheRule;
import io.layerproxy.CachedObject;
import io.layerproxy.Layer;
import io.layerproxy.LayerProxy;
import io.layerproxy.ObjectBody;
import io.layerproxy.ObjectInfo;
import io.layerproxy.ObjectKey;
import io.layerproxy.Origin;
import io.layerproxy.ReadSpec;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The core's reads and drops: metadata through the {@link MetadataStore}, bytes through the {@link BlockPipeline},
 * the allowlist in front of both. {@link LayerProxy} is its public face; this class is internal, not API.
 */
public final class ReadCore implements AutoCloseable {
    /** What {@link LayerProxy.Builder} collected; {@code bufferMemory} 0 picks the default. */
    public record Settings(
            int blockSize,
            long bufferMemory,
            Duration maxAge,
            boolean honorOriginCacheControl,
            Duration negativeTtl,
            Duration staleIfError,
            Duration staleWhileRevalidate,
            long maxObjectSize,
            List<CacheRule> rules,
            Duration originTimeout,
            int originMaxWaiting,
            int fillRunBlocks,
            int originParallel,
            long originPartSize,
            Set<String> buckets,
            Clock clock) {}

    /** The block pipeline now, for metrics, the status page and tests. */
    public record Stats(
            int blockSize,
            long bufferCapacity,
            long bufferUsed,
            long bufferWaits,
            long storeQueued,
            long storeSkipped,
            int blocksInFlight,
            long layerFailures,
            long flightWaits) {}

    private final List<GuardedLayer> layers;
    private final MetadataStore metadata;
    private final BlockPipeline blocks;
    private final Set<String> buckets;
    private final ProxyMetrics metrics;
    private final Origin origin;
    private final OriginWaits originWaits;
    private final CachePolicy policy;
    private final Clock clock;

    /** The core over {@code layers} (fastest first) and {@code origin}, its meters in {@code registry}. */
    public ReadCore(List<Layer> layers, Origin origin, Settings settings, MeterRegistry registry) {
        this.metrics = new ProxyMetrics(registry);
        this.origin = origin;
        this.originWaits = new OriginWaits(settings.originMaxWaiting());
        this.layers =
                layers.stream().map(layer -> new GuardedLayer(layer, registry)).toList();
        this.clock = settings.clock();
        this.policy = new CachePolicy(
                new CachePolicy.Terms(
                        settings.maxAge(),
                        settings.negativeTtl(),
                        settings.maxObjectSize(),
                        true,
                        settings.staleWhileRevalidate(),
                        settings.honorOriginCacheControl()),
                settings.rules());
        this.metadata =
                new MetadataStore(this.layers, origin, clock, policy, settings.staleIfError(), originWaits, metrics);
        long budget = settings.bufferMemory() > 0
                ? settings.bufferMemory()
                : defaultBufferMemory(layers, settings.blockSize());
        this.blocks = new BlockPipeline(
                this.layers,
                origin,
                settings.blockSize(),
                budget,
                settings.originTimeout(),
                originWaits,
                settings.fillRunBlocks(),
                new BlockPipeline.Parts(settings.originParallel(), settings.originPartSize()),
                policy,
                metrics);
        metrics.registerPipeline(blocks);
        this.buckets = Set.copyOf(settings.buckets());
    }

    /**
     * A quarter of the direct memory left beside the memory layers (Ehcache's off-heap tier is direct memory too)
     * and the JDK's temporary buffers of the layer-reading and store threads (one block each), at most 256 MiB:
     * enough for a few hundred concurrent block reads, never the whole JVM.
     */
    private static long defaultBufferMemory(List<Layer> layers, int blockSize) {
        long direct = DirectMemory.max();
        long memoryLayers = layers.stream()
                .filter(l -> "memory".equals(l.name()))
                .mapToLong(Layer::capacity)
                .filter(c -> c != Long.MAX_VALUE)
                .sum();
        long layerIo = (long) (BlockPipeline.SLOWER_LAYER_READERS + 1) * blockSize;
        return Math.min(256L << 20, Math.max(0, direct - memoryLayers - layerIo) / 4);
    }

    public boolean allows(String bucket) {
        return buckets.isEmpty() || buckets.contains(bucket);
    }

    /** See {@link LayerProxy#warm}. */
    public long warm(ObjectKey key) {
        try (CachedObject object = read(key, ReadSpec.WHOLE)) {
            ObjectBody body = object.found() ? object.openWhole() : null;
            if (body == null) {
                return -1;
            }
            try (body) {
                body.writeTo(OutputStream.nullOutputStream());
            } catch (IOException e) {
                throw new UncheckedIOException(e); // cannot happen: the sink never fails
            }
            return body.info().size();
        }
    }

    /** See {@link LayerProxy#list}. */
    public void list(String bucket, String prefix, Consumer<Origin.Listed> each) {
        if (allows(bucket)) {
            origin.list(bucket, prefix, each);
        }
    }

    /** See {@link LayerProxy#listPage}. */
    public Origin.ListPage listPage(Origin.ListRequest request) {
        return allows(request.bucket()) ? origin.listPage(request) : null;
    }

    /** See {@link LayerProxy#listBuckets}. */
    public List<Origin.Bucket> listBuckets() {
        if (buckets.isEmpty()) {
            return origin.listBuckets();
        }
        return buckets.stream()
                .sorted()
                .map(name -> new Origin.Bucket(name, null))
                .toList();
    }

    public CachedObject read(ObjectKey key, ReadSpec spec) {
        if (!allows(key.bucket())) {
            return ObjectRead.missing(this, key, LayerProxy.ALLOWLIST);
        }
        MetadataStore.BodyLeader leader = spec.wholeBody()
                ? new MetadataStore.BodyLeader() {
                    @Override
                    public BlockReader lead(ObjectInfo info, java.io.InputStream body, long length) {
                        return BlockReader.leading(blocks, key, info, body, length);
                    }

                    @Override
                    public long firstBytes() {
                        return blocks.firstFetchBytes();
                    }
                }
                : null;
        MetadataStore.Lookup found = metadata.lookup(key, leader, spec.revalidate());
        return new ObjectRead(this, key, found.info(), found.layer(), found.stale(), found.body(), found.refreshing());
    }

    /**
     * See {@link LayerProxy#instantHit}: the memo's fresh metadata and the object's one block from the first layer,
     * or null; never the origin, a slower layer, or a wait on a flight.
     */
    public LayerProxy.@org.jspecify.annotations.Nullable InstantHit instantHit(ObjectKey key, int maxBytes) {
        // only a memory layer: a disk layer's read blocks, and the caller may be an I/O thread
        if (layers.isEmpty()
                || !"memory".equals(layers.get(0).name())
                || key.versionId() != null
                || !allows(key.bucket())) {
            return null;
        }
        ObjectInfo info = metadata.memoizedFresh(key);
        if (info == null
                || info.size() == 0
                || info.size() > Math.min(maxBytes, blocks.blockSize)
                || !policy.storesBlocks(key, info)) {
            return null;
        }
        GuardedLayer first = layers.get(0);
        java.nio.ByteBuffer body = first.peek(blocks.blockKey(key, info, 0), java.nio.ByteBuffer::allocate);
        if (body == null || body.remaining() != info.size()) {
            return null; // not there (yet: a block queued for the layer is served by the usual read), or not whole
        }
        metadata.instantHit(key);
        first.countHit();
        return new LayerProxy.InstantHit(info, first.name(), age(info), body);
    }

    /** How long ago the origin last confirmed {@code info}, by the proxy's clock; never negative. */
    Duration age(ObjectInfo info) {
        Duration age = Duration.between(info.validatedAt(), clock.instant());
        return age.isNegative() ? Duration.ZERO : age;
    }

    /** The per-prefix rules in effect, longest prefix first. */
    public List<CacheRule> rules() {
        return policy.rules();
    }

    BlockReader open(ObjectKey key, ObjectInfo info, long start, long end) {
        if (start < 0 || end > info.size() || start > end) {
            throw new IllegalArgumentException("range [" + start + ", " + end + ") outside 0.." + info.size());
        }
        return new BlockReader(blocks, key, info, start, end);
    }

    public boolean reconcile(Origin.Listed listed) {
        return metadata.reconcile(listed);
    }

    public Set<ObjectKey> trackedKeys() {
        return metadata.tracked();
    }

    public void invalidate(ObjectKey key) {
        metadata.forget(key);
    }

    /** The version the layers hold for {@code key}, fresh or not, without asking the origin; null when none. */
    public @org.jspecify.annotations.Nullable ObjectInfo cachedVersion(ObjectKey key) {
        return metadata.cached(key).info();
    }

    public boolean purge(ObjectKey key) {
        MetadataStore.Cached cached = metadata.cached(key);
        if (cached.info() != null) {
            dropVersion(key, cached.info());
        } else {
            invalidate(key);
        }
        return cached.found();
    }

    public int purgePrefix(String bucket, String prefix) {
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

    public Stats stats() {
        return new Stats(
                blocks.blockSize,
                blocks.budget.bytes(),
                blocks.budget.inUse(),
                blocks.budget.waits(),
                blocks.store.queuedBytes(),
                blocks.store.skipped(),
                blocks.flights.size(),
                layers.stream().mapToLong(GuardedLayer::failures).sum(),
                metrics.flightWaits());
    }

    public List<LayerProxy.LayerState> layerStates() {
        return layers.stream()
                .map(l -> new LayerProxy.LayerState(l.name(), l.capacity(), l.stats(), l.hits(), l.misses()))
                .toList();
    }

    /** The layers, as the core guards them (for tests). */
    List<GuardedLayer> layers() {
        return layers;
    }

    /** Waits until every block write queued so far has run (for tests and a clean shutdown). */
    public void awaitStores() throws InterruptedException {
        var done = new CountDownLatch(1);
        blocks.store.run(done::countDown);
        if (!done.await(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the store queue did not drain in 60 s");
        }
    }

    @Override
    public void close() {
        metadata.close();
        blocks.close();
        layers.forEach(GuardedLayer::close);
    }
}

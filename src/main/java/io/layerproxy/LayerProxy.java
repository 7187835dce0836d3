package io.layerproxy;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.commons.io.output.NullOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The read-through cache: answers metadata and bytes of S3 objects from the fastest layer that holds them,
 * falling back to the origin and keeping what it returned in every faster layer.
 *
 * <p>Objects are cached as fixed-size blocks whose keys include the version's ETag and the block size, so a
 * changed object never mixes old and new bytes and a changed {@code --block-size} never reads a block of
 * another geometry. Build one with {@link #builder()}, layers fastest first:
 *
 * <pre>{@code
 * LayerProxy proxy = LayerProxy.builder()
 *     .addLayer(EhcacheLayer.memory(512L << 20))
 *     .addLayer(EhcacheLayer.disk(Path.of("/var/cache/layerproxy"), 20L << 30))
 *     .origin(S3Origin.create(s3Client))
 *     .build();
 * }</pre>
 */
public final class LayerProxy implements AutoCloseable {
    /** The layer name reported when bytes or metadata came from the origin. */
    public static final String ORIGIN = "origin";

    private final List<GuardedLayer> layers;
    private final CircuitBreaker origin;
    private final MeterRegistry registry;
    private final ProxyMetrics metrics;
    private final OriginProbe probe;
    private final MetadataStore metadata;
    private final Set<String> buckets;
    private final BlockPipeline blocks;

    private LayerProxy(Builder b) {
        this.registry = b.registry != null ? b.registry : new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        this.metrics = new ProxyMetrics(registry);
        this.layers = b.layers.stream().map(layer -> new GuardedLayer(layer, registry)).toList();
        this.origin = new CircuitBreaker(new MeteredOrigin(Objects.requireNonNull(b.origin, "origin"), registry),
                b.clock);
        Gauge.builder("layerproxy.origin.circuit.open", origin, c -> c.open() ? 1 : 0)
                .description("1 while the circuit is open: S3 failed repeatedly and misses fail fast")
                .strongReference(true).register(registry);
        this.probe = new OriginProbe(origin, b.buckets.isEmpty() ? "layerproxy-probe"
                : new java.util.TreeSet<>(b.buckets).first(), b.clock);
        this.metadata = new MetadataStore(layers, origin, b.clock, b.maxAge, b.negativeTtl, b.staleIfError, metrics);
        this.buckets = Set.copyOf(b.buckets);
        long budget = b.bufferMemory > 0 ? b.bufferMemory : defaultBufferMemory(b.layers);
        this.blocks = new BlockPipeline(layers, origin, b.blockSize, budget, metrics);
        Gauge.builder("layerproxy.buffer.capacity", blocks.budget, BlockBudget::bytes).baseUnit("bytes")
                .description("the memory budget for block bytes (buffer-memory)").register(registry);
        Gauge.builder("layerproxy.buffer.used", blocks.budget, BlockBudget::inUse).baseUnit("bytes")
                .description("block bytes held now: reads, read-ahead, blocks waiting for the store")
                .register(registry);
        Gauge.builder("layerproxy.store.queued", blocks.store, StoreQueue::queuedBytes).baseUnit("bytes")
                .description("block bytes waiting to be written into the layers").register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("layerproxy.buffer.waits", blocks.budget,
                BlockBudget::waits).description("reads that waited for block memory").register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("layerproxy.store.skipped", blocks.store,
                StoreQueue::skipped).description("block writes skipped because the store queue stayed full (slow"
                + " disk)").register(registry);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * The metadata lookup's answer: {@code info} is null when the object does not exist; {@code stale} when it is
     * a cached version past max-age, served because the origin failed to revalidate it (stale-if-error);
     * {@code body}, from {@link #lookupAndOpen} only, the whole object when it came with the metadata.
     */
    public record Lookup(ObjectInfo info, String layer, boolean stale, ObjectBody body) {
        public Lookup(ObjectInfo info, String layer) {
            this(info, layer, false, null);
        }

        public Lookup(ObjectInfo info, String layer, boolean stale) {
            this(info, layer, stale, null);
        }

        public boolean found() {
            return info != null;
        }

        public boolean hit() {
            return !ORIGIN.equals(layer);
        }
    }

    /** True when requests for this bucket may reach the origin (no allowlist, or the bucket is on it). */
    public boolean allows(String bucket) {
        return buckets.isEmpty() || buckets.contains(bucket);
    }

    /**
     * The object's current metadata, from the fastest layer holding a version validated within max-age (or a
     * "does not exist" answer within the negative TTL), else from the origin: a conditional request when a stale
     * version is cached, a plain one otherwise. A bucket outside the allowlist is not found, without asking.
     */
    public Lookup lookup(ObjectKey key) {
        if (!allows(key.bucket())) {
            return new Lookup(null, "allowlist");
        }
        return metadata.lookup(key, null);
    }

    /**
     * As {@link #lookup}, for a read of the whole object: when the metadata is not cached, one origin GET answers
     * both, and the lookup's {@code body} is the whole object, open with its first block read (what
     * {@link #open} would return). The caller must close that body, used or not. Concurrent readers of the key
     * follow this GET rather than sending their own.
     */
    public Lookup lookupAndOpen(ObjectKey key) {
        if (!allows(key.bucket())) {
            return new Lookup(null, "allowlist");
        }
        Lookup lookup = metadata.lookup(key, (info, body) -> BlockReader.leading(blocks, key, info, body));
        if (lookup.body() instanceof BlockReader reader) {
            reader.readFirstBlock(); // after the metadata's flight ended: its waiters are following by now
        }
        return lookup;
    }

    /**
     * Compares a listing entry with the cached metadata. Unchanged: the cached version is re-stamped as validated
     * now (no HEAD needed later) and this returns false. Changed (another ETag or size): the metadata is dropped so
     * the next read fetches the new version, and this returns true. Not cached: false.
     */
    public boolean reconcile(Origin.Listed listed) {
        return metadata.reconcile(listed);
    }

    /** Lists the objects under a prefix through the origin; nothing for a bucket outside the allowlist. */
    public void list(String bucket, String prefix, Consumer<Origin.Listed> each) {
        if (allows(bucket)) {
            origin.list(bucket, prefix, each);
        }
    }

    /** One ListObjectsV2 page from the origin; null for a missing bucket or one outside the allowlist. */
    public Origin.ListPage listPage(Origin.ListRequest request) {
        return allows(request.bucket()) ? origin.listPage(request) : null;
    }

    /** Keys whose metadata this proxy found or stored since it started: what the watch loop keeps fresh. */
    public Set<ObjectKey> trackedKeys() {
        return Collections.unmodifiableSet(metadata.tracked());
    }

    /**
     * Loads an object's metadata and every block into the layers, as a read would, without a client.
     *
     * @return the object's size, or -1 when it does not exist
     */
    public long warm(ObjectKey key) {
        Lookup lookup = lookupAndOpen(key);
        if (!lookup.found()) {
            return -1;
        }
        try (ObjectBody body = lookup.body() != null ? lookup.body()
                : open(key, lookup.info(), 0, lookup.info().size())) {
            body.writeTo(NullOutputStream.INSTANCE);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // cannot happen: the sink never fails
        }
        return lookup.info().size();
    }

    /**
     * Opens bytes {@code [start, end)} of the version {@code info} describes. The first block is read before
     * this returns, so {@link ObjectBody#firstLayer()} is known before response headers are sent.
     */
    public ObjectBody open(ObjectKey key, ObjectInfo info, long start, long end) {
        if (start < 0 || end > info.size() || start > end) {
            throw new IllegalArgumentException("range [" + start + ", " + end + ") outside 0.." + info.size());
        }
        return new BlockReader(blocks, key, info, start, end);
    }

    /** Forgets the object's metadata in every layer; its blocks become unreachable and age out. */
    public void invalidate(ObjectKey key) {
        metadata.forget(key);
    }

    /**
     * Removes the object's metadata and cached blocks from every local layer; the next read goes to the origin.
     *
     * @return whether anything of it was cached
     */
    public boolean purge(ObjectKey key) {
        MetadataStore.Cached cached = metadata.cached(key);
        if (cached.info() != null) {
            dropVersion(key, cached.info());
        } else {
            invalidate(key);
        }
        return cached.found();
    }

    /**
     * Purges every object under {@code prefix} that this process has served or watched since it started (what
     * {@link #trackedKeys()} holds); objects only left on disk from an earlier run are purged by key.
     *
     * @return how many objects were cached
     */
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

    /** The block machinery (for tests in this package). */
    BlockPipeline blocks() {
        return blocks;
    }

    Flights flights() {
        return blocks.flights;
    }

    /** Waits until every block write queued so far has run (for tests and a clean shutdown). */
    void awaitStores() throws InterruptedException {
        var done = new java.util.concurrent.CountDownLatch(1);
        blocks.store.run(done::countDown);
        if (!done.await(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the store queue did not drain in 60 s");
        }
    }

    /**
     * The registry holding the proxy's meters ({@code layerproxy.*}); a Prometheus registry unless the builder was
     * given another. Callers may add their own meters.
     */
    public MeterRegistry meterRegistry() {
        return registry;
    }

    /** One layer as the status page shows it. */
    public record LayerState(String name, long capacity, Layer.Stats stats) {
    }

    public List<LayerState> layerStates() {
        return layers.stream().map(l -> new LayerState(l.name(), l.capacity(), l.stats())).toList();
    }

    /** True while S3 failed repeatedly and misses fail fast without asking it. */
    public boolean originCircuitOpen() {
        return origin.open();
    }

    /**
     * Null when the origin answers requests (even with 403 or 404), else why not. Sends at most one HEAD every few
     * seconds; for readiness checks.
     */
    public String originProblem() {
        return probe.problem();
    }

    public int blockSize() {
        return blocks.blockSize;
    }

    /** The memory budget for block bytes, and how much of it is in use now. */
    public long bufferMemory() {
        return blocks.budget.bytes();
    }

    public long bufferMemoryUsed() {
        return blocks.budget.inUse();
    }

    /** Layer failures (reads, writes, removes that threw), summed over layers; each one was served as a miss. */
    public long layerFailures() {
        return layers.stream().mapToLong(GuardedLayer::failures).sum();
    }

    @Override
    public void close() {
        blocks.close();
        layers.forEach(GuardedLayer::close);
        origin.close();
    }

    List<GuardedLayer> layers() {
        return layers;
    }

    Origin origin() {
        return origin;
    }

    String blockKey(ObjectKey key, ObjectInfo info, long index) {
        return blocks.blockKey(key, info, index);
    }

    /**
     * A quarter of the direct memory left beside the memory layers (Ehcache's off-heap tier is direct memory too),
     * at most 256 MiB: enough for a few hundred concurrent block reads, never the whole JVM.
     */
    private static long defaultBufferMemory(List<Layer> layers) {
        long direct = DirectMemory.max();
        long memoryLayers = layers.stream().filter(l -> "memory".equals(l.name())).mapToLong(Layer::capacity)
                .filter(c -> c != Long.MAX_VALUE).sum();
        return Math.min(256L << 20, Math.max(0, direct - memoryLayers) / 4);
    }

    /** Composes a {@link LayerProxy}: local layers fastest first, then the origin. */
    public static final class Builder {
        /** Smallest and largest block sizes accepted, in bytes. */
        public static final int MIN_BLOCK_SIZE = 4096;
        public static final int MAX_BLOCK_SIZE = 64 << 20;

        private final List<Layer> layers = new ArrayList<>();
        private Origin origin;
        private int blockSize = 1 << 20;
        private Duration maxAge = Duration.ofSeconds(60);
        private Clock clock = Clock.systemUTC();
        private Set<String> buckets = Set.of();
        private Duration negativeTtl = Duration.ofSeconds(10);
        private Duration staleIfError = Duration.ofDays(1);
        private long bufferMemory;
        private MeterRegistry registry;

        private Builder() {
        }

        /** Adds a local layer below those added before (so add the fastest first), as the Go tool's AddLayer. */
        public Builder addLayer(Layer layer) {
            layers.add(Objects.requireNonNull(layer, "layer"));
            return this;
        }

        public Builder origin(Origin origin) {
            this.origin = Objects.requireNonNull(origin, "origin");
            return this;
        }

        public Builder blockSize(int bytes) {
            if (bytes < MIN_BLOCK_SIZE || bytes > MAX_BLOCK_SIZE) {
                throw new IllegalArgumentException("block-size must be between " + MIN_BLOCK_SIZE + " and "
                        + MAX_BLOCK_SIZE + ", was: " + bytes);
            }
            this.blockSize = bytes;
            return this;
        }

        /** How long metadata is trusted before the origin is asked again. */
        public Builder maxAge(Duration maxAge) {
            this.maxAge = Objects.requireNonNull(maxAge, "maxAge");
            return this;
        }

        /** How long a "does not exist" answer is remembered; zero asks the origin every time. */
        public Builder negativeTtl(Duration negativeTtl) {
            this.negativeTtl = Objects.requireNonNull(negativeTtl, "negativeTtl");
            return this;
        }

        /**
         * How long past max-age a cached version is still served while the origin is down or silent (marked stale);
         * zero turns stale-if-error off.
         */
        public Builder staleIfError(Duration staleIfError) {
            this.staleIfError = Objects.requireNonNull(staleIfError, "staleIfError");
            return this;
        }

        /**
         * The memory budget for block bytes: every block held at once across all downloads (clients' blocks,
         * read-ahead, blocks waiting for the store), in pooled direct buffers; at least four blocks. A read past it
         * waits, then fails with 503. Default: a quarter of the direct memory the memory layers leave, at most
         * 256 MiB.
         */
        public Builder bufferMemory(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("buffer-memory must not be negative, was: " + bytes);
            }
            this.bufferMemory = bytes;
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Restricts the proxy to these buckets; empty means any bucket the credentials can read. */
        public Builder buckets(Set<String> buckets) {
            this.buckets = Set.copyOf(buckets);
            return this;
        }

        /** Where the proxy's meters go; by default a new Prometheus registry of its own. */
        public Builder meterRegistry(MeterRegistry registry) {
            this.registry = Objects.requireNonNull(registry, "registry");
            return this;
        }

        public LayerProxy build() {
            return new LayerProxy(this);
        }
    }
}

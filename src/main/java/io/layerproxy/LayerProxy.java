package io.layerproxy;

import io.layerproxy.cache.ReadCore;
import io.layerproxy.events.EventApplier;
import io.layerproxy.fleet.Fleet;
import io.layerproxy.fleet.PeerOrigin;
import io.layerproxy.origin.GuardedOrigin;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

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
    /** The source reported when bytes or metadata came from the origin. */
    public static final String ORIGIN = "origin";
    /** The source of bytes a fleet member read from the member owning them (see {@link Fleet}). */
    public static final String PEER = "peer";
    /** The source reported for a bucket outside the allowlist: not found, without asking the origin. */
    public static final String ALLOWLIST = "allowlist";

    private final GuardedOrigin origin;
    private final MeterRegistry registry;
    private final ReadCore core;
    private final @Nullable Fleet fleet;
    private final EventApplier events;

    private LayerProxy(Builder b) {
        this.registry = b.registry != null ? b.registry : new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        this.origin = new GuardedOrigin(
                Objects.requireNonNull(b.origin, "origin"),
                registry,
                b.clock,
                b.buckets.isEmpty() ? "layerproxy-probe" : new TreeSet<>(b.buckets).first());
        this.fleet = b.fleet == null ? null : new Fleet(b.fleet, registry, b.clock);
        this.core = new ReadCore(
                b.layers,
                fleet == null ? origin : new PeerOrigin(origin, fleet, b.blockSize, b.originTimeout),
                new ReadCore.Settings(
                        b.blockSize,
                        b.bufferMemory,
                        b.maxAge,
                        b.honorOriginCacheControl,
                        b.negativeTtl,
                        b.staleIfError,
                        b.staleWhileRevalidate,
                        b.maxObjectSize,
                        List.copyOf(b.rules),
                        b.originTimeout,
                        b.originMaxWaiting,
                        b.fleet == null ? 0 : b.fleet.spanBlocks(),
                        b.originParallel,
                        b.originPartSize,
                        b.buckets,
                        b.clock),
                registry);
        this.events = new EventApplier(this);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Reads an object: its metadata from the fastest layer holding a version validated within max-age (or a "does
     * not exist" within the negative TTL), else from the origin, once per key at a time (single flight); a cached
     * version past max-age is revalidated with a conditional request, and served stale while the origin fails
     * (stale-if-error). Bytes are opened from the answer. A bucket outside the allowlist is not found, without
     * asking the origin. Close the answer.
     */
    public CachedObject read(ObjectKey key, ReadSpec spec) {
        return core.read(Objects.requireNonNull(key, "key"), Objects.requireNonNull(spec, "spec"));
    }

    /** True when requests for this bucket may reach the origin (no allowlist, or the bucket is on it). */
    public boolean allows(String bucket) {
        return core.allows(bucket);
    }

    /**
     * Loads an object's metadata and every block into the layers, as a read would, without a client.
     *
     * @return the object's size, or -1 when it does not exist
     */
    public long warm(ObjectKey key) {
        return core.warm(key);
    }

    /**
     * Compares a listing entry with the cached metadata. Unchanged: the cached version is re-stamped as validated
     * now (no HEAD needed later) and this returns false. Changed (another ETag or size): the metadata is dropped so
     * the next read fetches the new version, and this returns true. Not cached: false.
     */
    public boolean reconcile(Origin.Listed listed) {
        return core.reconcile(listed);
    }

    /** Lists the objects under a prefix through the origin; nothing for a bucket outside the allowlist. */
    public void list(String bucket, String prefix, Consumer<Origin.Listed> each) {
        core.list(bucket, prefix, each);
    }

    /** One ListObjectsV2 page from the origin; null for a missing bucket or one outside the allowlist. */
    public Origin.@Nullable ListPage listPage(Origin.ListRequest request) {
        return core.listPage(request);
    }

    /**
     * The buckets an S3 client listing them through the proxy sees: the allowlist when there is one (no origin
     * call), else the buckets the origin's credentials own.
     */
    public List<Origin.Bucket> listBuckets() {
        return core.listBuckets();
    }

    /** Keys whose metadata this proxy found or stored since it started: what the watch loop keeps fresh. */
    public Set<ObjectKey> trackedKeys() {
        return Collections.unmodifiableSet(core.trackedKeys());
    }

    /** The version the local layers hold for {@code key}, fresh or not, without asking the origin; null if none. */
    public @Nullable ObjectInfo cachedVersion(ObjectKey key) {
        return core.cachedVersion(key);
    }

    /** Forgets the object's metadata in every layer; its blocks become unreachable and age out. */
    public void invalidate(ObjectKey key) {
        core.invalidate(key);
        broadcast(Fleet.Drop.of(key));
    }

    /**
     * Removes the object's metadata and cached blocks from every local layer; the next read goes to the origin.
     * Block writes of that version still queued are skipped.
     *
     * @return whether anything of it was cached
     */
    public boolean purge(ObjectKey key) {
        boolean found = core.purge(key);
        broadcast(Fleet.Drop.of(key));
        return found;
    }

    /**
     * Purges every object under {@code prefix} that this process has served or watched since it started (what
     * {@link #trackedKeys()} holds); objects only left on disk from an earlier run are purged by key.
     *
     * @return how many objects were cached
     */
    public int purgePrefix(String bucket, String prefix) {
        int purged = core.purgePrefix(bucket, prefix);
        broadcast(new Fleet.Drop(true, bucket, prefix, null));
        return purged;
    }

    /** Where S3 event notifications for this proxy are applied (the webhook and the SQS consumer share it). */
    public EventApplier events() {
        return events;
    }

    /** The fleet this proxy is a member of, or null when it runs alone. */
    public @Nullable Fleet fleet() {
        return fleet;
    }

    /**
     * Joins the fleet the builder described, as {@code advertise} (this node's HTTP address for its peers): from
     * then on spans owned by other members are read from them, and purges and invalidations made here are applied
     * on every member. Does nothing without a fleet.
     */
    public void joinFleet(URI advertise) throws Exception {
        if (fleet != null) {
            fleet.join(advertise, this::applyDrop);
        }
    }

    private void applyDrop(Fleet.Drop drop) {
        if (drop.prefix()) {
            core.purgePrefix(drop.bucket(), drop.name());
        } else {
            core.purge(new ObjectKey(drop.bucket(), drop.name(), drop.versionId()));
        }
    }

    private void broadcast(Fleet.Drop drop) {
        if (fleet != null) {
            fleet.broadcast(drop);
        }
    }

    /**
     * The registry holding the proxy's meters ({@code layerproxy.*}); a Prometheus registry unless the builder was
     * given another. Callers may add their own meters.
     */
    public MeterRegistry meterRegistry() {
        return registry;
    }

    /**
     * A whole small object answered from the first layer at once ({@link #instantHit}); {@code body} is a copy of
     * its own, not from the block budget.
     */
    public record InstantHit(ObjectInfo info, String layer, Duration age, java.nio.ByteBuffer body) {}

    /**
     * The whole object when it can be answered at once, without waiting on anything: its metadata held fresh on the
     * heap (a key read recently), and all of its bytes, at most {@code maxBytes}, in one block of the first layer
     * when that is a memory layer.
     * Null otherwise, and the caller {@link #read}s as usual. Never asks the origin or a slower layer, so a
     * non-blocking front end may call it on its I/O thread (the standalone server does). Counts as hits.
     */
    public @Nullable InstantHit instantHit(ObjectKey key, int maxBytes) {
        return core.instantHit(Objects.requireNonNull(key, "key"), maxBytes);
    }

    /** One layer as the status page shows it. */
    public record LayerState(String name, long capacity, Layer.Stats stats, long hits, long misses) {}

    public List<LayerState> layerStates() {
        return core.layerStates();
    }

    /** The per-prefix rules in effect, longest prefix (the one that wins) first. */
    public List<CacheRule> rules() {
        return core.rules();
    }

    /** True while S3 failed repeatedly and misses fail fast without asking it. */
    public boolean originCircuitOpen() {
        return origin.circuitOpen();
    }

    /**
     * Null when the origin answers requests (even with 403 or 404), else why not. Sends at most one HEAD every few
     * seconds; for readiness checks.
     */
    public @Nullable String originProblem() {
        return origin.problem();
    }

    /** The block pipeline now: block size, the memory budget and its use, the store queue, fills in flight. */
    public ReadCore.Stats pipelineStats() {
        return core.stats();
    }

    /** What the origin was asked and answered since start, for the status page. */
    public GuardedOrigin.Stats originStats() {
        return origin.stats();
    }

    /** The keys that cost the most bytes from the origin since start, heaviest first: a bounded sketch's estimates. */
    public List<io.layerproxy.ops.TopKeys.Entry> topOriginKeys(int n) {
        return origin.topKeys().top(n);
    }

    /**
     * The answered HEADs' and GETs' latency since start (to the first byte), as a cumulative histogram: {@code [0]}
     * the upper bounds in ms, {@code [1]} the requests at most that long.
     */
    public double[][] originLatencies() {
        return origin.latencies();
    }

    /** Waits until every block write queued so far has reached the layers (at most 60 s). */
    public void awaitStores() throws InterruptedException {
        core.awaitStores();
    }

    @Override
    public void close() {
        if (fleet != null) {
            fleet.close();
        }
        core.close();
        origin.close();
    }

    /** The core (for tests). */
    ReadCore core() {
        return core;
    }

    /** Composes a {@link LayerProxy}: local layers fastest first, then the origin. */
    public static final class Builder {
        /** Smallest and largest block sizes accepted, in bytes. */
        public static final int MIN_BLOCK_SIZE = 4096;

        public static final int MAX_BLOCK_SIZE = 64 << 20;

        private final List<Layer> layers = new ArrayList<>();
        private @Nullable Origin origin;
        private int blockSize = 1 << 20;
        private Duration maxAge = Duration.ofSeconds(60);
        private Clock clock = Clock.systemUTC();
        private Duration originTimeout = Duration.ofSeconds(30);
        private Set<String> buckets = Set.of();
        private Duration negativeTtl = Duration.ofSeconds(10);
        private Duration staleIfError = Duration.ofDays(1);
        private long bufferMemory;
        private Fleet.@Nullable Settings fleet;
        private int originMaxWaiting = 128;
        private boolean honorOriginCacheControl = true;
        private Duration staleWhileRevalidate = Duration.ZERO;
        private long maxObjectSize = Long.MAX_VALUE;
        private int originParallel = 4;
        private long originPartSize = 8L << 20;
        private final List<CacheRule> rules = new ArrayList<>();
        private @Nullable MeterRegistry registry;

        private Builder() {}

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
                throw new IllegalArgumentException(
                        "block-size must be between " + MIN_BLOCK_SIZE + " and " + MAX_BLOCK_SIZE + ", was: " + bytes);
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

        /**
         * How long one block may take to arrive from the origin once its read began (default 30 s): an origin that
         * trickles a few bytes at a time, never silent long enough for a socket timeout, fails like a silent one.
         * With 1 MiB blocks and 30 s, the slowest origin accepted sends 35 KB/s.
         */
        public Builder originTimeout(Duration originTimeout) {
            if (originTimeout.isNegative() || originTimeout.isZero()) {
                throw new IllegalArgumentException("origin-timeout must be > 0, was: " + originTimeout);
            }
            this.originTimeout = originTimeout;
            return this;
        }

        /**
         * How many reads may wait on the origin at once before their answer starts (a miss's metadata or first
         * block, own or followed; default 128, 0 for no bound). Each holds a request thread: past the bound a read
         * fails at once with a 503 {@code BUSY}, so a stalled origin cannot take the threads hits need.
         */
        public Builder originMaxWaiting(int reads) {
            if (reads < 0) {
                throw new IllegalArgumentException("origin-max-waiting must not be negative, was: " + reads);
            }
            this.originMaxWaiting = reads;
            return this;
        }

        /**
         * Whether S3's own {@code Cache-Control} ({@code s-maxage}, {@code max-age}, {@code no-cache},
         * {@code no-store}, {@code private}) and {@code Expires} decide how long a version stays fresh (default),
         * or {@link #maxAge} alone does.
         */
        public Builder honorOriginCacheControl(boolean honor) {
            this.honorOriginCacheControl = honor;
            return this;
        }

        /**
         * How long past its freshness a cached version is still served at once while one background request
         * revalidates it (RFC 5861 stale-while-revalidate); zero (the default) revalidates before answering.
         */
        public Builder staleWhileRevalidate(Duration window) {
            if (window.isNegative()) {
                throw new IllegalArgumentException("stale-while-revalidate must not be negative, was: " + window);
            }
            this.staleWhileRevalidate = window;
            return this;
        }

        /**
         * How a large cold object is read from the origin: in ranged GETs of {@code partBytes} (rounded up to whole
         * blocks; in a fleet, a span), up to {@code parallel} at once ahead of its reader, as AWS advises for large
         * objects (8 to 16 MiB parts); one connection's bandwidth no longer bounds a cold read. The defaults: 4 parts
         * of 8 MiB. {@code parallel} 1: one GET from the reader's first block to its last, as before.
         */
        public Builder originParts(int parallel, long partBytes) {
            if (parallel < 1 || parallel > 64) {
                throw new IllegalArgumentException("origin-parallel must be between 1 and 64, was: " + parallel);
            }
            if (partBytes < 1) {
                throw new IllegalArgumentException("origin-part-size must be > 0, was: " + partBytes);
            }
            this.originParallel = parallel;
            this.originPartSize = partBytes;
            return this;
        }

        /**
         * Objects larger than this are streamed through without being stored in any layer (their metadata still
         * is); by default any object that fits a layer is stored.
         */
        public Builder maxObjectSize(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("max-object-size must not be negative, was: " + bytes);
            }
            this.maxObjectSize = bytes;
            return this;
        }

        /**
         * Adds a per-prefix policy; where several match a key, the one with the longest prefix wins. Two rules for
         * the same bucket and prefix are refused.
         */
        public Builder rule(CacheRule rule) {
            Objects.requireNonNull(rule, "rule");
            for (CacheRule other : rules) {
                if (other.bucket().equals(rule.bucket()) && other.prefix().equals(rule.prefix())) {
                    throw new IllegalArgumentException("two rules for " + rule.bucket() + "/" + rule.prefix());
                }
            }
            rules.add(rule);
            return this;
        }

        /** Makes this proxy a member of a fleet once {@link LayerProxy#joinFleet} is called. */
        public Builder fleet(Fleet.Settings settings) {
            this.fleet = Objects.requireNonNull(settings, "settings");
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

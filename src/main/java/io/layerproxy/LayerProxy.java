package io.layerproxy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
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
 *     .addLayer(EhcacheLayers.memory(512 << 20))
 *     .addLayer(EhcacheLayers.disk(Path.of("/var/cache/layerproxy"), 20L << 30))
 *     .origin(S3Origin.create(s3Client))
 *     .build();
 * }</pre>
 */
public final class LayerProxy implements AutoCloseable {
    /** The layer name reported when bytes or metadata came from the origin. */
    public static final String ORIGIN = "origin";

    private static final Logger LOG = LoggerFactory.getLogger(LayerProxy.class);

    private final List<GuardedLayer> layers;
    private final Origin origin;
    private final int blockSize;
    private final Duration maxAge;
    private final Clock clock;
    private final Set<String> buckets;

    private LayerProxy(Builder b) {
        this.layers = b.layers.stream().map(GuardedLayer::new).toList();
        this.origin = Objects.requireNonNull(b.origin, "origin");
        this.blockSize = b.blockSize;
        this.maxAge = b.maxAge;
        this.clock = b.clock;
        this.buckets = Set.copyOf(b.buckets);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The metadata lookup's answer: {@code info} is null when the object does not exist. */
    public record Lookup(ObjectInfo info, String layer) {
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
     * The object's current metadata, from the fastest layer holding a version validated within max-age, else
     * from the origin. A bucket outside the allowlist is not found, without asking the origin.
     */
    public Lookup lookup(ObjectKey key) {
        if (!allows(key.bucket())) {
            return new Lookup(null, "allowlist");
        }
        String metaKey = metaKey(key);
        Instant now = clock.instant();
        for (int i = 0; i < layers.size(); i++) {
            GuardedLayer layer = layers.get(i);
            byte[] raw = layer.get(metaKey);
            if (raw == null) {
                continue;
            }
            ObjectInfo info = InfoCodec.decode(raw);
            if (info == null) {
                LOG.warn("dropping undecodable metadata for {} from the {} layer", key, layer.name());
                layer.remove(metaKey);
                continue;
            }
            if (info.validatedAt().plus(maxAge).isAfter(now)) {
                for (int j = 0; j < i; j++) {
                    layers.get(j).put(metaKey, raw);
                }
                return new Lookup(info, layer.name());
            }
            break; // stale: the origin decides; same-ETag blocks stay valid because they are version-addressed
        }
        ObjectInfo info = origin.head(key);
        if (info == null) {
            removeEverywhere(metaKey);
            return new Lookup(null, ORIGIN);
        }
        info = info.validatedAt(now);
        byte[] raw = InfoCodec.encode(info);
        for (GuardedLayer layer : layers) {
            layer.put(metaKey, raw);
        }
        return new Lookup(info, ORIGIN);
    }

    /**
     * Opens bytes {@code [start, end)} of the version {@code info} describes. The first block is read before
     * this returns, so {@link ObjectBody#firstLayer()} is known before response headers are sent.
     */
    public ObjectBody open(ObjectKey key, ObjectInfo info, long start, long end) {
        if (start < 0 || end > info.size() || start > end) {
            throw new IllegalArgumentException("range [" + start + ", " + end + ") outside 0.." + info.size());
        }
        return new BlockReader(this, key, info, start, end);
    }

    /** Forgets the object's metadata in every layer; its blocks become unreachable and age out. */
    public void invalidate(ObjectKey key) {
        removeEverywhere(metaKey(key));
    }

    public int blockSize() {
        return blockSize;
    }

    /** Layer failures (reads, writes, removes that threw), summed over layers; each one was served as a miss. */
    public long layerFailures() {
        return layers.stream().mapToLong(GuardedLayer::failures).sum();
    }

    @Override
    public void close() {
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
        return "b:" + blockSize + ":" + index + ":" + info.etag() + ":" + key.bucket() + "/" + key.key();
    }

    private static String metaKey(ObjectKey key) {
        return "m:" + key.bucket() + "/" + key.key();
    }

    private void removeEverywhere(String key) {
        for (GuardedLayer layer : layers) {
            layer.remove(key);
        }
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

        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Restricts the proxy to these buckets; empty means any bucket the credentials can read. */
        public Builder buckets(Set<String> buckets) {
            this.buckets = Set.copyOf(buckets);
            return this;
        }

        public LayerProxy build() {
            return new LayerProxy(this);
        }
    }
}

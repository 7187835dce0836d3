package io.layerproxy.layer;

import io.layerproxy.Layer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import org.apache.commons.io.file.PathUtils;
import org.ehcache.Cache;
import org.ehcache.CacheManager;
import org.ehcache.PersistentCacheManager;
import org.ehcache.config.builders.CacheConfigurationBuilder;
import org.ehcache.config.builders.CacheManagerBuilder;
import org.ehcache.config.builders.ResourcePoolsBuilder;
import org.ehcache.config.units.MemoryUnit;
import org.ehcache.core.internal.resilience.ThrowingResilienceStrategy;
import org.ehcache.core.internal.statistics.DefaultStatisticsService;
import org.ehcache.core.spi.service.StatisticsService;
import org.ehcache.core.statistics.TierStatistics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Local layers on Ehcache 3 tiers: {@link #memory} (a few hot entries on heap, the rest off-heap, bounded in
 * bytes) and {@link #disk} (a persistent disk tier, bounded in bytes, that survives a clean restart).
 */
public final class EhcacheLayer implements Layer {
    private static final Logger LOG = LoggerFactory.getLogger(EhcacheLayer.class);
    private static final String CACHE = "layerproxy";

    private final String name;
    /** The tier that holds every entry (heap holds copies of hot ones): its counts are the layer's. */
    private final String authority;

    private final StatisticsService statistics;
    private final CacheManager manager;
    private final Cache<String, ByteBuffer> cache;
    private final long capacity;
    private final AtomicLong damaged = new AtomicLong();
    /** Large values as a body and a tail ({@link SplitValues}): the disk store's power-of-two chunks. */
    private final boolean split;

    private EhcacheLayer(
            String name, String authority, StatisticsService statistics, CacheManager manager, long capacity) {
        this.name = name;
        this.authority = authority;
        this.statistics = statistics;
        this.manager = manager;
        this.capacity = capacity;
        this.split = "disk".equals(name);
        this.cache = manager.getCache(CACHE, String.class, ByteBuffer.class);
    }

    /**
     * A memory layer holding at most {@code bytes} off-heap (direct memory, allocated up front). There is no heap
     * tier: it would keep the proxy's pooled buffers by reference.
     */
    public static EhcacheLayer memory(long bytes) {
        ResourcePoolsBuilder pools = ResourcePoolsBuilder.newResourcePoolsBuilder();
        pools = pools.offheap(bytes, MemoryUnit.B);
        try {
            StatisticsService statistics = new DefaultStatisticsService();
            CacheManager manager = CacheManagerBuilder.newCacheManagerBuilder()
                    .using(statistics)
                    .withCache(
                            CACHE,
                            CacheConfigurationBuilder.newCacheConfigurationBuilder(
                                            String.class, ByteBuffer.class, pools)
                                    .withValueSerializer(new BufferSerializer(false)))
                    .build(true);
            return new EhcacheLayer("memory", "OffHeap", statistics, manager, bytes);
        } catch (RuntimeException | OutOfMemoryError e) {
            // Ehcache allocates the whole off-heap tier up front, from the JVM's direct memory
            throw new IllegalStateException(
                    "memory layer of " + bytes + " bytes could not be allocated (" + rootMessage(e)
                            + "); lower cache-size or raise -XX:MaxDirectMemorySize",
                    e);
        }
    }

    /**
     * A disk layer in {@code dir} holding at most {@code bytes}. What it held when last closed cleanly is there
     * again after a restart; every value is checked against its CRC32C on read, and one that does not verify is
     * dropped and read as a miss. The layer keeps working through disk trouble: while the folder cannot be used
     * (missing, read-only, full, locked) it is a miss, and it is reopened when the folder is usable again.
     */
    public static Layer disk(Path dir, long bytes) {
        return new RecoveringDiskLayer(dir, bytes);
    }

    /**
     * Opens the disk store in {@code dir}. A store that cannot be opened (damaged, written by an incompatible
     * configuration) is discarded and started empty: it is only a cache.
     *
     * @throws IllegalStateException when the folder cannot be used at all (not writable, locked by another process)
     */
    static EhcacheLayer openDisk(Path dir, long bytes) {
        try {
            long onDisk = storeBytes(dir);
            EhcacheLayer layer = tryOpenDisk(dir, bytes);
            Stats stats = layer.stats();
            if (onDisk > 0 && stats.entries() == 0) {
                LOG.warn(
                        "disk cache in {} held {} bytes but opened empty: it was not closed cleanly (a crash, kill -9"
                                + " or power loss), so Ehcache discarded it",
                        dir,
                        onDisk);
            } else if (stats.entries() > 0) {
                LOG.info("disk cache in {}: {} entries kept from the last run", dir, stats.entries());
            }
            return layer;
        } catch (RuntimeException first) {
            LOG.warn(
                    "disk cache in {} could not be opened ({}); discarding it and starting empty",
                    dir,
                    rootMessage(first));
            try {
                deleteStore(dir);
                return tryOpenDisk(dir, bytes);
            } catch (RuntimeException | IOException second) {
                throw new IllegalStateException(
                        "disk cache folder " + dir + " is not usable: " + rootMessage(second), second);
            }
        }
    }

    private static EhcacheLayer tryOpenDisk(Path dir, long bytes) {
        StatisticsService statistics = new DefaultStatisticsService();
        PersistentCacheManager manager = CacheManagerBuilder.newCacheManagerBuilder()
                .using(statistics)
                .using(new SynchronousWrites())
                .with(CacheManagerBuilder.persistence(dir.toFile()))
                .withCache(
                        CACHE,
                        CacheConfigurationBuilder.newCacheConfigurationBuilder(
                                        String.class,
                                        ByteBuffer.class,
                                        ResourcePoolsBuilder.newResourcePoolsBuilder()
                                                .disk(bytes, MemoryUnit.B, true))
                                .withValueSerializer(new BufferSerializer(true))
                                // failures reach RecoveringDiskLayer, which decides; Ehcache's default logs and hides
                                // them
                                .withResilienceStrategy(new ThrowingResilienceStrategy<>()))
                .build(true);
        return new EhcacheLayer("disk", "Disk", statistics, manager, bytes);
    }

    /** The bytes of the store files in {@code dir} (0 when there are none or they cannot be read). */
    private static long storeBytes(Path dir) {
        Path files = dir.resolve("file");
        if (!Files.isDirectory(files)) {
            return 0;
        }
        try (var walk = Files.walk(files)) {
            return walk.filter(Files::isRegularFile)
                    .mapToLong(f -> f.toFile().length())
                    .sum();
        } catch (IOException | java.io.UncheckedIOException e) {
            return 0;
        }
    }

    static void deleteStore(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            PathUtils.cleanDirectory(dir);
        }
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long capacity() {
        return capacity;
    }

    @Override
    public Stats stats() {
        TierStatistics tier =
                statistics.getCacheStatistics(CACHE).getTierStatistics().get(authority);
        if (tier == null) {
            return Stats.UNKNOWN;
        }
        return new Stats(tier.getMappings(), tier.getOccupiedByteSize(), tier.getEvictions(), true);
    }

    @Override
    public ByteBuffer get(String key, IntFunction<ByteBuffer> allocate) {
        ByteBuffer value = split
                ? SplitValues.get(cache, key, allocate)
                : BufferSerializer.readingInto(allocate, () -> cache.get(key));
        if (value == BufferSerializer.DAMAGED) {
            if (damaged.getAndIncrement() == 0) {
                LOG.warn(
                        "{} layer: the value under {} does not match its checksum; dropped (further ones are"
                                + " logged at debug)",
                        name,
                        key);
            } else {
                LOG.debug("{} layer: the value under {} does not match its checksum; dropped", name, key);
            }
            remove(key);
            return null;
        }
        return value;
    }

    @Override
    public void put(String key, ByteBuffer value) {
        if (split) {
            SplitValues.put(cache, key, value);
        } else {
            cache.put(key, value);
        }
    }

    /** Ehcache's own lookup, without reading or copying the value. */
    @Override
    public boolean contains(String key) {
        return cache.containsKey(key) || (split && SplitValues.contains(cache, key));
    }

    @Override
    public void remove(String key) {
        if (split) {
            SplitValues.remove(cache, key);
        } else {
            cache.remove(key);
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}

package io.layerproxy.cache;

import io.layerproxy.Layer;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Turns a failing layer into a missing one: logs the first failure loudly, counts the rest. */
final class GuardedLayer {
    private static final Logger LOG = LoggerFactory.getLogger(GuardedLayer.class);

    private final Layer layer;
    private final AtomicLong failures = new AtomicLong();
    private final ProxyMetrics.LayerMeters meters;

    GuardedLayer(Layer layer, MeterRegistry registry) {
        this.layer = layer;
        this.meters = ProxyMetrics.register(registry, this);
    }

    String name() {
        return layer.name();
    }

    long capacity() {
        try {
            return layer.capacity();
        } catch (RuntimeException | InternalError e) {
            return Long.MAX_VALUE;
        }
    }

    long failures() {
        return failures.get();
    }

    /** Counted gets that found a value (the metadata's second look is not counted). */
    long hits() {
        return (long) meters.hits().count();
    }

    long misses() {
        return (long) meters.misses().count();
    }

    /** A hit answered from a copy of what this layer holds ({@link MetadataMemo}). */
    void countHit() {
        meters.hits().increment();
    }

    /** A small value (metadata), in an array of its own. */
    byte[] get(String key) {
        return array(get(key, ByteBuffer::allocate));
    }

    /** A small value, without counting a hit or miss (a second look that is not a client's read); null on failure. */
    byte[] peek(String key) {
        return array(read(key, ByteBuffer::allocate));
    }

    /** A value copied into a buffer from {@code allocate}, without counting a hit or miss; null when absent. */
    ByteBuffer peek(String key, IntFunction<ByteBuffer> allocate) {
        return read(key, allocate);
    }

    /** Whether the layer probably holds the key (see {@link Layer#contains}); false when it fails. */
    boolean contains(String key) {
        try {
            return layer.contains(key);
        } catch (RuntimeException | InternalError e) {
            failed("read", e);
            return false;
        }
    }

    /** A value copied into a buffer from {@code allocate} (see {@link Layer#get}), or null. */
    ByteBuffer get(String key, IntFunction<ByteBuffer> allocate) {
        ByteBuffer value = read(key, allocate);
        (value == null ? meters.misses() : meters.hits()).increment();
        return value;
    }

    private ByteBuffer read(String key, IntFunction<ByteBuffer> allocate) {
        try {
            return layer.get(key, allocate);
        } catch (RuntimeException | OutOfMemoryError | InternalError e) {
            // OutOfMemoryError: the layer could not get direct memory for its read (see BlockPipeline); a miss
            failed("read", e);
            return null;
        }
    }

    private static byte[] array(ByteBuffer value) {
        if (value == null) {
            return null;
        }
        byte[] bytes = new byte[value.remaining()];
        value.get(bytes);
        return bytes;
    }

    static void putEverywhere(List<GuardedLayer> layers, String key, byte[] value) {
        for (GuardedLayer layer : layers) {
            layer.put(key, value);
        }
    }

    static void removeEverywhere(List<GuardedLayer> layers, String key) {
        for (GuardedLayer layer : layers) {
            layer.remove(key);
        }
    }

    Layer.Stats stats() {
        try {
            return layer.stats();
        } catch (RuntimeException | InternalError e) {
            return Layer.Stats.UNKNOWN;
        }
    }

    void put(String key, byte[] value) {
        put(key, ByteBuffer.wrap(value));
    }

    void put(String key, ByteBuffer value) {
        try {
            layer.put(key, value);
        } catch (RuntimeException | OutOfMemoryError | InternalError e) {
            failed("write", e);
        }
    }

    void remove(String key) {
        try {
            layer.remove(key);
        } catch (RuntimeException | InternalError e) {
            failed("remove", e);
        }
    }

    void close() {
        try {
            layer.close();
        } catch (RuntimeException | InternalError e) {
            LOG.warn("closing the {} layer failed: {}", layer.name(), e.toString());
        }
    }

    private void failed(String what, Throwable e) {
        if (failures.getAndIncrement() == 0) {
            LOG.warn(
                    "{} layer {} failed, treating it as a miss (further failures are counted): {}",
                    layer.name(),
                    what,
                    e.toString());
        } else {
            LOG.debug("{} layer {} failed: {}", layer.name(), what, e.toString());
        }
    }
}

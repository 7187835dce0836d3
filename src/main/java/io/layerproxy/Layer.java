package io.layerproxy;

import java.nio.ByteBuffer;
import java.util.function.IntFunction;

/**
 * One local cache layer: a bounded store of byte values under string keys. Layers are stacked fastest first in
 * {@link LayerProxy.Builder#addLayer(Layer)}; a value found in a slower layer is copied into the faster ones.
 *
 * <p>A layer holds both object metadata and version-addressed blocks; the keys are built by {@link LayerProxy}.
 * A layer may drop any entry at any time (eviction). A layer that fails must behave as a miss: implementations
 * may throw, and the proxy logs, counts and carries on, but never fails a request because of a layer.
 */
public interface Layer extends AutoCloseable {
    /** Short name reported in {@code X-Cache-Layer}, e.g. {@code memory} or {@code disk}. */
    String name();

    /**
     * Copies the value stored under {@code key} into a buffer from {@code allocate} (called with the value's length;
     * it returns a buffer with at least that many bytes remaining) and returns that buffer flipped: the value from
     * its position to its limit. Null when this layer does not hold the key (then {@code allocate} may not be called).
     * The caller owns the buffer: the proxy passes pooled block buffers here, so a hit copies once and allocates
     * nothing.
     */
    ByteBuffer get(String key, IntFunction<ByteBuffer> allocate);

    /**
     * Stores the remaining bytes of {@code value}; the layer may evict others, or refuse it silently when it is too
     * big. The layer must not modify {@code value}, nor use it after this returns (it is a pooled buffer).
     */
    void put(String key, ByteBuffer value);

    /**
     * The most bytes this layer holds; objects larger than that are not stored in it. Unbounded by default.
     */
    default long capacity() {
        return Long.MAX_VALUE;
    }

    /** What a layer holds, for metrics and the status page; -1 where the layer cannot tell. */
    record Stats(long entries, long bytes, long evictions, boolean usable) {
        public static final Stats UNKNOWN = new Stats(-1, -1, -1, true);
    }

    /** What this layer holds now; {@link Stats#UNKNOWN} by default. Called on every metrics scrape: keep it cheap. */
    default Stats stats() {
        return Stats.UNKNOWN;
    }

    /**
     * Whether this layer probably holds {@code key}: a hint for reading ahead (a later get may still miss), so it
     * should be cheaper than a get. By default a get.
     */
    default boolean contains(String key) {
        return get(key, ByteBuffer::allocate) != null;
    }

    /** Forgets the value under {@code key}, if any. */
    void remove(String key);

    /** Releases the layer's resources; a persistent layer flushes what must survive a restart. */
    @Override
    void close();
}

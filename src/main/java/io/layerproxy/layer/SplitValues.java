package io.layerproxy.layer;

import java.nio.ByteBuffer;
import java.util.function.IntFunction;
import org.ehcache.Cache;

/**
 * Large values in Ehcache's disk store as a body and a small tail. The store gives each value a power-of-two chunk,
 * and a block plus its checksum header and Ehcache's own entry overhead is just past one: every 1 MiB block took
 * 2 MiB, so the disk layer held half of {@code --disk-size}. A body a little under the power of two and a tail of
 * 1/256 of it take about 1.004 times the block. The two are separate entries: when either is missing or damaged the
 * value is a miss and both are dropped, so a torn pair is never served.
 */
final class SplitValues {
    /** Values at least this large are split; smaller ones (metadata) waste little in their chunk. */
    static final int SPLIT_FROM = 64 << 10;

    private static final String BODY = "\u0000b";
    private static final String TAIL = "\u0000t";

    private SplitValues() {}

    /** The tail's length: its chunk, with the header and Ehcache's overhead, stays within 1/256 of the value. */
    static int tailLength(int length) {
        return Math.max(64, length / 256 - 128);
    }

    /** Whether both parts of a split value are there (they may still be damaged). */
    static boolean contains(Cache<String, ByteBuffer> cache, String key) {
        return cache.containsKey(key + TAIL) && cache.containsKey(key + BODY);
    }

    static void put(Cache<String, ByteBuffer> cache, String key, ByteBuffer value) {
        if (value.remaining() < SPLIT_FROM) {
            if (cache.containsKey(key + TAIL)) {
                cache.remove(key + TAIL); // a split value stored before under the key would hide this one
                cache.remove(key + BODY);
            }
            cache.put(key, value);
            return;
        }
        int bodyEnd = value.limit() - tailLength(value.remaining());
        cache.remove(key); // the whole value, as an earlier version of the layer stored it
        cache.put(key + BODY, value.duplicate().limit(bodyEnd));
        cache.put(key + TAIL, value.duplicate().position(bodyEnd));
    }

    /**
     * The value under {@code key}, read into a buffer from {@code allocate}; null when absent or incomplete, and
     * {@link BufferSerializer#DAMAGED} when a part does not match its checksum.
     */
    static ByteBuffer get(Cache<String, ByteBuffer> cache, String key, IntFunction<ByteBuffer> allocate) {
        ByteBuffer tail = BufferSerializer.readingInto(null, () -> cache.get(key + TAIL)); // small: a heap copy
        if (tail == null) {
            return BufferSerializer.readingInto(allocate, () -> cache.get(key));
        }
        if (tail == BufferSerializer.DAMAGED) {
            return tail;
        }
        // the body straight into the caller's buffer, sized for body and tail, then the tail after it
        ByteBuffer[] whole = new ByteBuffer[1];
        ByteBuffer body = BufferSerializer.readingInto(
                n -> whole[0] = allocate.apply(n + tail.remaining()), () -> cache.get(key + BODY));
        if (body == null || body == BufferSerializer.DAMAGED) {
            return body;
        }
        ByteBuffer into = whole[0]; // the same buffer as body: read its bounds before moving them
        int start = body.position();
        int bodyEnd = body.limit();
        into.limit(into.capacity()).position(bodyEnd);
        if (into.remaining() < tail.remaining()) {
            return BufferSerializer.DAMAGED; // cannot happen with a buffer from allocate: never serve a part
        }
        into.put(tail);
        return into.limit(into.position()).position(start);
    }

    static void remove(Cache<String, ByteBuffer> cache, String key) {
        cache.remove(key);
        cache.remove(key + BODY);
        cache.remove(key + TAIL);
    }
}

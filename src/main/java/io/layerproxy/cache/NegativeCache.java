package io.layerproxy.cache;

import io.layerproxy.ObjectKey;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * "Does not exist" answers, kept for the negative TTL in a space of their own, bounded by count (least recently used
 * out first): in the layers they shared the memory layer's bytes, and 50,000 distinct misses — one cheap request each
 * — pushed a hot object back to the origin.
 */
final class NegativeCache {
    /** Enough for the repeated 404s a site sees (favicons, probes, missing assets); a flood only churns itself. */
    static final int MAX_ENTRIES = 10_000;

    private final Map<ObjectKey, Instant> entries = new LinkedHashMap<>(256, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<ObjectKey, Instant> eldest) {
            return size() > MAX_ENTRIES;
        }
    };

    /** Notes that the origin said at {@code when} that {@code key} does not exist. */
    synchronized void put(ObjectKey key, Instant when) {
        entries.put(key, when);
    }

    /** When the origin said {@code key} does not exist, or null. */
    synchronized @Nullable Instant get(ObjectKey key) {
        return entries.get(key);
    }

    synchronized void remove(ObjectKey key) {
        entries.remove(key);
    }

    synchronized int size() {
        return entries.size();
    }
}

package io.layerproxy.cache;

import io.layerproxy.ObjectKey;
import java.time.Instant;
import java.util.Iterator;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * "Does not exist" answers, kept for the negative TTL in a space of their own, bounded by count: in the layers they
 * shared the memory layer's bytes, and 50,000 distinct misses — one cheap request each — pushed a hot object back to
 * the origin. Every read looks here first, so lookups take no lock; past the bound, arbitrary entries make room (a
 * flood only churns itself).
 */
final class NegativeCache {
    /** Enough for the repeated 404s a site sees (favicons, probes, missing assets). */
    static final int MAX_ENTRIES = 10_000;

    private final ConcurrentHashMap<ObjectKey, Instant> entries = new ConcurrentHashMap<>();

    /** Notes that the origin said at {@code when} that {@code key} does not exist. */
    void put(ObjectKey key, Instant when) {
        if (entries.size() >= MAX_ENTRIES) {
            Iterator<ObjectKey> some = entries.keySet().iterator();
            for (int i = 0; i < MAX_ENTRIES / 100 && some.hasNext(); i++) {
                some.next();
                some.remove();
            }
        }
        entries.put(key, when);
    }

    /** When the origin said {@code key} does not exist, or null. */
    @Nullable
    Instant get(ObjectKey key) {
        return entries.get(key);
    }

    void remove(ObjectKey key) {
        entries.remove(key);
    }

    /** Removes the entry only if it is still the one noted at {@code when} (another request may have renewed it). */
    void remove(ObjectKey key, Instant when) {
        entries.remove(key, when);
    }

    int size() {
        return entries.size();
    }
}

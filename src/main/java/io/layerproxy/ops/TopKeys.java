package io.layerproxy.ops;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apache.datasketches.frequencies.ErrorType;
import org.apache.datasketches.frequencies.ItemsSketch;

/**
 * The keys that weigh most (bytes read from S3, bytes served), from Apache DataSketches' frequent-items sketch: a
 * fixed number of counters whatever the number of keys, so a bucket of millions of keys costs the same memory as a
 * bucket of ten. Estimates are within {@link #maxError()} of the true weight.
 */
public final class TopKeys {
    /** Counters kept (a power of two); the sketch's error is about 3.5 / this of the total weight. */
    static final int COUNTERS = 256;

    private final ItemsSketch<String> sketch = new ItemsSketch<>(COUNTERS);

    /** One key and its estimated weight (never below the true one by more than {@link #maxError()}). */
    public record Entry(String key, long estimate) {}

    public synchronized void add(String key, long weight) {
        if (weight > 0) {
            sketch.update(key, weight);
        }
    }

    /** The heaviest keys, heaviest first, at most {@code n}. */
    public synchronized List<Entry> top(int n) {
        return Arrays.stream(sketch.getFrequentItems(ErrorType.NO_FALSE_NEGATIVES))
                .sorted(Comparator.comparingLong(ItemsSketch.Row<String>::getEstimate)
                        .reversed())
                .limit(n)
                .map(row -> new Entry(row.getItem(), row.getEstimate()))
                .toList();
    }

    /** The most any estimate may be off by. */
    public synchronized long maxError() {
        return sketch.getMaximumError();
    }
}

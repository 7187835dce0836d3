package io.layerproxy.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The frequent-items sketch finds the heaviest keys of a skewed workload, in bounded memory. */
class TopKeysTest {
    @Test
    void aZipfWorkload_overManyMoreKeysThanCounters_findsTheTopTen() {
        var top = new TopKeys();
        Map<String, Long> exact = new HashMap<>();
        var random = new Random(7);
        int keys = 20_000; // far more than the sketch's counters
        double[] cdf = new double[keys];
        double sum = 0;
        for (int i = 0; i < keys; i++) {
            sum += 1.0 / Math.pow(i + 1, 1.1);
            cdf[i] = sum;
        }
        for (int n = 0; n < 300_000; n++) {
            double u = random.nextDouble() * sum;
            int lo = 0;
            int hi = keys - 1;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (cdf[mid] < u) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            String key = "bucket/object-" + lo;
            long bytes = 1000 + random.nextInt(1000);
            top.add(key, bytes);
            exact.merge(key, bytes, Long::sum);
        }
        List<String> expected = exact.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()))
                .limit(10)
                .map(Map.Entry::getKey)
                .toList();
        List<TopKeys.Entry> found = top.top(10);
        assertEquals(expected, found.stream().map(TopKeys.Entry::key).toList());
        for (TopKeys.Entry entry : found) {
            long truth = exact.get(entry.key());
            assertTrue(
                    entry.estimate() >= truth && entry.estimate() - truth <= top.maxError(),
                    entry + " against " + truth + ", error at most " + top.maxError());
        }
    }
}

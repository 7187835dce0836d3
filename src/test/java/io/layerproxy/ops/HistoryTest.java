package io.layerproxy.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.testing.MutableClock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The status page's history on a clock moved by hand: bounded to an hour, rates, ratios and quantiles right. */
class HistoryTest {
    @Test
    void aDayOfSamples_keepsTheLastHour_inFixedMemory() {
        var clock = new MutableClock();
        var requests = new AtomicLong();
        var hits = new AtomicLong();
        var misses = new AtomicLong();
        var history = new History(
                clock,
                History.CAPACITY,
                List.of(
                        new History.Chart(
                                "requests",
                                Units.Unit.PER_SECOND,
                                "",
                                List.of(new History.Series("all", History.rate(requests::get)))),
                        new History.Chart(
                                "hits",
                                Units.Unit.PERCENT,
                                "",
                                List.of(new History.Series("memory", History.ratio(hits::get, misses::get))))));
        long samplesADay = Duration.ofDays(1).dividedBy(History.INTERVAL);
        for (long i = 0; i < samplesADay; i++) {
            clock.advance(History.INTERVAL);
            requests.addAndGet(50 + i % 2 * 100); // 10/s and 30/s in turn
            if (i % 4 != 0) { // three intervals of four: 3 hits and a miss; the fourth: nothing at all
                hits.addAndGet(3);
                misses.addAndGet(1);
            }
            history.sample();
        }
        History.Samples kept = history.samples();
        assertEquals(History.CAPACITY, kept.times().length, "an hour of samples, of a day's " + samplesADay);
        assertEquals(History.CAPACITY, history.size());
        assertEquals(clock.millis(), kept.times()[kept.times().length - 1], "newest last");
        assertEquals(
                Duration.ofHours(1).minus(History.INTERVAL).toMillis(),
                kept.times()[kept.times().length - 1] - kept.times()[0],
                "oldest first, an hour back");
        double[] rates = kept.values()[0][0];
        double[] ratios = kept.values()[1][0];
        for (int i = 0; i < rates.length; i++) {
            assertTrue(rates[i] == 10 || rates[i] == 30, "a rate per second: " + rates[i]);
            assertTrue(ratios[i] == 75 || Double.isNaN(ratios[i]), "a ratio of the interval, NaN when idle");
        }
    }

    @Test
    void quantiles_ofWhatTheIntervalAdded() {
        double[] bounds = {1, 2, 5, 10, 20, 50};
        double[] counts = new double[bounds.length];
        var clock = new MutableClock();
        var p50 = History.quantile(() -> new double[][] {bounds, counts.clone()}, 0.5);
        var p99 = History.quantile(() -> new double[][] {bounds, counts.clone()}, 0.99);
        // 100 requests: 60 within 2 ms, 39 within 10 ms, 1 at 50 ms (cumulative counts)
        add(counts, 1, 60);
        add(counts, 3, 39);
        add(counts, 5, 1);
        clock.advance(History.INTERVAL);
        assertEquals(2, p50.read(5));
        assertEquals(10, p99.read(5));
        assertTrue(Double.isNaN(p50.read(5)), "nothing recorded since: no latency");
    }

    private static void add(double[] cumulative, int bucket, int n) {
        for (int i = bucket; i < cumulative.length; i++) {
            cumulative[i] += n;
        }
    }

    @Test
    void aChart_drawsOnePointPerSample_andBreaksAtGaps() {
        long now = 1_000_000L;
        long[] times = {now - 15_000, now - 10_000, now - 5_000, now};
        String svg = SvgChart.render(
                "bytes",
                Units.Unit.BYTES_PER_SECOND,
                times,
                now,
                Duration.ofHours(1).toMillis(),
                List.of(
                        new SvgChart.Line("served", new double[] {1e6, 2e6, Double.NaN, 3e6}),
                        new SvgChart.Line("read", new double[] {0, 0, 0, 0})));
        assertTrue(svg.startsWith("<svg class=\"chart\""), svg);
        assertTrue(svg.contains("data-series=\"served\" data-points=\"3\""), svg);
        assertTrue(svg.contains("data-series=\"read\" data-points=\"4\""), svg);
        Matcher moves = Pattern.compile("d=\"([^\"]*)\"").matcher(svg);
        assertTrue(moves.find());
        assertEquals(2, moves.group(1).split("M").length - 1, "the gap starts a new segment: " + moves.group(1));
        assertTrue(svg.contains(">5.00 MB/s</text>"), "the axis in human units, up to a round 5 MB/s: " + svg);
        assertTrue(svg.contains("served: 3.00 MB/s now"), "the tooltip says the latest value");
    }

    @Test
    void units_areReadable() {
        assertEquals("10.5 MB", Units.bytes(10_508_800));
        assertEquals("10.0 GB", Units.bytes(10_000_000_000L));
        assertEquals("631 B", Units.bytes(631));
        assertEquals("63.6 %", Units.percent(63.6));
        assertEquals("12,345", Units.count(12_345));
        assertEquals("2.5/s", Units.format(2.5, Units.Unit.PER_SECOND));
        assertEquals("4.20 ms", Units.millis(4.2));
    }
}

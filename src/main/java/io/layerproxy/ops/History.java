package io.layerproxy.ops;

import io.layerproxy.LayerProxy;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last hour of the proxy's figures for the status page's charts: every {@link #INTERVAL} one sample of each
 * series (rates over the interval, ratios of what happened in it, gauges as they are), kept in a ring of fixed size,
 * so its memory does not grow with uptime: {@link #CAPACITY} samples of a few dozen numbers.
 */
public final class History implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(History.class);
    public static final Duration INTERVAL = Duration.ofSeconds(5);
    /** An hour of samples. */
    public static final int CAPACITY = 720;

    /** A value per interval, from what it remembers of the last one. */
    interface Probe {
        double read(double seconds);
    }

    /** One series of a chart. */
    record Series(String name, Probe probe) {}

    /** One chart: what it shows, in which unit, a one-line explanation, and its series. */
    record Chart(String title, Units.Unit unit, String help, List<Series> series) {}

    /** The samples in time order: {@code values[chart][series][sample]}. */
    public record Samples(long[] times, List<Chart> charts, double[][][] values) {
        /** As the status page's JSON carries them: the interval, the times, each chart's series by name. */
        Map<String, Object> asMap() {
            Map<String, Object> h = new LinkedHashMap<>();
            h.put("interval seconds", INTERVAL.toSeconds());
            h.put("times", Arrays.stream(times).boxed().toList());
            List<Map<String, Object>> all = new ArrayList<>();
            for (int c = 0; c < charts.size(); c++) {
                Chart chart = charts.get(c);
                Map<String, Object> series = new LinkedHashMap<>();
                for (int i = 0; i < chart.series().size(); i++) {
                    series.put(
                            chart.series().get(i).name(),
                            Arrays.stream(values[c][i]).boxed().toList());
                }
                Map<String, Object> one = new LinkedHashMap<>();
                one.put("title", chart.title());
                one.put("unit", chart.unit().name().toLowerCase(Locale.ROOT));
                one.put("series", series);
                all.add(one);
            }
            h.put("charts", all);
            return h;
        }
    }

    private final Clock clock;
    private final List<Chart> charts;
    private final int capacity;
    private final long[] times;
    /** {@code [slot][chart][series]}. */
    private final double[][][] values;

    private int next;
    private int size;
    private long lastMillis;
    private @Nullable ScheduledExecutorService sampler;

    History(Clock clock, int capacity, List<Chart> charts) {
        this.clock = clock;
        this.capacity = capacity;
        this.charts = List.copyOf(charts);
        this.times = new long[capacity];
        this.values = new double[capacity][charts.size()][];
        this.lastMillis = clock.millis(); // the probes took their starting points when they were made
    }

    /** The status page's charts for {@code proxy}, sampled every {@link #INTERVAL} on a daemon thread until closed. */
    public static History start(LayerProxy proxy, InFlight inFlight, Supplier<StatusPage.Requests> requests) {
        var history = new History(Clock.systemUTC(), CAPACITY, Charts.of(proxy, inFlight, requests));
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread t = new Thread(runnable, "layerproxy-history");
            t.setDaemon(true);
            return t;
        });
        long every = INTERVAL.toMillis();
        timer.scheduleAtFixedRate(history::sampleQuietly, every, every, TimeUnit.MILLISECONDS);
        history.sampler = timer;
        return history;
    }

    private void sampleQuietly() {
        try {
            sample();
        } catch (RuntimeException e) {
            LOG.debug("sampling the status history failed: {}", e.toString());
        }
    }

    /** Takes one sample now: each series' value over the time since the last one. */
    synchronized void sample() {
        long now = clock.millis();
        double seconds = Math.max(0.001, (now - lastMillis) / 1000.0);
        lastMillis = now;
        double[][] slot = values[next];
        for (int c = 0; c < charts.size(); c++) {
            List<Series> series = charts.get(c).series();
            double[] row = slot[c] == null || slot[c].length != series.size() ? new double[series.size()] : slot[c];
            for (int s = 0; s < series.size(); s++) {
                row[s] = series.get(s).probe().read(seconds);
            }
            slot[c] = row;
        }
        times[next] = now;
        next = (next + 1) % capacity;
        size = Math.min(size + 1, capacity);
    }

    /** A copy of what is kept, oldest sample first. */
    public synchronized Samples samples() {
        long[] t = new long[size];
        double[][][] v = new double[charts.size()][][];
        for (int c = 0; c < charts.size(); c++) {
            v[c] = new double[charts.get(c).series().size()][size];
        }
        for (int i = 0; i < size; i++) {
            int slot = (next - size + i + capacity) % capacity;
            t[i] = times[slot];
            for (int c = 0; c < charts.size(); c++) {
                for (int s = 0; s < v[c].length; s++) {
                    v[c][s][i] = values[slot][c][s];
                }
            }
        }
        return new Samples(t, charts, v);
    }

    /** How many samples are kept now (at most {@link #CAPACITY}). */
    synchronized int size() {
        return size;
    }

    @Override
    public void close() {
        if (sampler != null) {
            sampler.shutdownNow();
        }
    }

    /** Per second, of a counter that only grows. */
    static Probe rate(LongSupplier counter) {
        long[] last = {counter.getAsLong()};
        return seconds -> {
            long now = counter.getAsLong();
            double r = Math.max(0, now - last[0]) / seconds;
            last[0] = now;
            return r;
        };
    }

    /** Of what happened in the interval, the part that hit, in percent; NaN when nothing happened. */
    static Probe ratio(LongSupplier hits, LongSupplier misses) {
        long[] last = {hits.getAsLong(), misses.getAsLong()};
        return seconds -> {
            long h = hits.getAsLong();
            long m = misses.getAsLong();
            long dh = h - last[0];
            long dm = m - last[1];
            last[0] = h;
            last[1] = m;
            return dh + dm <= 0 ? Double.NaN : 100.0 * dh / (dh + dm);
        };
    }

    static Probe gauge(DoubleSupplier value) {
        return seconds -> value.getAsDouble();
    }

    /**
     * The {@code q} quantile of what a cumulative histogram ({@code [0]} upper bounds, {@code [1]} counts) gained in
     * the interval, as the upper bound of its bucket; NaN when nothing was recorded.
     */
    static Probe quantile(Supplier<double[][]> histogram, double q) {
        double[][] first = histogram.get();
        double[][] last = {first[1].clone()};
        return seconds -> {
            double[][] now = histogram.get();
            double[] bounds = now[0];
            double[] counts = now[1];
            double total = counts.length == 0 ? 0 : counts[counts.length - 1] - last[0][counts.length - 1];
            double answer = Double.NaN;
            if (total > 0) {
                for (int i = 0; i < counts.length; i++) {
                    if (counts[i] - last[0][i] >= q * total) {
                        answer = bounds[i];
                        break;
                    }
                }
            }
            last[0] = counts.clone();
            return answer;
        };
    }

    /** The charts of a proxy, from the figures it keeps anyway. */
    static final class Charts {
        private Charts() {}

        static List<Chart> of(LayerProxy proxy, InFlight inFlight, Supplier<StatusPage.Requests> requests) {
            List<Chart> charts = new ArrayList<>();
            List<Series> byClass = new ArrayList<>();
            for (String klass : new String[] {"2xx", "3xx", "4xx", "5xx"}) {
                byClass.add(new Series(
                        klass, rate(() -> requests.get().byStatusClass().getOrDefault(klass, 0L))));
            }
            charts.add(new Chart(
                    "Requests per second",
                    Units.Unit.PER_SECOND,
                    "Requests answered each second, by status class (2xx: served, 4xx: not found or refused, 5xx:"
                            + " S3 failing or the proxy overloaded).",
                    byClass));
            List<Series> hits = new ArrayList<>();
            List<Series> bytes = new ArrayList<>();
            for (LayerProxy.LayerState layer : proxy.layerStates()) {
                String name = layer.name();
                hits.add(new Series(
                        name,
                        ratio(
                                () -> state(proxy, name).hits(),
                                () -> state(proxy, name).misses())));
                bytes.add(new Series(
                        "served from " + name,
                        rate(() -> requests.get().servedBytesByLayer().getOrDefault(name, 0L))));
            }
            charts.add(new Chart(
                    "Hit ratio by layer",
                    Units.Unit.PERCENT,
                    "Of the lookups each layer got (metadata and blocks), the share it answered; a falling line"
                            + " means more reads go to the next layer or to S3.",
                    hits));
            if (proxy.fleet() != null) {
                bytes.add(new Series(
                        "served from peers",
                        rate(() -> requests.get().servedBytesByLayer().getOrDefault(LayerProxy.PEER, 0L))));
            }
            bytes.add(new Series(
                    "served from S3 (misses)",
                    rate(() -> requests.get().servedBytesByLayer().getOrDefault(LayerProxy.ORIGIN, 0L))));
            bytes.add(new Series("read from S3", rate(() -> proxy.originStats().bytesRead())));
            charts.add(new Chart(
                    "Bytes per second",
                    Units.Unit.BYTES_PER_SECOND,
                    "Body bytes sent to clients, by where the answer's first byte came from, and bytes read from S3"
                            + " (misses, read-ahead, prefetch: what S3 bills as egress).",
                    bytes));
            charts.add(new Chart(
                    "S3 latency",
                    Units.Unit.MILLIS,
                    "Time to S3's first byte for the HEADs and GETs answered in each interval (p50: half were"
                            + " faster; p99: one in a hundred was slower).",
                    List.of(
                            new Series("p50", quantile(proxy::originLatencies, 0.5)),
                            new Series("p99", quantile(proxy::originLatencies, 0.99)))));
            charts.add(new Chart(
                    "Concurrency",
                    Units.Unit.COUNT,
                    "Requests being answered right now, and reads per second that waited for another reader's S3"
                            + " request instead of sending their own (single flight).",
                    List.of(
                            new Series("requests in flight", gauge(inFlight::count)),
                            new Series(
                                    "single-flight waits per second",
                                    rate(() -> proxy.pipelineStats().flightWaits())))));
            charts.add(new Chart(
                    "Block memory",
                    Units.Unit.PERCENT,
                    "The share of --buffer-memory held by blocks in transit (clients' blocks, read-ahead, blocks"
                            + " waiting for the disk); past half, slow readers give their blocks back.",
                    List.of(new Series("in use", gauge(() -> {
                        var p = proxy.pipelineStats();
                        return p.bufferCapacity() == 0 ? 0 : 100.0 * p.bufferUsed() / p.bufferCapacity();
                    })))));
            return charts;
        }

        private static LayerProxy.LayerState state(LayerProxy proxy, String name) {
            for (LayerProxy.LayerState layer : proxy.layerStates()) {
                if (layer.name().equals(name)) {
                    return layer;
                }
            }
            throw new IllegalStateException("no layer " + name);
        }
    }
}

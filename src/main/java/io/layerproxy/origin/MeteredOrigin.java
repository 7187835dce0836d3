package io.layerproxy.origin;

import io.layerproxy.ObjectInfo;
import io.layerproxy.ObjectKey;
import io.layerproxy.Origin;
import io.layerproxy.OriginException;
import io.layerproxy.ops.TopKeys;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.InputStream;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.commons.io.input.ProxyInputStream;

/**
 * Measures every request that reaches the origin: {@code layerproxy.origin.requests} (a timer with a latency
 * histogram, by operation and outcome; for reads, the time until the body starts) and
 * {@code layerproxy.origin.bytes} (body bytes read). Sits inside the circuit breaker, so calls it refuses are not
 * counted as origin requests.
 */
final class MeteredOrigin implements Origin {
    private final Origin origin;
    private final MeterRegistry registry;
    private final Counter bytes;
    private final TopKeys topKeys = new TopKeys();
    /** The timers by operation and outcome, held so a request does no meter lookup and {@link #stats} can sum them. */
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();

    MeteredOrigin(Origin origin, MeterRegistry registry) {
        this.origin = origin;
        this.registry = registry;
        this.bytes = Counter.builder("layerproxy.origin.bytes")
                .baseUnit("bytes")
                .description("object bytes read from the origin")
                .register(registry);
        for (String operation : new String[] {"head", "revalidate", "get", "list", "list_page"}) {
            timer(operation, "ok"); // present from the start, so a rate over them is defined
        }
    }

    @Override
    public ObjectInfo head(ObjectKey key) {
        return timed("head", () -> origin.head(key));
    }

    @Override
    public ObjectInfo revalidate(ObjectKey key, ObjectInfo cached) {
        return timed("revalidate", () -> origin.revalidate(key, cached));
    }

    @Override
    public InputStream read(ObjectKey key, ObjectInfo version, long first, long last) {
        return counted(key, timed("get", () -> origin.read(key, version, first, last)));
    }

    /** Timed as a GET: one GET when the origin answers metadata and body together, as S3 does. */
    @Override
    public Fetched fetch(ObjectKey key) {
        return fetched(key, () -> origin.fetch(key));
    }

    @Override
    public Fetched fetch(ObjectKey key, long firstBytes) {
        return fetched(key, () -> origin.fetch(key, firstBytes));
    }

    /** A fetch timed as a GET, its body counted. */
    private Fetched fetched(ObjectKey key, Supplier<Fetched> fetch) {
        Fetched fetched = timed("get", fetch);
        return fetched == null ? null : new Fetched(fetched.info(), counted(key, fetched.body()), fetched.length());
    }

    /** Counts the body's bytes in the meter, and per key (for the status page's top objects) when it closes. */
    private InputStream counted(ObjectKey key, InputStream body) {
        return new ProxyInputStream(body) {
            private long read;

            @Override
            protected void afterRead(int n) {
                if (n > 0) {
                    bytes.increment(n);
                    read += n;
                }
            }

            @Override
            public void close() throws java.io.IOException {
                long total = read;
                read = 0;
                topKeys.add(key.bucket() + "/" + key.key(), total);
                super.close();
            }
        };
    }

    /** The keys that cost the most bytes from the origin. */
    TopKeys topKeys() {
        return topKeys;
    }

    /**
     * Origin latency so far, as a cumulative histogram of the answered HEADs and GETs (time to the first byte):
     * {@code [0]} the buckets' upper bounds in ms, {@code [1]} how many requests took at most that long.
     */
    double[][] latencies() {
        double[] bounds = null;
        double[] counts = null;
        for (String operation : new String[] {"head", "revalidate", "get"}) {
            io.micrometer.core.instrument.distribution.CountAtBucket[] buckets =
                    timer(operation, "ok").takeSnapshot().histogramCounts();
            if (bounds == null) {
                bounds = new double[buckets.length];
                counts = new double[buckets.length];
                for (int i = 0; i < buckets.length; i++) {
                    bounds[i] = buckets[i].bucket(java.util.concurrent.TimeUnit.MILLISECONDS);
                }
            }
            for (int i = 0; i < buckets.length && i < counts.length; i++) {
                counts[i] += buckets[i].count();
            }
        }
        return new double[][] {bounds, counts};
    }

    @Override
    public void list(String bucket, String prefix, Consumer<Listed> each) {
        timed("list", () -> {
            origin.list(bucket, prefix, each);
            return null;
        });
    }

    @Override
    public ListPage listPage(ListRequest request) {
        return timed("list_page", () -> origin.listPage(request));
    }

    @Override
    public java.util.List<Bucket> listBuckets() {
        return timed("list_buckets", origin::listBuckets);
    }

    @Override
    public void close() {
        origin.close();
    }

    private <T> T timed(String operation, Supplier<T> call) {
        long start = System.nanoTime();
        String outcome = "error";
        try {
            T result = call.get();
            outcome = "ok";
            return result;
        } catch (OriginException e) {
            outcome = e.kind().name().toLowerCase(java.util.Locale.ROOT);
            throw e;
        } catch (UnsupportedOperationException e) {
            outcome = "unsupported";
            throw e;
        } finally {
            timer(operation, outcome).record(Duration.ofNanos(System.nanoTime() - start));
        }
    }

    /** Requests sent to the origin (all operations), those answered (outcome ok), and object bytes read. */
    GuardedOrigin.Stats stats() {
        long requests = 0;
        long ok = 0;
        for (Map.Entry<String, Timer> timer : timers.entrySet()) {
            requests += timer.getValue().count();
            if (timer.getKey().endsWith(" ok")) {
                ok += timer.getValue().count();
            }
        }
        return new GuardedOrigin.Stats(requests, ok, (long) bytes.count());
    }

    private Timer timer(String operation, String outcome) {
        return timers.computeIfAbsent(operation + " " + outcome, k -> newTimer(operation, outcome));
    }

    private Timer newTimer(String operation, String outcome) {
        return Timer.builder("layerproxy.origin.requests")
                .description("requests sent to the origin, by operation and outcome; reads timed to the first byte")
                .tag("operation", operation)
                .tag("outcome", outcome)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry);
    }
}

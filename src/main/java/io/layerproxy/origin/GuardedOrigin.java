package io.layerproxy.origin;

import io.layerproxy.ObjectInfo;
import io.layerproxy.ObjectKey;
import io.layerproxy.Origin;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * The origin as the core uses it: metered ({@code layerproxy.origin.*}), behind a circuit breaker that fails fast
 * while S3 is down, with a readiness probe beside it. Built once by {@code LayerProxy}; internal, not API.
 */
public final class GuardedOrigin implements Origin {
    /** Outages in a row that open the circuit. */
    public static final int FAILURES_TO_OPEN = CircuitBreaker.FAILURES_TO_OPEN;
    /** How long an open circuit fails fast before one call goes through as a probe. */
    public static final Duration OPEN_FOR = CircuitBreaker.OPEN_FOR;

    private final MeteredOrigin metered;
    private final CircuitBreaker circuit;
    private final OriginProbe probe;

    /** Wraps {@code origin}; the readiness probe asks {@code probeBucket}, whose answer (even 403/404) means "up". */
    /** What the origin was asked and answered since start (every operation; circuit-open refusals excluded). */
    public record Stats(long requests, long answered, long bytesRead) {}

    public GuardedOrigin(Origin origin, MeterRegistry registry, Clock clock, String probeBucket) {
        this.metered = new MeteredOrigin(origin, registry);
        this.circuit = new CircuitBreaker(metered, clock);
        this.probe = new OriginProbe(circuit, probeBucket, clock);
        Gauge.builder("layerproxy.origin.circuit.open", circuit, c -> c.open() ? 1 : 0)
                .description("1 while the circuit is open: S3 failed repeatedly and misses fail fast")
                .strongReference(true)
                .register(registry);
    }

    public Stats stats() {
        return metered.stats();
    }

    /** The keys that cost the most bytes from the origin since start (a bounded sketch). */
    public io.layerproxy.ops.TopKeys topKeys() {
        return metered.topKeys();
    }

    /**
     * The answered HEADs' and GETs' latency so far (to the first byte), as a cumulative histogram: {@code [0]} the
     * upper bounds in ms, {@code [1]} the requests at most that long.
     */
    public double[][] latencies() {
        return metered.latencies();
    }

    /** True while S3 failed repeatedly and calls fail fast without asking it. */
    public boolean circuitOpen() {
        return circuit.open();
    }

    /** Null when the origin answers requests, else why not; at most one HEAD every few seconds. */
    public String problem() {
        return probe.problem();
    }

    @Override
    public ObjectInfo head(ObjectKey key) {
        return circuit.head(key);
    }

    @Override
    public ObjectInfo revalidate(ObjectKey key, ObjectInfo cached) {
        return circuit.revalidate(key, cached);
    }

    @Override
    public InputStream read(ObjectKey key, ObjectInfo version, long first, long last) {
        return circuit.read(key, version, first, last);
    }

    @Override
    public Fetched fetch(ObjectKey key) {
        return circuit.fetch(key);
    }

    @Override
    public Fetched fetch(ObjectKey key, long firstBytes) {
        return circuit.fetch(key, firstBytes);
    }

    @Override
    public void list(String bucket, String prefix, Consumer<Listed> each) {
        circuit.list(bucket, prefix, each);
    }

    @Override
    public ListPage listPage(ListRequest request) {
        return circuit.listPage(request);
    }

    @Override
    public java.util.List<Bucket> listBuckets() {
        return circuit.listBuckets();
    }

    @Override
    public void close() {
        circuit.close();
    }
}

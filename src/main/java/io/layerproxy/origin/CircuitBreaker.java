package io.layerproxy.origin;

import io.layerproxy.ObjectInfo;
import io.layerproxy.ObjectKey;
import io.layerproxy.Origin;
import io.layerproxy.OriginException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops hammering an origin that is down. After {@link #FAILURES_TO_OPEN} calls in a row fail with
 * {@code UNAVAILABLE} or {@code TIMEOUT} (each one already retried by the S3 client), calls fail at once for
 * {@link #OPEN_FOR}; then one call goes through as a probe while the others keep failing fast, and its success closes
 * the circuit. Any answer from the origin, even a 403 or a 404, is a success: it is reachable.
 *
 * <p>It reflects S3, not one key: failures without an answer (no connection, a timeout) and throttling (503) count
 * wherever they come from, but a server error S3 answers for a key (a 500 for one malformed key) counts only when the
 * streak spans {@link #DISTINCT_KEYS_TO_OPEN} keys — one client asking for a bad key again and again cannot switch
 * off cold misses for everyone. Whole listings never probe: a large bucket's listing is no quick test of recovery,
 * so while the circuit is open they fail fast and a read's request (or one listing page, a client's or the watch
 * loop's) probes instead.
 */
final class CircuitBreaker implements Origin {
    private static final Logger LOG = LoggerFactory.getLogger(CircuitBreaker.class);
    static final int FAILURES_TO_OPEN = 5;
    static final Duration OPEN_FOR = Duration.ofSeconds(3);
    /** How many keys' answered server errors in one streak count as the origin failing. */
    static final int DISTINCT_KEYS_TO_OPEN = 3;

    private final Origin origin;
    private final Clock clock;
    private final AtomicInteger failuresInARow = new AtomicInteger();
    private final AtomicBoolean probing = new AtomicBoolean();
    /** The keys of this streak's answered server errors (a few suffice), and whether any failure was origin-wide. */
    private final Set<Object> streakKeys = ConcurrentHashMap.newKeySet();

    private volatile boolean streakOriginWide;
    private volatile boolean tripped;
    private volatile long openUntilMillis;

    CircuitBreaker(Origin origin, Clock clock) {
        this.origin = origin;
        this.clock = clock;
    }

    /** True while calls fail fast. */
    boolean open() {
        return tripped;
    }

    @Override
    public ObjectInfo head(ObjectKey key) {
        return call(key, () -> origin.head(key));
    }

    @Override
    public ObjectInfo revalidate(ObjectKey key, ObjectInfo cached) {
        return call(key, () -> origin.revalidate(key, cached));
    }

    @Override
    public InputStream read(ObjectKey key, ObjectInfo version, long first, long last) {
        return call(key, () -> origin.read(key, version, first, last));
    }

    @Override
    public Fetched fetch(ObjectKey key) {
        return call(key, () -> origin.fetch(key));
    }

    @Override
    public Fetched fetch(ObjectKey key, long firstBytes) {
        return call(key, () -> origin.fetch(key, firstBytes));
    }

    @Override
    public void list(String bucket, String prefix, Consumer<Listed> each) {
        listing(bucket, () -> {
            origin.list(bucket, prefix, each);
            return null;
        });
    }

    @Override
    public ListPage listPage(ListRequest request) {
        // a client's one page is a short request: it may probe, or a warm proxy would refuse listings for good
        return call(request.bucket(), () -> origin.listPage(request));
    }

    @Override
    public java.util.List<Bucket> listBuckets() {
        return call("the bucket list", origin::listBuckets);
    }

    @Override
    public void close() {
        origin.close();
    }

    /** A listing: as {@link #call}, but while the circuit is open it fails fast and never probes. */
    private <T> T listing(Object what, Supplier<T> call) {
        if (open()) {
            throw failingFast(what);
        }
        return call(what, call);
    }

    private OriginException failingFast(Object what) {
        return new OriginException(
                OriginException.Kind.UNAVAILABLE,
                "S3 is failing; " + what + " was not asked (tried again every " + OPEN_FOR.toSeconds() + " s)");
    }

    private <T> T call(Object what, Supplier<T> call) {
        boolean probe = false;
        if (open()) {
            if (clock.millis() < openUntilMillis || !probing.compareAndSet(false, true)) {
                throw failingFast(what);
            }
            probe = true;
        }
        try {
            T result = call.get();
            succeeded();
            return result;
        } catch (OriginException e) {
            if (e.isOutage()) {
                failed(e, what);
            } else {
                succeeded();
            }
            throw e;
        } finally {
            if (probe) {
                probing.set(false);
            }
        }
    }

    private void succeeded() {
        if (failuresInARow.get() != 0) {
            failuresInARow.set(0);
            streakKeys.clear();
            streakOriginWide = false;
        }
        if (tripped) {
            tripped = false;
            LOG.info("S3 answers again: requests go through");
        }
    }

    private void failed(OriginException e, Object what) {
        // no answer at all, or S3 throttling: the origin as a whole; an answered server error: that key's, so far
        if (e.status() == 0 || e.status() == 503) {
            streakOriginWide = true;
        } else if (streakKeys.size() < DISTINCT_KEYS_TO_OPEN) {
            streakKeys.add(what);
        }
        int failures = failuresInARow.incrementAndGet();
        if (failures >= FAILURES_TO_OPEN && (streakOriginWide || streakKeys.size() >= DISTINCT_KEYS_TO_OPEN)) {
            openUntilMillis = clock.millis() + OPEN_FOR.toMillis();
            if (!tripped) {
                tripped = true;
                LOG.warn(
                        "S3 failed {} times in a row (last: {}); failing fast, serving cached copies, and trying"
                                + " again every {} s",
                        failures,
                        e.getMessage(),
                        OPEN_FOR.toSeconds());
            }
        }
    }
}

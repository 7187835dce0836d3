package io.layerproxy.events;

import io.layerproxy.LayerProxy;
import io.layerproxy.ObjectInfo;
import io.layerproxy.ObjectKey;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies S3 event notifications to a proxy, whatever brought them (the SQS consumer, the webhook): an
 * {@code ObjectCreated} whose ETag is the cached one changes nothing; any other event drops the key's metadata
 * and the old version's blocks (in a fleet, on every member), so the next read asks S3. Events older than the
 * last one applied for the key (S3's per-key {@code sequencer}) and repeats are ignored; a lookup that was in
 * flight when the event came does not store what it found. Buckets outside the allowlist are ignored.
 */
public final class EventApplier {
    private static final Logger LOG = LoggerFactory.getLogger(EventApplier.class);
    /** Keys whose last sequencer is remembered; past this, the oldest are forgotten (their events then apply). */
    private static final int SEQUENCERS = 100_000;

    private final LayerProxy proxy;
    private final Map<ObjectKey, String> sequencers = new LinkedHashMap<>(1024, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<ObjectKey, String> eldest) {
            return size() > SEQUENCERS;
        }
    };
    private final Counter applied;
    private final Counter unchanged;
    private final Counter stale;
    private final Counter outside;
    private final Counter malformed;
    private final AtomicLong lastEventMillis = new AtomicLong();
    private final AtomicLong lagMillis = new AtomicLong();

    /** What one message did. */
    public record Outcome(int events, int applied, int ignored) {}

    public EventApplier(LayerProxy proxy) {
        this.proxy = proxy;
        MeterRegistry registry = proxy.meterRegistry();
        this.applied = counter(registry, "applied");
        this.unchanged = counter(registry, "unchanged");
        this.stale = counter(registry, "stale");
        this.outside = counter(registry, "outside");
        this.malformed = counter(registry, "malformed");
        Gauge.builder("layerproxy.events.last", lastEventMillis, a -> a.get() / 1000.0)
                .baseUnit("seconds")
                .description("when the last event arrived (Unix time); 0 before the first")
                .register(registry);
        Gauge.builder("layerproxy.events.queue.lag", lagMillis, a -> a.get() / 1000.0)
                .baseUnit("seconds")
                .description("how long the last message from SQS waited in the queue")
                .register(registry);
    }

    private static Counter counter(MeterRegistry registry, String outcome) {
        return Counter.builder("layerproxy.events")
                .tag("outcome", outcome)
                .description("S3 event notifications: applied (a key dropped), unchanged (the cached ETag), stale"
                        + " (an older sequencer), outside (a bucket not served), malformed messages")
                .register(registry);
    }

    /**
     * Applies every event of one message (any of the shapes {@link EventParser} reads).
     *
     * @throws IllegalArgumentException the message is none of them (counted as malformed)
     */
    public Outcome apply(String message) {
        List<S3Event> events;
        try {
            events = EventParser.parse(message);
        } catch (EventParser.Malformed e) {
            malformed.increment();
            throw new IllegalArgumentException("not an S3 event notification: " + e.getMessage(), e);
        }
        lastEventMillis.set(System.currentTimeMillis());
        int done = 0;
        for (S3Event event : events) {
            if (apply(event)) {
                done++;
            }
        }
        return new Outcome(events.size(), done, events.size() - done);
    }

    /** True when the event dropped the key. */
    boolean apply(S3Event event) {
        if (!proxy.allows(event.bucket())) {
            outside.increment();
            return false;
        }
        ObjectKey key;
        try {
            key = new ObjectKey(event.bucket(), event.key());
        } catch (IllegalArgumentException e) {
            outside.increment(); // a key this proxy cannot serve was never cached
            return false;
        }
        synchronized (sequencers) {
            if (!event.after(sequencers.get(key))) {
                stale.increment();
                LOG.debug("event for {} ignored: sequencer {} is not after the last one", key, event.sequencer());
                return false;
            }
            if (event.sequencer() != null) {
                sequencers.put(key, event.sequencer());
            }
        }
        ObjectInfo cached = proxy.cachedVersion(key);
        if (event.created() && event.etag() != null && cached != null && sameEtag(cached.etag(), event.etag())) {
            unchanged.increment();
            return false;
        }
        proxy.purge(key);
        if (event.versionId() != null) {
            proxy.purge(key.withVersion(event.versionId()));
        }
        applied.increment();
        LOG.info("event: {} {}; dropped from the cache", key, event.created() ? "created" : "removed");
        return true;
    }

    private static boolean sameEtag(String cached, @Nullable String announced) {
        return announced != null && cached.replace("\"", "").equals(announced);
    }

    /** How long the message just received from a queue waited there. */
    void queueLag(long millis) {
        lagMillis.set(millis);
    }

    /** Counts for the status page. */
    public record Stats(
            long applied,
            long unchanged,
            long stale,
            long outside,
            long malformed,
            long lastEventMillis,
            long lagMillis) {}

    public Stats stats() {
        return new Stats(
                (long) applied.count(),
                (long) unchanged.count(),
                (long) stale.count(),
                (long) outside.count(),
                (long) malformed.count(),
                lastEventMillis.get(),
                lagMillis.get());
    }
}

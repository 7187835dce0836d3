package io.layerproxy.watch;

import io.layerproxy.LayerProxy;
import io.layerproxy.ObjectKey;
import io.layerproxy.config.LayerProxyConfig.BucketPrefix;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One watch poll: lists the watched prefixes and every bucket holding a tracked key, compares ETags with what the
 * local layers hold, and pushes changes up. A changed object is invalidated and re-fetched in the background; a
 * tracked key missing from a complete listing is invalidated, so the next read is a 404 (or the fallback); an
 * unchanged one is re-stamped as fresh, so it costs no request at all. Scheduling is the caller's
 * ({@link BackgroundTasks}); {@link #poll()} is one round, for tests to drive without sleeping.
 */
public final class Watcher {
    private static final Logger LOG = LoggerFactory.getLogger(Watcher.class);

    private final LayerProxy proxy;
    private final List<BucketPrefix> prefixes;
    private final Executor refetch;
    private final Counter polls;
    private final Counter failedPolls;
    private final Counter changes;
    private final Counter deletions;
    /** When the last complete poll ended, in epoch seconds; 0 before the first. */
    private final AtomicLong lastPoll = new AtomicLong();

    /** One poll's outcome. */
    public record Result(int listed, int changed, int deleted, int failedScopes) {}

    /** Every poll so far; {@code lastPoll} null before the first. */
    public record Stats(
            long polls, long failedPolls, long changed, long deleted, java.time.@Nullable Instant lastPoll) {}

    /**
     * @param prefixes always watched (the prefetched ones), besides the buckets of tracked keys
     * @param refetch  runs the background re-fetches of changed objects
     */
    public Watcher(LayerProxy proxy, List<BucketPrefix> prefixes, Executor refetch) {
        this.proxy = proxy;
        this.prefixes = List.copyOf(prefixes);
        this.refetch = refetch;
        MeterRegistry registry = proxy.meterRegistry();
        this.polls = counter(registry, "layerproxy.watch.polls", "outcome", "ok");
        this.failedPolls = counter(registry, "layerproxy.watch.polls", "outcome", "failed");
        this.changes = counter(registry, "layerproxy.watch.changes", "change", "changed");
        this.deletions = counter(registry, "layerproxy.watch.changes", "change", "deleted");
        Gauge.builder("layerproxy.watch.last.poll", lastPoll, AtomicLong::get)
                .baseUnit("seconds")
                .description("when the last watch poll ended (Unix time); 0 before the first")
                .strongReference(true)
                .register(registry);
    }

    /** One round; a scope whose listing fails is skipped (logged) and retried next round. */
    public Result poll() {
        int listed = 0;
        int changed = 0;
        int deleted = 0;
        int failed = 0;
        Set<ObjectKey> tracked = Set.copyOf(proxy.trackedKeys());
        for (BucketPrefix scope : scopes(tracked)) {
            Set<ObjectKey> seen = new HashSet<>();
            List<ObjectKey> changedKeys = new ArrayList<>();
            try {
                proxy.list(scope.bucket(), scope.prefix(), entry -> {
                    seen.add(entry.key());
                    if (proxy.reconcile(entry)) {
                        changedKeys.add(entry.key());
                    }
                });
            } catch (RuntimeException e) {
                failed++;
                LOG.warn("watch: listing {} failed, retrying next round: {}", scope, e.getMessage());
                continue;
            }
            listed += seen.size();
            for (ObjectKey key : changedKeys) {
                LOG.info("watch: {} changed, re-fetching", key);
                refetch.execute(() -> refetchQuietly(key));
            }
            changed += changedKeys.size();
            // only a complete listing proves a key is gone
            for (ObjectKey key : tracked) {
                if (key.bucket().equals(scope.bucket())
                        && key.key().startsWith(scope.prefix())
                        && !seen.contains(key)) {
                    LOG.info("watch: {} was deleted", key);
                    proxy.invalidate(key);
                    deleted++;
                }
            }
        }
        (failed == 0 ? polls : failedPolls).increment();
        changes.increment(changed);
        deletions.increment(deleted);
        lastPoll.set(System.currentTimeMillis() / 1000);
        return new Result(listed, changed, deleted, failed);
    }

    public Stats stats() {
        long last = lastPoll.get();
        return new Stats(
                (long) polls.count(),
                (long) failedPolls.count(),
                (long) changes.count(),
                (long) deletions.count(),
                last == 0 ? null : java.time.Instant.ofEpochSecond(last));
    }

    private static Counter counter(MeterRegistry registry, String name, String tag, String value) {
        return Counter.builder(name).tag(tag, value).register(registry);
    }

    /** {@link #poll()} for a scheduler: never throws, so one bad round never stops the loop. */
    void pollSafely() {
        if (proxy.originCircuitOpen()) {
            // S3 is failing: the next read's request probes it; a bucket listing would only fail fast
            LOG.debug("watch: S3 is failing; this round is skipped");
            return;
        }
        try {
            Result r = poll();
            if (r.changed() + r.deleted() > 0) {
                LOG.info("watch: {} objects listed, {} changed, {} deleted", r.listed(), r.changed(), r.deleted());
            }
        } catch (RuntimeException e) {
            failedPolls.increment();
            LOG.warn("watch: poll failed, retrying next round: {}", e.toString());
        }
    }

    /** The prefetched prefixes, plus whole buckets for tracked keys no prefix covers. */
    private List<BucketPrefix> scopes(Set<ObjectKey> tracked) {
        List<BucketPrefix> scopes = new ArrayList<>(prefixes);
        Set<String> buckets = new HashSet<>();
        for (ObjectKey key : tracked) {
            boolean covered = prefixes.stream()
                    .anyMatch(p -> p.bucket().equals(key.bucket()) && key.key().startsWith(p.prefix()));
            if (!covered && buckets.add(key.bucket())) {
                scopes.add(new BucketPrefix(key.bucket(), ""));
            }
        }
        return scopes;
    }

    private void refetchQuietly(ObjectKey key) {
        try {
            proxy.warm(key);
        } catch (RuntimeException e) {
            LOG.warn("watch: re-fetching {} failed; the next read fetches it: {}", key, e.getMessage());
        }
    }
}

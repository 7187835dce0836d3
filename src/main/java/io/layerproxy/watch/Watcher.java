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
import java.util.Map;
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
            long polls, long failedPolls, long changed, long deleted, java.time.@Nullable Instant lastPoll) {
        /** A watch loop that is off. */
        public static final Stats NONE = new Stats(0, 0, 0, 0, null);
    }

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
            // memory grows with what is tracked, not with the bucket: only tracked keys are remembered as unseen
            Set<ObjectKey> unseen = new HashSet<>();
            for (ObjectKey key : tracked) {
                if (key.bucket().equals(scope.bucket()) && key.key().startsWith(scope.prefix())) {
                    unseen.add(key);
                }
            }
            int[] count = {0};
            List<ObjectKey> changedKeys = new ArrayList<>();
            try {
                proxy.list(scope.bucket(), scope.prefix(), entry -> {
                    count[0]++;
                    unseen.remove(entry.key());
                    if (proxy.reconcile(entry)) {
                        changedKeys.add(entry.key());
                    }
                });
            } catch (RuntimeException e) {
                failed++;
                LOG.warn("watch: listing {} failed, retrying next round: {}", scope, e.getMessage());
                continue;
            }
            listed += count[0];
            for (ObjectKey key : changedKeys) {
                LOG.info("watch: {} changed, re-fetching", key);
                refetch.execute(() -> refetchQuietly(key));
            }
            changed += changedKeys.size();
            // only a complete listing proves a key is gone
            for (ObjectKey key : unseen) {
                LOG.info("watch: {} was deleted", key);
                proxy.invalidate(key);
                deleted++;
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

    /**
     * The prefetched prefixes, plus the narrowest listings that cover the tracked keys no prefix covers: each key
     * itself (a listing with the key as its prefix: one short page); while that is more than {@link #MAX_SCOPES}
     * listings, the folders holding the most of them are listed instead, then their parents. A poll's cost follows what was read through the
     * proxy, not the bucket's size (one GET in a 50,000-object bucket used to list all of it every poll).
     */
    List<BucketPrefix> scopes(Set<ObjectKey> tracked) {
        List<ObjectKey> uncovered = tracked.stream()
                .filter(key -> prefixes.stream()
                        .noneMatch(p ->
                                p.bucket().equals(key.bucket()) && key.key().startsWith(p.prefix())))
                .toList();
        Set<BucketPrefix> keys = sortedSet();
        for (ObjectKey key : uncovered) {
            keys.add(new BucketPrefix(key.bucket(), key.key()));
        }
        List<BucketPrefix> current = withoutCovered(keys);
        while (current.size() > MAX_SCOPES) {
            // the folders holding the most scopes become one listing each, largest first, until few enough
            Map<BucketPrefix, List<BucketPrefix>> byParent = new java.util.HashMap<>();
            for (BucketPrefix scope : current) {
                BucketPrefix parent = new BucketPrefix(scope.bucket(), ancestor(scope.prefix(), 1));
                if (!parent.equals(scope)) {
                    byParent.computeIfAbsent(parent, k -> new ArrayList<>()).add(scope);
                }
            }
            List<Map.Entry<BucketPrefix, List<BucketPrefix>>> groups = byParent.entrySet().stream()
                    .filter(e -> e.getValue().size() > 1)
                    .sorted((a, b) -> b.getValue().size() - a.getValue().size())
                    .toList();
            Set<BucketPrefix> next = sortedSet();
            next.addAll(current);
            if (groups.isEmpty()) {
                if (byParent.isEmpty()) {
                    break; // whole buckets already
                }
                byParent.forEach((parent, members) -> {
                    members.forEach(next::remove);
                    next.add(parent);
                });
            }
            for (Map.Entry<BucketPrefix, List<BucketPrefix>> group : groups) {
                if (next.size() <= MAX_SCOPES) {
                    break;
                }
                group.getValue().forEach(next::remove);
                next.add(group.getKey());
            }
            current = withoutCovered(next);
        }
        List<BucketPrefix> scopes = new ArrayList<>(prefixes);
        scopes.addAll(current);
        return scopes;
    }

    private static Set<BucketPrefix> sortedSet() {
        return new java.util.TreeSet<>(
                java.util.Comparator.comparing(BucketPrefix::bucket).thenComparing(BucketPrefix::prefix));
    }

    /** Most listings one poll makes for tracked keys (beside the prefetched prefixes). */
    static final int MAX_SCOPES = 32;

    /** {@code name} itself ({@code up} 0), its folder (1: up to its last slash), that folder's parent (2)... */
    static String ancestor(String name, int up) {
        String s = name;
        for (int i = 0; i < up; i++) {
            int slash = s.lastIndexOf('/', s.endsWith("/") ? s.length() - 2 : s.length() - 1);
            s = slash < 0 ? "" : s.substring(0, slash + 1);
        }
        return s;
    }

    /** The scopes not inside another one (sorted, so a covering prefix comes before what it covers). */
    private static List<BucketPrefix> withoutCovered(Set<BucketPrefix> sorted) {
        List<BucketPrefix> kept = new ArrayList<>();
        for (BucketPrefix scope : sorted) {
            BucketPrefix last = kept.isEmpty() ? null : kept.get(kept.size() - 1);
            if (last == null
                    || !last.bucket().equals(scope.bucket())
                    || !scope.prefix().startsWith(last.prefix())) {
                kept.add(scope);
            }
        }
        return kept;
    }

    private void refetchQuietly(ObjectKey key) {
        try {
            proxy.warm(key);
        } catch (RuntimeException e) {
            LOG.warn("watch: re-fetching {} failed; the next read fetches it: {}", key, e.getMessage());
        }
    }
}

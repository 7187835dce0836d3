package io.layerproxy.watch;

import io.layerproxy.LayerProxy;
import io.layerproxy.ObjectKey;
import io.layerproxy.Origin;
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
    private final Counter pages;
    /** Listings cut short by the page budget, by scope. */
    private final Map<BucketPrefix, Resume> resumes = new java.util.HashMap<>();
    /** When each scope's listing last completed, as a count of completions: the oldest goes first. */
    private final Map<BucketPrefix, Long> lastCompleted = new java.util.HashMap<>();

    private final int maxPages;
    private long completions;
    /** When the last complete poll ended, in epoch seconds; 0 before the first. */
    private final AtomicLong lastPoll = new AtomicLong();

    /** One poll's outcome. */
    public record Result(int listed, int changed, int deleted, int failedScopes, int pages, int cutShort) {}

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
        this(proxy, prefixes, refetch, MAX_PAGES_PER_POLL);
    }

    /** As above, with a smaller page budget per poll (for tests). */
    Watcher(LayerProxy proxy, List<BucketPrefix> prefixes, Executor refetch, int maxPagesPerPoll) {
        this.maxPages = maxPagesPerPoll;
        this.proxy = proxy;
        this.prefixes = List.copyOf(prefixes);
        this.refetch = refetch;
        MeterRegistry registry = proxy.meterRegistry();
        this.polls = counter(registry, "layerproxy.watch.polls", "outcome", "ok");
        this.failedPolls = counter(registry, "layerproxy.watch.polls", "outcome", "failed");
        this.changes = counter(registry, "layerproxy.watch.changes", "change", "changed");
        this.deletions = counter(registry, "layerproxy.watch.changes", "change", "deleted");
        this.pages = Counter.builder("layerproxy.watch.list.pages")
                .description("listing pages the watch loop asked S3 for (at most " + maxPages + " per round)")
                .register(registry);
        Gauge.builder("layerproxy.watch.last.poll", lastPoll, AtomicLong::get)
                .baseUnit("seconds")
                .description("when the last watch poll ended (Unix time); 0 before the first")
                .strongReference(true)
                .register(registry);
    }

    /**
     * One round; a scope whose listing fails is skipped (logged) and retried next round. At most
     * {@link #MAX_PAGES_PER_POLL} listing pages are asked for: a scope cut short goes on next round after the last
     * key it reached, and the scopes listed longest ago go first, so every one completes in turn.
     */
    public synchronized Result poll() {
        int listed = 0;
        int changed = 0;
        int deleted = 0;
        int failed = 0;
        int pagesLeft = maxPages;
        int cut = 0;
        Set<ObjectKey> tracked = Set.copyOf(proxy.trackedKeys());
        List<BucketPrefix> scopes = new ArrayList<>(scopes(tracked));
        lastCompleted.keySet().retainAll(scopes);
        resumes.keySet().retainAll(scopes);
        scopes.sort(java.util.Comparator.comparingLong(scope -> lastCompleted.getOrDefault(scope, 0L)));
        for (BucketPrefix scope : scopes) {
            if (pagesLeft == 0) {
                cut++;
                continue;
            }
            Listing listing = new Listing(scope, tracked, resumes.remove(scope));
            try {
                pagesLeft -= listing.run(pagesLeft);
            } catch (RuntimeException e) {
                failed++;
                pagesLeft -= listing.pages;
                LOG.warn("watch: listing {} failed, retrying next round: {}", scope, e.getMessage());
                continue;
            } finally {
                pages.increment(listing.pages);
            }
            listed += listing.listed;
            for (ObjectKey key : listing.changed) {
                LOG.info("watch: {} changed, re-fetching", key);
                refetch.execute(() -> refetchQuietly(key));
            }
            changed += listing.changed.size();
            if (listing.startAfter != null) {
                resumes.put(scope, new Resume(listing.startAfter, listing.unseen));
                cut++;
                continue;
            }
            lastCompleted.put(scope, ++completions);
            // only a complete listing proves a key is gone
            for (ObjectKey key : listing.unseen) {
                LOG.info("watch: {} was deleted", key);
                proxy.invalidate(key);
                deleted++;
            }
        }
        if (cut > 0) {
            LOG.info(
                    "watch: {} listing pages asked this round, the most one round may; {} listings go on next round",
                    maxPages,
                    cut);
        }
        (failed == 0 ? polls : failedPolls).increment();
        changes.increment(changed);
        deletions.increment(deleted);
        lastPoll.set(System.currentTimeMillis() / 1000);
        return new Result(listed, changed, deleted, failed, maxPages - pagesLeft, cut);
    }

    /** Where a listing cut short goes on, and its tracked keys not seen so far. */
    private record Resume(String startAfter, Set<ObjectKey> unseen) {}

    /** One scope's listing in one round, page by page, within a page budget. */
    private final class Listing {
        private final BucketPrefix scope;
        /** Tracked keys in the scope not listed (yet): memory follows what is tracked, not the bucket. */
        final Set<ObjectKey> unseen = new HashSet<>();

        final List<ObjectKey> changed = new ArrayList<>();
        int listed;
        int pages;
        /** Null once the listing is complete; else the last key listed. */
        @Nullable
        String startAfter;

        Listing(BucketPrefix scope, Set<ObjectKey> tracked, @Nullable Resume resume) {
            this.scope = scope;
            for (ObjectKey key : tracked) {
                if (key.bucket().equals(scope.bucket())
                        && key.key().startsWith(scope.prefix())
                        && (resume == null || resume.unseen().contains(key))) {
                    unseen.add(key);
                }
            }
            this.startAfter = resume == null ? null : resume.startAfter();
        }

        /** Lists up to {@code budget} pages; returns how many it asked for. */
        int run(int budget) {
            String token = null;
            do {
                Origin.ListPage page;
                try {
                    page = proxy.listPage(new Origin.ListRequest(
                            scope.bucket(), scope.prefix(), null, null, token, token == null ? startAfter : null));
                } catch (UnsupportedOperationException e) {
                    proxy.list(scope.bucket(), scope.prefix(), this::see); // an origin without pages: all at once
                    startAfter = null;
                    return pages;
                }
                pages++;
                if (page == null) {
                    startAfter = null; // no such bucket: nothing under the prefix
                    return pages;
                }
                for (Origin.ListedObject o : page.contents()) {
                    try {
                        see(new Origin.Listed(new ObjectKey(scope.bucket(), o.key()), o.etag(), o.size()));
                    } catch (IllegalArgumentException e) {
                        // a key this proxy cannot serve is not worth watching
                    }
                    startAfter = o.key();
                }
                token = page.truncated() ? page.nextContinuationToken() : null;
                if (token == null) {
                    startAfter = null;
                    return pages;
                }
            } while (pages < budget);
            return pages;
        }

        private void see(Origin.Listed entry) {
            listed++;
            unseen.remove(entry.key());
            if (proxy.reconcile(entry)) {
                changed.add(entry.key());
            }
        }
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
                LOG.info(
                        "watch: {} objects listed in {} pages, {} changed, {} deleted",
                        r.listed(),
                        r.pages(),
                        r.changed(),
                        r.deleted());
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

    /** Most listing pages (of up to 1,000 keys) one poll asks for; a listing cut short goes on next poll. */
    static final int MAX_PAGES_PER_POLL = 100;

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

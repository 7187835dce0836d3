package io.layerproxy.cache;

import io.layerproxy.LayerProxy;
import io.layerproxy.ObjectInfo;
import io.layerproxy.ObjectKey;
import io.layerproxy.Origin;
import io.layerproxy.OriginException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Object metadata in the layers: fresh within max-age, "does not exist" within the negative TTL, revalidated with a
 * conditional request after that, served stale while the origin is down (stale-if-error), and asked of the origin
 * once per key at a time. Also remembers which keys it has seen, for the watch loop and prefix purges.
 */
final class MetadataStore {
    private static final Logger LOG = LoggerFactory.getLogger(MetadataStore.class);
    /** Bounds the memory spent remembering keys for the watch loop (about 100 bytes a key). */
    private static final int MAX_TRACKED_KEYS = 1_000_000;

    private final List<GuardedLayer> layers;
    private final Origin origin;
    private final Clock clock;
    private final CachePolicy policy;
    /** Background revalidations (stale-while-revalidate): few threads, a bounded queue. */
    private final java.util.concurrent.ThreadPoolExecutor refreshers = new java.util.concurrent.ThreadPoolExecutor(
            2,
            2,
            30,
            java.util.concurrent.TimeUnit.SECONDS,
            new java.util.concurrent.ArrayBlockingQueue<>(1000),
            runnable -> {
                Thread t = new Thread(runnable, "layerproxy-refresh");
                t.setDaemon(true);
                return t;
            });

    private final NegativeCache negatives = new NegativeCache();
    /** Where a remembered "does not exist" is reported to come from (X-Cache-Layer): it is held in memory. */
    private static final String NEGATIVES = "memory";

    private final Duration staleIfError;
    private final ProxyMetrics metrics;
    private final Set<ObjectKey> tracked = ConcurrentHashMap.newKeySet();
    private final OriginWaits waits;
    /**
     * Drops per slot of key hashes: a lookup that began before a drop of its key (an event, a purge) does not store
     * its answer, which may be the version the drop was about. Shared slots only make that more cautious.
     */
    private final AtomicLongArray dropEpochs = new AtomicLongArray(4096);
    /** Metadata requests in flight: concurrent misses of one key share one HEAD or GET. */
    private final ConcurrentHashMap<ObjectKey, CompletableFuture<ObjectInfo>> heads = new ConcurrentHashMap<>();
    /** Fresh versions of hot keys as last found in the first layer: told of every change made below. */
    private final MetadataMemo memo = new MetadataMemo();

    MetadataStore(
            List<GuardedLayer> layers,
            Origin origin,
            Clock clock,
            CachePolicy policy,
            Duration staleIfError,
            OriginWaits waits,
            ProxyMetrics metrics) {
        this.waits = waits;
        this.layers = layers;
        this.origin = origin;
        this.clock = clock;
        this.policy = policy;
        refreshers.allowCoreThreadTimeOut(true);
        metrics.registerNegatives(negatives);
        this.staleIfError = staleIfError;
        this.metrics = metrics;
    }

    /**
     * What a lookup found: {@code info} null when the object does not exist; {@code stale} for a cached version
     * past max-age served because the origin failed (stale-if-error); {@code body} the whole object when one GET
     * brought it with the metadata.
     */
    record Lookup(ObjectInfo info, String layer, boolean stale, BlockReader body, boolean refreshing) {
        Lookup(ObjectInfo info, String layer, boolean stale, BlockReader body) {
            this(info, layer, stale, body, false);
        }

        Lookup(ObjectInfo info, String layer) {
            this(info, layer, false, null);
        }
    }

    /**
     * Opens the whole body of a version the origin sent with its metadata: registers its blocks as in flight (so
     * the metadata's waiters follow them), reads nothing yet.
     */
    interface BodyLeader {
        /** {@code body} holds the version's first {@code length} bytes. */
        BlockReader lead(ObjectInfo info, InputStream body, long length);

        /** How many bytes the GET that brings the metadata asks for ({@code Long.MAX_VALUE}: all). */
        long firstBytes();
    }

    /**
     * The object's current metadata, from the fastest layer holding a version validated within max-age (or a "does
     * not exist" within the negative TTL), else from the origin: a conditional request when a stale version is
     * cached, a plain one otherwise. With {@code leader}, a key whose metadata is not cached is fetched with one
     * GET, and the lookup carries its body. The allowlist is the caller's.
     */
    Lookup lookup(ObjectKey key, BodyLeader leader) {
        return lookup(key, leader, false);
    }

    /** {@code revalidate}: a cached version, fresh or not, is confirmed with S3 first (a client's no-cache). */
    Lookup lookup(ObjectKey key, BodyLeader leader, boolean revalidate) {
        String metaKey = InfoCodec.metaKey(key);
        Instant now = clock.instant();
        Seen seen = inLayers(key, metaKey, now, false, revalidate);
        if (seen.fresh() != null) {
            return seen.fresh();
        }
        ObjectInfo stale = seen.stale();
        String staleLayer = seen.staleLayer();
        if (stale != null && !revalidate && policy.servesWhileRevalidating(key, stale, now)) {
            // stale-while-revalidate (RFC 5861): this answer at once, one refresh in the background
            refreshInBackground(key, stale, metaKey);
            track(key);
            return new Lookup(stale, staleLayer, true, null, true);
        }
        Answer current;
        try {
            current = askOrigin(key, stale, metaKey, now, stale == null ? leader : null, revalidate);
        } catch (OriginException e) {
            if (stale != null && servesStale(e, key, stale, now)) {
                LOG.debug("serving a stale copy of {}: {}", key, e.getMessage());
                return new Lookup(stale, staleLayer, true, null);
            }
            throw e;
        }
        if (current.cached() != null) {
            return current.cached();
        }
        if (current.info() == null) {
            tracked.remove(key);
            return new Lookup(null, LayerProxy.ORIGIN);
        }
        track(key);
        return new Lookup(current.info(), LayerProxy.ORIGIN, false, current.body());
    }

    /**
     * What the origin said; {@code body} only for the asker that fetched it. {@code cached}: the layers had a fresh
     * answer after all (a flight that ended just before this one began had stored it), and the origin was not asked.
     */
    private record Answer(ObjectInfo info, BlockReader body, Lookup cached) {}

    /** What the layers hold for a key: a fresh answer (a version or a "does not exist"), else a stale version or none. */
    private record Seen(Lookup fresh, ObjectInfo stale, String staleLayer) {}

    /**
     * What the layers hold for the key. {@code secondLook}: only the first layer (flights store in every layer), read
     * without counting a hit or miss — a look again before asking the origin, not a client's read.
     */
    private Seen inLayers(ObjectKey key, String metaKey, Instant now, boolean secondLook, boolean revalidate) {
        Instant missingSince = negatives.get(key);
        if (missingSince != null) {
            if (missingSince.plus(policy.negativeTtl(key)).isAfter(now)) {
                return new Seen(new Lookup(null, NEGATIVES), null, null);
            }
            negatives.remove(key, missingSince); // expired: ask the origin
        }
        boolean counted = !secondLook && !revalidate && !layers.isEmpty();
        if (counted) {
            ObjectInfo memoized = memo.get(key);
            if (memoized != null && policy.fresh(key, memoized, now)) {
                layers.get(0).countHit(); // what the first layer would have answered, counted as its hit
                track(key);
                return new Seen(new Lookup(memoized, layers.get(0).name()), null, null);
            }
        }
        long epoch = memo.epoch(key);
        for (int i = 0, n = secondLook ? Math.min(1, layers.size()) : layers.size(); i < n; i++) {
            GuardedLayer layer = layers.get(i);
            byte[] raw = secondLook ? layer.peek(metaKey) : layer.get(metaKey);
            if (raw == null) {
                continue;
            }
            Instant missingAt = InfoCodec.decodeMissing(raw);
            if (missingAt != null) {
                if (missingAt.plus(policy.negativeTtl(key)).isAfter(now)) {
                    promote(metaKey, raw, i);
                    return new Seen(new Lookup(null, layer.name()), null, null);
                }
                break; // an expired "does not exist": ask the origin
            }
            ObjectInfo info = InfoCodec.decode(raw);
            if (info == null) {
                LOG.warn("dropping undecodable metadata for {} from the {} layer", key, layer.name());
                layer.remove(metaKey);
                continue;
            }
            if (!revalidate && policy.fresh(key, info, now)) {
                promote(metaKey, raw, i);
                if (counted && i == 0) {
                    memo.remember(key, epoch, info);
                }
                track(key);
                return new Seen(new Lookup(info, layer.name()), null, null);
            }
            return new Seen(null, info, layer.name()); // same-ETag blocks stay valid: they are version-addressed
        }
        return new Seen(null, null, null);
    }

    /**
     * One revalidation of {@code key} on the refresh threads, unless one is in flight already; a refresh that finds
     * the copy fresh again (another one stored it meanwhile) sends nothing. Refreshes past the queue's bound are
     * dropped: the next read past fresh asks again.
     */
    private void refreshInBackground(ObjectKey key, ObjectInfo stale, String metaKey) {
        if (heads.containsKey(key)) {
            return;
        }
        try {
            refreshers.execute(() -> {
                try {
                    askOrigin(key, stale, metaKey, clock.instant(), null, false);
                } catch (RuntimeException e) {
                    LOG.debug("refreshing {} in the background failed: {}", key, e.toString());
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            LOG.debug("refresh of {} skipped: the refresh queue is full", key);
        }
    }

    /**
     * The key's metadata when the memo holds it fresh, else null; nothing else is looked at, nothing waited on, and
     * nothing counted ({@link #instantHit} counts a hit it served).
     */
    @org.jspecify.annotations.Nullable
    ObjectInfo memoizedFresh(ObjectKey key) {
        ObjectInfo info = memo.get(key);
        return info != null && policy.fresh(key, info, clock.instant()) ? info : null;
    }

    /** A read answered from the memo outside {@link #lookup}: counted as the first layer's hit, the key tracked. */
    void instantHit(ObjectKey key) {
        layers.get(0).countHit();
        track(key);
    }

    /** Stops the background refreshes. */
    void close() {
        refreshers.shutdownNow();
    }

    /** Stale-if-error: the origin is down or silent (not refusing), and the copy is within the bound past max-age. */
    private boolean servesStale(OriginException e, ObjectKey key, ObjectInfo stale, Instant now) {
        return e.isOutage()
                && stale.validatedAt()
                        .plus(policy.lifetime(key, stale))
                        .plus(staleIfError)
                        .isAfter(now);
    }

    /**
     * One request per key at a time (a HEAD, a conditional HEAD, or with {@code leader} a GET); concurrent askers
     * share its answer. The answer is stored in the layers, and a GET's blocks registered as in flight, before the
     * flight ends, so a reader arriving just after finds them instead of asking again.
     */
    private Answer askOrigin(
            ObjectKey key, ObjectInfo stale, String metaKey, Instant now, BodyLeader leader, boolean revalidate) {
        return waits.await(key, () -> ask(key, stale, metaKey, now, leader, revalidate));
    }

    private static int epochSlot(ObjectKey key) {
        return (key.hashCode() & 0x7fffffff) % 4096;
    }

    private Answer ask(
            ObjectKey key, ObjectInfo stale, String metaKey, Instant now, BodyLeader leader, boolean revalidate) {
        long epoch = dropEpochs.get(epochSlot(key));
        var mine = new CompletableFuture<ObjectInfo>();
        var theirs = heads.putIfAbsent(key, mine);
        if (theirs != null) {
            metrics.metadataWait();
            try {
                return new Answer(theirs.join(), null, null);
            } catch (CompletionException e) {
                if (e.getCause() instanceof OriginException oe) {
                    throw oe.rethrown();
                }
                throw e;
            }
        }
        // a flight that ended between the caller's look at the layers and now has stored its answer there: without
        // this second look, a reader in that gap sent a second GET for a cold object (seen with 64 clients at once)
        Lookup stored =
                revalidate ? null : inLayers(key, metaKey, now, true, false).fresh();
        if (stored != null) {
            mine.complete(stored.info());
            heads.remove(key, mine);
            return new Answer(stored.info(), null, stored);
        }
        BlockReader body = null;
        try {
            Origin.Fetched fetched = null;
            ObjectInfo answer;
            if (leader != null) {
                fetched = origin.fetch(key, leader.firstBytes());
                answer = fetched == null ? null : fetched.info();
            } else {
                answer = stale == null ? origin.head(key) : origin.revalidate(key, stale);
            }
            boolean dropped = dropEpochs.get(epochSlot(key)) != epoch; // the key was dropped while S3 answered
            if (answer == null) {
                GuardedLayer.removeEverywhere(layers, metaKey); // a version cached before is gone
                memo.changed(key);
                if (!policy.negativeTtl(key).isZero() && !dropped) {
                    negatives.put(key, now);
                }
            } else {
                negatives.remove(key);
                answer = answer.validatedAt(now);
                // blocks in flight before the metadata is findable: nobody who finds it starts a second GET
                body = fetched == null ? null : lead(leader, answer, fetched);
                if (!policy.storesMetadata(key, answer)) {
                    // no-store, private, cache=off: every read asks S3; a version kept before goes
                    GuardedLayer.removeEverywhere(layers, metaKey);
                } else if (!dropped) {
                    GuardedLayer.putEverywhere(layers, metaKey, InfoCodec.encode(answer));
                }
                memo.changed(key);
            }
            mine.complete(answer);
            return new Answer(answer, body, null);
        } catch (RuntimeException e) {
            if (body != null) {
                body.close();
            }
            mine.completeExceptionally(e);
            throw e;
        } finally {
            heads.remove(key, mine);
        }
    }

    private static BlockReader lead(BodyLeader leader, ObjectInfo info, Origin.Fetched fetched) {
        try {
            return leader.lead(info, fetched.body(), fetched.length());
        } catch (RuntimeException e) {
            try {
                fetched.body().close();
            } catch (java.io.IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** See {@link LayerProxy#reconcile(Origin.Listed)}. */
    boolean reconcile(Origin.Listed listed) {
        String metaKey = InfoCodec.metaKey(listed.key());
        for (GuardedLayer layer : layers) {
            byte[] raw = layer.get(metaKey);
            ObjectInfo info = raw == null ? null : InfoCodec.decode(raw);
            if (info == null) {
                continue;
            }
            if (InfoCodec.unquote(info.etag()).equals(InfoCodec.unquote(listed.etag()))
                    && info.size() == listed.size()) {
                GuardedLayer.putEverywhere(layers, metaKey, InfoCodec.encode(info.validatedAt(clock.instant())));
                memo.changed(listed.key());
                return false;
            }
            GuardedLayer.removeEverywhere(layers, metaKey);
            memo.changed(listed.key());
            return true;
        }
        return false;
    }

    /** What any layer holds for the key: absent, a remembered 404 ({@code info} null), or a version. */
    record Cached(boolean found, ObjectInfo info) {}

    Cached cached(ObjectKey key) {
        String metaKey = InfoCodec.metaKey(key);
        boolean found = negatives.get(key) != null;
        for (GuardedLayer layer : layers) {
            byte[] raw = layer.get(metaKey);
            if (raw != null) {
                found = true;
                ObjectInfo info = InfoCodec.decode(raw); // null for a remembered 404
                if (info != null) {
                    return new Cached(true, info);
                }
            }
        }
        return new Cached(found, null);
    }

    /** Forgets the key's metadata in every layer, and stops tracking it. */
    void forget(ObjectKey key) {
        dropEpochs.incrementAndGet(epochSlot(key)); // a lookup in flight since before must not store what it finds
        negatives.remove(key);
        tracked.remove(key);
        GuardedLayer.removeEverywhere(layers, InfoCodec.metaKey(key));
        memo.changed(key);
    }

    Set<ObjectKey> tracked() {
        return tracked;
    }

    private void track(ObjectKey key) {
        // versions are never tracked: a listing names current objects only, and would take them for deleted
        // contains first: add locks the key's bin even when the key is there, and a hot key is on every hit
        if (key.versionId() == null && !tracked.contains(key) && tracked.size() < MAX_TRACKED_KEYS) {
            tracked.add(key); // past the bound, keys stay fresh by max-age alone
        }
    }

    private void promote(String key, byte[] raw, int foundAt) {
        for (int j = 0; j < foundAt; j++) {
            layers.get(j).put(key, raw);
        }
    }
}

package io.layerproxy.cache;

import io.layerproxy.CacheRule;
import io.layerproxy.ObjectInfo;
import io.layerproxy.ObjectKey;
import io.layerproxy.http.CacheControl;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What may be stored and for how long, as pure functions of the key, the version's headers and the time: the
 * proxy's defaults, replaced per prefix by the longest matching {@link CacheRule}, and S3's own
 * {@code Cache-Control}/{@code Expires} where honored. No I/O, no clock of its own.
 */
final class CachePolicy {
    /** The settings in effect for one key: the defaults, or those of the rule that wins for it. */
    record Terms(
            Duration maxAge,
            Duration negativeTtl,
            long maxObjectSize,
            boolean cache,
            Duration staleWhileRevalidate,
            boolean honorOrigin) {}

    private final Terms defaults;
    /** Longest prefix first, so the first match is the one that wins. */
    private final List<CacheRule> rules;

    CachePolicy(Terms defaults, List<CacheRule> rules) {
        this.defaults = defaults;
        this.rules = rules.stream()
                .sorted(Comparator.comparingInt((CacheRule r) -> r.prefix().length())
                        .reversed())
                .toList();
    }

    Terms terms(ObjectKey key) {
        for (CacheRule rule : rules) {
            if (rule.matches(key)) {
                return new Terms(
                        or(rule.maxAge(), defaults.maxAge()),
                        rule.cache() ? or(rule.negativeTtl(), defaults.negativeTtl()) : Duration.ZERO,
                        rule.maxObjectSize() != null ? rule.maxObjectSize() : defaults.maxObjectSize(),
                        rule.cache(),
                        or(rule.staleWhileRevalidate(), defaults.staleWhileRevalidate()),
                        rule.honorOrigin() != null ? rule.honorOrigin() : defaults.honorOrigin());
            }
        }
        return defaults;
    }

    /** How long {@code info} stays fresh after it was validated. */
    Duration lifetime(ObjectKey key, ObjectInfo info) {
        Terms t = terms(key);
        return t.honorOrigin() ? CacheControl.lifetime(info.headers(), t.maxAge(), info.validatedAt()) : t.maxAge();
    }

    /** Whether {@code info} is fresh at {@code now}; a version asked for by its id always is. */
    boolean fresh(ObjectKey key, ObjectInfo info, Instant now) {
        return immutable(key) || info.validatedAt().plus(lifetime(key, info)).isAfter(now);
    }

    /** Whether a stale {@code info} may still be served at once at {@code now} while it is revalidated. */
    boolean servesWhileRevalidating(ObjectKey key, ObjectInfo info, Instant now) {
        Duration window = terms(key).staleWhileRevalidate();
        return !window.isZero()
                && info.validatedAt().plus(lifetime(key, info)).plus(window).isAfter(now);
    }

    /** How long a "does not exist" is remembered; zero remembers nothing. */
    Duration negativeTtl(ObjectKey key) {
        return terms(key).negativeTtl();
    }

    /**
     * Whether the version's metadata may be kept in a layer: not under a {@code cache=off} rule, nor when S3 marked
     * it {@code no-store} or {@code private} (honored). Otherwise every read asks S3.
     */
    boolean storesMetadata(ObjectKey key, ObjectInfo info) {
        return stores(terms(key), info);
    }

    /** Whether the version's bytes may be kept in a layer: its metadata may, and it is within the size limit. */
    boolean storesBlocks(ObjectKey key, ObjectInfo info) {
        Terms t = terms(key);
        return stores(t, info) && info.size() <= t.maxObjectSize();
    }

    private static boolean stores(Terms t, ObjectInfo info) {
        return t.cache() && !(t.honorOrigin() && CacheControl.forbidsStoring(info.headers()));
    }

    /** The rules, longest prefix first (for the status page). */
    List<CacheRule> rules() {
        return rules;
    }

    /**
     * A version asked for by its id never changes — except S3's {@code null} version, the object of an unversioned
     * or suspended bucket, which the next upload replaces.
     */
    static boolean immutable(ObjectKey key) {
        return key.versionId() != null && !key.versionId().equals("null");
    }

    private static Duration or(@Nullable Duration value, Duration fallback) {
        return value != null ? value : fallback;
    }
}

package io.layerproxy;

import java.time.Duration;
import java.util.Objects;
import java.util.StringJoiner;
import org.jspecify.annotations.Nullable;

/**
 * Cache policy for the keys under one prefix of one bucket ({@code --rule}): each setting it gives replaces the
 * proxy's default for those keys; settings it leaves null keep the default. Where several rules match a key, the
 * one with the longest prefix wins, whole (its unset settings are the defaults, not a shorter rule's).
 *
 * @param bucket               the bucket
 * @param prefix               the key prefix; empty for the whole bucket
 * @param maxAge               freshness where S3 says nothing (as {@code --max-age})
 * @param negativeTtl          how long a 404 is remembered (as {@code --negative-ttl})
 * @param maxObjectSize        larger objects are streamed through without being stored (as
 *                             {@code --max-object-size})
 * @param cache                false: nothing under the prefix is stored, every read asks S3 (metadata and bytes)
 * @param staleWhileRevalidate as {@code --stale-while-revalidate}
 * @param honorOrigin          whether S3's {@code Cache-Control} and {@code Expires} count (as
 *                             {@code --origin-cache-control})
 */
public record CacheRule(
        String bucket,
        String prefix,
        @Nullable Duration maxAge,
        @Nullable Duration negativeTtl,
        @Nullable Long maxObjectSize,
        boolean cache,
        @Nullable Duration staleWhileRevalidate,
        @Nullable Boolean honorOrigin) {
    public CacheRule {
        Objects.requireNonNull(bucket, "bucket");
        Objects.requireNonNull(prefix, "prefix");
        if (!ObjectKey.isValidBucket(bucket)) {
            throw new IllegalArgumentException("invalid bucket name in a rule: " + bucket);
        }
        for (Duration d : new Duration[] {maxAge, negativeTtl, staleWhileRevalidate}) {
            if (d != null && d.isNegative()) {
                throw new IllegalArgumentException("a rule's durations must not be negative, was: " + d);
            }
        }
        if (maxObjectSize != null && maxObjectSize < 0) {
            throw new IllegalArgumentException("a rule's max-object-size must not be negative, was: " + maxObjectSize);
        }
    }

    /** A rule for {@code bucket/prefix} that changes nothing yet; add settings with the {@code with} methods. */
    public static CacheRule of(String bucket, String prefix) {
        return new CacheRule(bucket, prefix, null, null, null, true, null, null);
    }

    public CacheRule withMaxAge(Duration d) {
        return new CacheRule(bucket, prefix, d, negativeTtl, maxObjectSize, cache, staleWhileRevalidate, honorOrigin);
    }

    public CacheRule withNegativeTtl(Duration d) {
        return new CacheRule(bucket, prefix, maxAge, d, maxObjectSize, cache, staleWhileRevalidate, honorOrigin);
    }

    public CacheRule withMaxObjectSize(long bytes) {
        return new CacheRule(bucket, prefix, maxAge, negativeTtl, bytes, cache, staleWhileRevalidate, honorOrigin);
    }

    public CacheRule withCache(boolean on) {
        return new CacheRule(bucket, prefix, maxAge, negativeTtl, maxObjectSize, on, staleWhileRevalidate, honorOrigin);
    }

    public CacheRule withStaleWhileRevalidate(Duration d) {
        return new CacheRule(bucket, prefix, maxAge, negativeTtl, maxObjectSize, cache, d, honorOrigin);
    }

    public CacheRule withHonorOrigin(boolean honor) {
        return new CacheRule(bucket, prefix, maxAge, negativeTtl, maxObjectSize, cache, staleWhileRevalidate, honor);
    }

    /** Whether {@code key} is under this rule's prefix. */
    public boolean matches(ObjectKey key) {
        return key.bucket().equals(bucket) && key.key().startsWith(prefix);
    }

    /** The rule as {@code --rule} takes it: {@code bucket/prefix:setting=value,...}. */
    @Override
    public String toString() {
        var settings = new StringJoiner(",");
        if (maxAge != null) {
            settings.add("max-age=" + maxAge.toSeconds());
        }
        if (negativeTtl != null) {
            settings.add("negative-ttl=" + negativeTtl.toSeconds());
        }
        if (maxObjectSize != null) {
            settings.add("max-object-size=" + maxObjectSize);
        }
        if (!cache) {
            settings.add("cache=off");
        }
        if (staleWhileRevalidate != null) {
            settings.add("stale-while-revalidate=" + staleWhileRevalidate.toSeconds());
        }
        if (honorOrigin != null) {
            settings.add("origin-cache-control=" + (honorOrigin ? "honor" : "ignore"));
        }
        return bucket + "/" + prefix + ":" + settings;
    }
}

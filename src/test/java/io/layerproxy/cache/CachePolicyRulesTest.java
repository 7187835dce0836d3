package io.layerproxy.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.CacheRule;
import io.layerproxy.ObjectInfo;
import io.layerproxy.ObjectKey;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The policy as a pure function: defaults, per-prefix rules (longest prefix wins, whole), S3's directives, the
 * clock given, never read.
 */
class CachePolicyRulesTest {
    private static final Instant T0 = Instant.parse("2026-12-03T10:00:00Z");
    private static final CachePolicy.Terms DEFAULTS = new CachePolicy.Terms(
            Duration.ofSeconds(60), Duration.ofSeconds(10), Long.MAX_VALUE, true, Duration.ZERO, true);

    private static final CachePolicy POLICY = new CachePolicy(
            DEFAULTS,
            List.of(
                    CacheRule.of("site", "").withMaxAge(Duration.ofSeconds(300)),
                    CacheRule.of("site", "assets/")
                            .withMaxAge(Duration.ofDays(1))
                            .withStaleWhileRevalidate(Duration.ofSeconds(30)),
                    CacheRule.of("site", "assets/big/").withMaxObjectSize(1000),
                    CacheRule.of("site", "api/").withCache(false),
                    CacheRule.of("site", "raw/").withHonorOrigin(false),
                    CacheRule.of("site", "gone/").withNegativeTtl(Duration.ZERO)));

    private static ObjectKey key(String name) {
        return new ObjectKey("site", name, null);
    }

    private static ObjectInfo info(long size, Map<String, String> headers) {
        return new ObjectInfo(size, "\"e\"", null, null, headers, T0);
    }

    private static ObjectInfo info(String cacheControl) {
        return info(10, cacheControl == null ? Map.of() : Map.of("Cache-Control", cacheControl));
    }

    @Test
    void longestPrefixWins_andItsUnsetSettingsAreTheDefaults() {
        assertEquals(Duration.ofSeconds(300), POLICY.lifetime(key("index.html"), info(null)), "the bucket's rule");
        assertEquals(Duration.ofDays(1), POLICY.lifetime(key("assets/app.js"), info(null)));
        // assets/big/ sets only a size: its max-age is the default, not assets/'s day
        assertEquals(Duration.ofSeconds(60), POLICY.lifetime(key("assets/big/movie.mp4"), info(null)));
        assertEquals(Duration.ofSeconds(60), POLICY.lifetime(new ObjectKey("other", "x", null), info(null)));
        assertEquals(Duration.ofSeconds(300), POLICY.lifetime(key("assetsX"), info(null)), "a prefix, not a folder");
    }

    @Test
    void freshness_overTime_withS3sDirectives() {
        ObjectKey page = key("index.html");
        // (headers, seconds after validation, fresh?)
        Object[][] table = {
            {null, 299, true}, {null, 300, false},
            {"max-age=5", 4, true}, {"max-age=5", 5, false},
            {"s-maxage=2, max-age=100", 1, true}, {"s-maxage=2, max-age=100", 2, false},
            {"no-cache", 0, false}, {"max-age=100, no-cache", 1, false},
            {"public", 299, true},
        };
        for (Object[] row : table) {
            Instant at = T0.plusSeconds((Integer) row[1]);
            assertEquals(row[2], POLICY.fresh(page, info((String) row[0]), at), row[0] + " at +" + row[1] + " s");
        }
        // origin-cache-control=ignore in raw/: the rule's (default) max-age whatever S3 says
        assertTrue(POLICY.fresh(key("raw/x"), info("no-cache"), T0.plusSeconds(59)));
        assertTrue(POLICY.storesMetadata(key("raw/x"), info("no-store")), "ignored: stored");
        // a version asked for by its id never goes stale; S3's "null" version does
        assertTrue(POLICY.fresh(new ObjectKey("site", "index.html", "v1"), info("no-cache"), T0.plusSeconds(1)));
        assertFalse(POLICY.fresh(new ObjectKey("site", "index.html", "null"), info("no-cache"), T0.plusSeconds(1)));
    }

    @Test
    void staleWhileRevalidate_perRule() {
        ObjectKey asset = key("assets/app.js");
        ObjectInfo fiveSeconds = info("max-age=5");
        assertTrue(POLICY.servesWhileRevalidating(asset, fiveSeconds, T0.plusSeconds(34)));
        assertFalse(POLICY.servesWhileRevalidating(asset, fiveSeconds, T0.plusSeconds(35)));
        assertFalse(POLICY.servesWhileRevalidating(key("index.html"), fiveSeconds, T0.plusSeconds(6)), "off: 0");
    }

    @Test
    void whatIsStored() {
        ObjectKey page = key("index.html");
        assertTrue(POLICY.storesBlocks(page, info(null)));
        for (String forbids : new String[] {"no-store", "private", "private=\"Set-Cookie\"", "max-age=60, no-store"}) {
            assertFalse(POLICY.storesMetadata(page, info(forbids)), forbids);
            assertFalse(POLICY.storesBlocks(page, info(forbids)), forbids);
        }
        assertTrue(POLICY.storesBlocks(page, info("no-cache")), "no-cache is stored, and revalidated");
        assertFalse(POLICY.storesMetadata(key("api/list"), info(null)), "cache=off");
        assertEquals(Duration.ZERO, POLICY.negativeTtl(key("api/list")), "cache=off remembers no 404 either");
        assertEquals(Duration.ZERO, POLICY.negativeTtl(key("gone/x")));
        assertEquals(Duration.ofSeconds(10), POLICY.negativeTtl(page));
        // max-object-size: the metadata is stored, the bytes are not
        ObjectKey big = key("assets/big/movie.mp4");
        assertTrue(POLICY.storesBlocks(big, info(1000, Map.of())));
        assertFalse(POLICY.storesBlocks(big, info(1001, Map.of())));
        assertTrue(POLICY.storesMetadata(big, info(1001, Map.of())));
    }

    @Test
    void theDefaultsAlone() {
        CachePolicy plain = new CachePolicy(DEFAULTS, List.of());
        assertEquals(Duration.ofSeconds(60), plain.lifetime(key("x"), info(null)));
        assertTrue(plain.storesBlocks(key("x"), info(Long.MAX_VALUE / 2, Map.of())));
        assertEquals(List.of(), plain.rules());
    }
}

package io.layerproxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** RFC 9111 §4.2.1 for a shared cache, as a table: S3's headers in, the freshness lifetime out. */
class CacheControlTest {
    private static final Duration DEFAULT = Duration.ofSeconds(60);
    private static final Instant VALIDATED = Instant.parse("2026-12-03T10:00:00Z");

    private static Duration lifetime(Map<String, String> headers) {
        return CacheControl.lifetime(headers, DEFAULT, VALIDATED);
    }

    @Test
    void directives_inOrderOfPrecedence() {
        assertEquals(DEFAULT, lifetime(Map.of()), "nothing said: the proxy's max-age");
        assertEquals(Duration.ofSeconds(300), lifetime(Map.of("Cache-Control", "public, max-age=300")));
        assertEquals(Duration.ofSeconds(30), lifetime(Map.of("Cache-Control", "max-age=300, s-maxage=30")));
        assertEquals(Duration.ofSeconds(30), lifetime(Map.of("cache-control", "S-MAXAGE=30")), "names ignore case");
        assertEquals(
                Duration.ofSeconds(300),
                lifetime(Map.of("Cache-Control", "max-age=300", "Expires", "Thu, 03 Dec 2026 10:00:05 GMT")),
                "max-age over Expires");
        assertEquals(Duration.ofSeconds(5), lifetime(Map.of("Expires", "Thu, 03 Dec 2026 10:00:05 GMT")));
        assertEquals(Duration.ZERO, lifetime(Map.of("Expires", "Thu, 03 Dec 2026 09:00:00 GMT")), "in the past");
        assertEquals(Duration.ZERO, lifetime(Map.of("Expires", "0")), "an invalid Expires is already expired");
    }

    @Test
    void noCache_noStore_andPrivate_askS3EveryTime() {
        for (String value :
                new String[] {"no-cache", "max-age=600, no-cache", "no-store", "private", "private=\"x\""}) {
            assertEquals(Duration.ZERO, lifetime(Map.of("Cache-Control", value)), value);
        }
    }

    @Test
    void malformedAges_areStale_andHugeOnesCapped() {
        assertEquals(Duration.ZERO, lifetime(Map.of("Cache-Control", "max-age=abc")));
        assertEquals(Duration.ZERO, lifetime(Map.of("Cache-Control", "max-age=-5")));
        assertEquals(
                Duration.ofSeconds(Integer.MAX_VALUE), lifetime(Map.of("Cache-Control", "max-age=99999999999999999")));
    }

    @Test
    void clientRequests() {
        assertEquals(CacheControl.Request.NONE, CacheControl.request(null, null));
        assertEquals(new CacheControl.Request(true, false), CacheControl.request("no-cache", null));
        assertEquals(new CacheControl.Request(true, false), CacheControl.request("max-age=0", null));
        assertEquals(new CacheControl.Request(true, false), CacheControl.request(null, "no-cache"));
        assertEquals(new CacheControl.Request(false, true), CacheControl.request("only-if-cached", null));
        assertEquals(CacheControl.Request.NONE, CacheControl.request("max-age=60", null));
    }
}

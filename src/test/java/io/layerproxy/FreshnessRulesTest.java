package io.layerproxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.testing.FaultyRelay;
import io.layerproxy.testing.MutableClock;
import io.layerproxy.testing.ProxyServer;
import io.layerproxy.testing.S3Fixture;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What is stored, and how long it stays fresh, end to end: S3Proxy behind a relay that counts the HEADs and GETs
 * it forwards, the standalone server in front, S3's {@code Cache-Control} as uploaded, {@code --rule} and
 * {@code --max-object-size} as a user passes them.
 */
class FreshnessRulesTest {
    @RegisterExtension
    final S3ProxyExtension s3Server = S3ProxyExtension.builder().build(); // anonymous, so the relay can forward

    @TempDir
    Path disk;

    private static final byte[] BODY = S3Fixture.bytes(5000, 71);
    private static final byte[] SMALL = S3Fixture.bytes(3000, 72);

    private S3Fixture s3() {
        return new S3Fixture(s3Server).bucket("site");
    }

    private static void put(S3Fixture s3, String key, byte[] body, String cacheControl) {
        s3.put("site", key, body, "application/octet-stream", Map.of(), cacheControl, null);
    }

    @Test
    void noStoreAndPrivate_streamThrough_andNeverLandInALayer() throws Exception {
        try (var s3 = s3();
                var relay = new FaultyRelay(s3Server.getUri());
                var proxy = ProxyServer.start(relay.uri(), disk, Map.of(), "max-age", "3600")) {
            put(s3, "nostore", BODY, "no-store");
            put(s3, "private", BODY, "private, max-age=600");
            for (String key : new String[] {"nostore", "private"}) {
                for (int i = 0; i < 3; i++) {
                    int gets = relay.requests("GET");
                    HttpResponse<byte[]> r = proxy.get("/site/" + key);
                    assertEquals(200, r.statusCode());
                    assertArrayEquals(BODY, r.body());
                    assertEquals("MISS", r.headers().firstValue("X-Cache").orElse(""), key);
                    assertFalse(r.headers().firstValue("Age").isPresent(), "no Age: S3 answered");
                    assertEquals(gets + 1, relay.requests("GET"), key + ": one GET to S3 per read");
                }
                // a range and a HEAD go to S3 too
                int before = relay.requests();
                assertEquals(206, proxy.send(rangeOf(proxy, key)).statusCode());
                assertEquals(200, proxy.head("/site/" + key).statusCode());
                assertTrue(relay.requests() >= before + 2, "S3 asked for the range and the HEAD");
                assertNull(proxy.proxy().cachedVersion(new ObjectKey("site", key, null)), "no metadata kept");
            }
            proxy.proxy().awaitStores();
            for (LayerProxy.LayerState layer : proxy.proxy().layerStates()) {
                assertEquals(0, layer.stats().entries(), layer.name() + " layer holds nothing");
            }
            // the same object, cacheable again: stored from then on
            put(s3, "nostore", BODY, "max-age=600");
            proxy.get("/site/nostore");
            int asked = relay.requests();
            assertEquals(
                    "HIT",
                    proxy.get("/site/nostore").headers().firstValue("X-Cache").orElse(""));
            assertEquals(asked, relay.requests());
        }
    }

    @Test
    void rulesByPrefix_andTheSizeLimit() throws Exception {
        try (var s3 = s3();
                var relay = new FaultyRelay(s3Server.getUri());
                var proxy = ProxyServer.start(
                        relay.uri(),
                        disk,
                        Map.of(),
                        "max-age",
                        "0",
                        "max-object-size",
                        "4k",
                        "rule",
                        "site/static/:max-age=3600,max-object-size=1m",
                        "rule",
                        "site/static/live/:cache=off",
                        "rule",
                        "site/big/:max-age=3600")) {
            put(s3, "static/app.js", BODY, null);
            put(s3, "static/live/feed.json", SMALL, null);
            put(s3, "big/movie", BODY, null);
            put(s3, "big/poster", SMALL, null);
            put(s3, "other", SMALL, null);

            // static/: an hour, and 5000 bytes may be stored (its rule's size limit beats --max-object-size)
            proxy.get("/site/static/app.js");
            int asked = relay.requests();
            HttpResponse<byte[]> hit = proxy.get("/site/static/app.js");
            assertArrayEquals(BODY, hit.body());
            assertEquals("HIT", hit.headers().firstValue("X-Cache").orElse(""));
            assertEquals(asked, relay.requests(), "static/: no S3 request within the hour");

            // static/live/: the longer prefix wins, cache=off: every read is a GET to S3, nothing kept
            for (int i = 0; i < 2; i++) {
                int gets = relay.requests("GET");
                assertArrayEquals(
                        SMALL, proxy.get("/site/static/live/feed.json").body());
                assertEquals(gets + 1, relay.requests("GET"));
            }
            assertNull(proxy.proxy().cachedVersion(new ObjectKey("site", "static/live/feed.json", null)));

            // big/: metadata for an hour; 5000 bytes are past --max-object-size (4k): streamed from S3 each time
            proxy.get("/site/big/movie");
            for (int i = 0; i < 2; i++) {
                int heads = relay.requests("HEAD");
                int gets = relay.requests("GET");
                HttpResponse<byte[]> r = proxy.get("/site/big/movie");
                assertArrayEquals(BODY, r.body());
                assertEquals(heads, relay.requests("HEAD"), "the metadata is cached");
                assertEquals(gets + 1, relay.requests("GET"), "the bytes are not");
            }
            assertNotNull(proxy.proxy().cachedVersion(new ObjectKey("site", "big/movie", null)));
            proxy.get("/site/big/poster"); // 3000 bytes: within the limit, stored
            asked = relay.requests();
            assertArrayEquals(SMALL, proxy.get("/site/big/poster").body());
            assertEquals(asked, relay.requests());

            // no rule: --max-age 0, one HEAD per read, the body kept
            proxy.get("/site/other");
            int heads = relay.requests("HEAD");
            int gets = relay.requests("GET");
            assertArrayEquals(SMALL, proxy.get("/site/other").body());
            assertEquals(heads + 1, relay.requests("HEAD"));
            assertEquals(gets, relay.requests("GET"));

            // the status page names the rules in effect
            String status =
                    new String(proxy.get("/_layerproxy/status?format=json").body(), "UTF-8");
            assertTrue(status.contains("site/static/live/:cache=off"), status);
            assertTrue(status.contains("site/static/:max-age=3600,max-object-size=1048576"), status);
        }
    }

    @Test
    void age_andHeadersFromARevalidation_followTheInjectedClock() throws Exception {
        var clock = new MutableClock();
        try (var s3 = s3();
                var relay = new FaultyRelay(s3Server.getUri());
                var proxy = ProxyServer.startBuilt(relay.uri(), disk, Map.of(), b -> b.clock(clock))) {
            s3.put("site", "page", BODY, "text/html", Map.of("color", "red"), "max-age=60", null);
            assertFalse(proxy.get("/site/page").headers().firstValue("Age").isPresent(), "a miss has no Age");
            assertEquals("0", age(proxy.get("/site/page")));
            clock.advance(Duration.ofSeconds(7));
            assertEquals("7", age(proxy.get("/site/page")));
            clock.advance(Duration.ofSeconds(45));
            assertEquals("52", age(proxy.get("/site/page")));

            // the same bytes uploaded again with other metadata: past its 60 s, one HEAD refreshes the headers and
            // Age starts over; the blocks (same ETag) are kept
            s3.put("site", "page", BODY, "text/plain", Map.of("color", "blue"), "max-age=60", null);
            clock.advance(Duration.ofSeconds(10));
            int heads = relay.requests("HEAD");
            int gets = relay.requests("GET");
            HttpResponse<byte[]> revalidated = proxy.get("/site/page");
            assertArrayEquals(BODY, revalidated.body());
            assertEquals(heads + 1, relay.requests("HEAD"));
            assertEquals(gets, relay.requests("GET"), "no body fetched again");
            assertEquals(
                    "blue", revalidated.headers().firstValue("x-amz-meta-color").orElse(""));
            assertTrue(
                    revalidated.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
            clock.advance(Duration.ofSeconds(3));
            HttpResponse<byte[]> after = proxy.get("/site/page");
            assertEquals("3", age(after));
            assertEquals("blue", after.headers().firstValue("x-amz-meta-color").orElse(""));
        }
    }

    private static String age(HttpResponse<byte[]> r) {
        return r.headers().firstValue("Age").orElse("(none)");
    }

    private static java.net.http.HttpRequest rangeOf(ProxyServer proxy, String key) {
        return java.net.http.HttpRequest.newBuilder(proxy.uri("/site/" + key))
                .header("Range", "bytes=10-99")
                .build();
    }
}

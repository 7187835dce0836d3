package io.layerproxy.servlet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.ObjectKey;
import io.layerproxy.testing.Eventually;
import io.layerproxy.testing.ProxyServer;
import io.layerproxy.testing.S3Fixture;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The standalone server answers plain GETs and HEADs of hot small objects on the I/O thread ({@link InstantHits}),
 * with exactly the answer the filter gives; everything else reaches the filter as before.
 */
class InstantHitsTest {
    @RegisterExtension
    final S3ProxyExtension S3 = S3Fixture.authenticatedServer();

    @TempDir
    Path disk;

    private final byte[] page = S3Fixture.bytes(3000, 1);
    private final byte[] large = S3Fixture.bytes(40_000, 2);

    @Test
    void aHotSmallObject_isAnsweredAtOnce_withTheFiltersAnswer() throws Exception {
        try (var s3 = new S3Fixture(S3)
                        .bucket("site")
                        .put(
                                "site",
                                "docs/page.html",
                                page,
                                "text/html",
                                Map.of("color", "blue"),
                                "max-age=60",
                                "inline");
                var proxy = ProxyServer.start(s3.endpoint(), disk, S3Fixture.credentialsEnv())) {
            warm(proxy, "/site/docs/page.html");
            double before = instant(proxy);
            HttpResponse<byte[]> fast = proxy.get("/site/docs/page.html");
            assertEquals(before + 1, instant(proxy), "answered on the I/O thread");
            // Pragma other than no-cache means nothing to the filter, and sends the request its way
            HttpResponse<byte[]> filtered = proxy.send(HttpRequest.newBuilder(proxy.uri("/site/docs/page.html"))
                    .header("Pragma", "x-anything")
                    .build());
            assertEquals(before + 1, instant(proxy), "the filter answered");
            assertEquals(200, fast.statusCode());
            assertArrayEquals(page, fast.body());
            assertArrayEquals(page, filtered.body());
            assertEquals(headers(filtered), headers(fast));
            assertEquals("blue", fast.headers().firstValue("x-amz-meta-color").orElseThrow());
            assertEquals("HIT", fast.headers().firstValue("X-Cache").orElseThrow());
            assertEquals("memory", fast.headers().firstValue("X-Cache-Layer").orElseThrow());

            HttpResponse<byte[]> head = proxy.head("/site/docs/page.html");
            assertEquals(before + 2, instant(proxy));
            assertEquals(0, head.body().length);
            assertEquals(headers(filtered), headers(head));

            // counted as the filter counts: requests by route, status and layer, bytes served by layer
            var registry = proxy.proxy().meterRegistry();
            double served = registry.get("layerproxy.served.bytes")
                    .tag("layer", "memory")
                    .counter()
                    .count();
            proxy.get("/site/docs/page.html");
            // recorded when the write completes, which may be just after the client has the bytes
            assertTrue(
                    Eventually.holds(
                            Duration.ofSeconds(10),
                            () -> registry.get("layerproxy.served.bytes")
                                            .tag("layer", "memory")
                                            .counter()
                                            .count()
                                    == served + page.length),
                    "served bytes counted");
            assertNotNull(registry.get("layerproxy.requests")
                    .tag("route", "object")
                    .tag("status", "200")
                    .tag("layer", "memory")
                    .counter());
        }
    }

    @Test
    void everythingElse_goesToTheFilter() throws Exception {
        try (var s3 = new S3Fixture(S3)
                        .bucket("site")
                        .put("site", "a", page)
                        .put("site", "big", large)
                        .put("site", "with space", page);
                var proxy = ProxyServer.start(s3.endpoint(), disk, S3Fixture.credentialsEnv())) {
            warm(proxy, "/site/a");
            warm(proxy, "/site/big");
            double before = instant(proxy);
            HttpResponse<byte[]> range = proxy.send(HttpRequest.newBuilder(proxy.uri("/site/a"))
                    .header("Range", "bytes=0-9")
                    .build());
            assertEquals(206, range.statusCode());
            assertEquals(10, range.body().length);
            String etag = range.headers().firstValue("ETag").orElseThrow();
            assertEquals(
                    304,
                    proxy.send(HttpRequest.newBuilder(proxy.uri("/site/a"))
                                    .header("If-None-Match", etag)
                                    .build())
                            .statusCode());
            assertEquals(
                    200,
                    proxy.send(HttpRequest.newBuilder(proxy.uri("/site/a"))
                                    .header("Cache-Control", "no-cache")
                                    .build())
                            .statusCode());
            assertArrayEquals(large, proxy.get("/site/big").body()); // past the size of an instant answer
            assertEquals(
                    200, proxy.get("/site/a?response-content-type=text/plain").statusCode());
            assertEquals(200, proxy.get("/site/with%20space").statusCode());
            assertEquals(404, proxy.get("/site/missing").statusCode());
            assertEquals(400, proxy.get("/site/x/../a").statusCode());
            assertEquals(
                    405,
                    proxy.send(HttpRequest.newBuilder(proxy.uri("/site/a"))
                                    .DELETE()
                                    .build())
                            .statusCode());
            assertEquals(200, proxy.get("/_layerproxy/status").statusCode());
            assertEquals(before, instant(proxy), "none of these was answered on the I/O thread");
        }
    }

    @Test
    void aChangedObject_isReadAgain() throws Exception {
        byte[] next = S3Fixture.bytes(2000, 3);
        try (var s3 = new S3Fixture(S3).bucket("site").put("site", "a", page);
                var proxy = ProxyServer.start(s3.endpoint(), disk, S3Fixture.credentialsEnv())) {
            warm(proxy, "/site/a");
            double before = instant(proxy);
            assertArrayEquals(page, proxy.get("/site/a").body());
            assertEquals(before + 1, instant(proxy));
            s3.put("site", "a", next);
            proxy.proxy().invalidate(new ObjectKey("site", "a")); // as an S3 event does
            assertArrayEquals(next, proxy.get("/site/a").body());
            assertEquals(before + 1, instant(proxy), "the new version came through the filter");
        }
    }

    @Test
    void onlyPlainPathsAreTaken() {
        assertEquals(new ObjectKey("bkt", "k/x.html"), InstantHits.plainPath("/bkt/k/x.html"));
        assertEquals(new ObjectKey("bkt", "a-b_c~d.e"), InstantHits.plainPath("/bkt/a-b_c~d.e"));
        for (String path : new String[] {
            "/b",
            "/b/",
            "/b/k/",
            "/b//k",
            "/b/./k",
            "/b/k/..",
            "/_many/",
            "/_layerproxy/status",
            "/b/k%20x",
            "/b/k;x",
            "/b/k+x",
            "",
            "/",
            "b/k",
            "/b/k\\..",
            "/B!/k"
        }) {
            assertNull(InstantHits.plainPath(path), path);
        }
    }

    /** A miss, then a read that finds the metadata in the layer and remembers it: the next one can be instant. */
    private static void warm(ProxyServer proxy, String path) throws Exception {
        assertEquals(200, proxy.get(path).statusCode());
        proxy.proxy().awaitStores();
        assertEquals(200, proxy.get(path).statusCode());
    }

    private static double instant(ProxyServer proxy) {
        return proxy.proxy()
                .meterRegistry()
                .get("layerproxy.instant.hits")
                .counter()
                .count();
    }

    /** The response headers but Date (a second may turn between two answers), names in lower case. */
    private static Map<String, java.util.List<String>> headers(HttpResponse<byte[]> response) {
        var all = new TreeMap<String, java.util.List<String>>();
        response.headers().map().forEach((name, values) -> {
            if (!name.equalsIgnoreCase("date") && !name.equalsIgnoreCase("age")) {
                all.put(name.toLowerCase(java.util.Locale.ROOT), values);
            }
        });
        return all;
    }
}

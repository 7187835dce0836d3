package io.layerproxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.testing.Eventually;
import io.layerproxy.testing.ProxyServer;
import io.layerproxy.testing.S3Fixture;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Objects uploaded to S3Proxy with {@code Cache-Control}, read through the standalone server with a long
 * {@code --max-age}, S3 requests counted: S3's own directives decide freshness, a client's {@code no-cache} costs
 * one HEAD, {@code only-if-cached} never reaches S3, hits carry {@code Age}.
 */
class CachePolicyTest {
    @RegisterExtension
    final S3ProxyExtension S3 = S3Fixture.authenticatedServer();

    @TempDir
    Path disk;

    private static final byte[] BODY = S3Fixture.bytes(5000, 61);

    private S3Fixture seed() {
        var s3 = new S3Fixture(S3).bucket("policy");
        s3.put("policy", "short", BODY, "application/octet-stream", Map.of(), "max-age=1", null);
        s3.put("policy", "nocache", BODY, "application/octet-stream", Map.of(), "no-cache", null);
        s3.put("policy", "plain", BODY);
        return s3;
    }

    @Test
    void s3sDirectives_decideFreshness_andClientsCanRevalidate() throws Exception {
        try (var s3 = seed();
                var proxy = ProxyServer.start(s3.endpoint(), disk, S3Fixture.credentialsEnv(), "max-age", "3600")) {
            // plain: the proxy's max-age (an hour)
            HttpResponse<byte[]> miss = proxy.get("/policy/plain");
            assertFalse(miss.headers().firstValue("Age").isPresent(), "no Age on a miss");
            int asked = proxy.origin().requests();
            HttpResponse<byte[]> hit = proxy.get("/policy/plain");
            assertEquals(asked, proxy.origin().requests());
            assertTrue(hit.headers().firstValue("Age").isPresent(), "Age on a hit");

            // no-cache from S3: every read confirms with S3 (a HEAD), the blocks stay
            proxy.get("/policy/nocache");
            int fetched = proxy.origin().fetches();
            for (int i = 0; i < 3; i++) {
                int before = proxy.origin().requests();
                assertArrayEquals(BODY, proxy.get("/policy/nocache").body());
                assertEquals(before + 1, proxy.origin().requests(), "one HEAD per read");
            }
            assertEquals(fetched, proxy.origin().fetches(), "no body fetched again: same ETag");

            // max-age=1 from S3: fresh for a second, then revalidated
            long cached = System.nanoTime(); // before: S3's answer, the start of its second, comes during the GET
            proxy.get("/policy/short");
            int shortAsked = proxy.origin().requests();
            assertTrue(
                    Eventually.holds(Duration.ofSeconds(10), () -> {
                        get(proxy, "/policy/short");
                        return proxy.origin().requests() > shortAsked;
                    }),
                    "revalidated once its second was over");
            assertTrue(Duration.ofNanos(System.nanoTime() - cached).toMillis() >= 1000, "not before its second");

            // a browser's force-refresh: one HEAD, then hits again
            int refresh = proxy.origin().requests();
            HttpResponse<byte[]> forced = proxy.send(HttpRequest.newBuilder(proxy.uri("/policy/plain"))
                    .header("Cache-Control", "no-cache")
                    .build());
            assertArrayEquals(BODY, forced.body());
            assertEquals(refresh + 1, proxy.origin().requests(), "one HEAD for the force-refresh");
            proxy.get("/policy/plain");
            assertEquals(refresh + 1, proxy.origin().requests());

            // only-if-cached: a miss is 504 without asking S3; a hit is served
            int before = proxy.origin().requests();
            HttpResponse<byte[]> notCached = proxy.send(HttpRequest.newBuilder(proxy.uri("/policy/never-read"))
                    .header("Cache-Control", "only-if-cached")
                    .build());
            assertEquals(504, notCached.statusCode());
            assertEquals(before, proxy.origin().requests());
            assertEquals(
                    200,
                    proxy.send(HttpRequest.newBuilder(proxy.uri("/policy/plain"))
                                    .header("Cache-Control", "only-if-cached")
                                    .build())
                            .statusCode());
        }
    }

    @Test
    void ignoringS3sAndClientsDirectives_shieldsS3() throws Exception {
        try (var s3 = seed();
                var proxy = ProxyServer.start(
                        s3.endpoint(),
                        disk,
                        S3Fixture.credentialsEnv(),
                        "max-age",
                        "3600",
                        "origin-cache-control",
                        "ignore",
                        "client-cache-control",
                        "ignore")) {
            proxy.get("/policy/nocache");
            int asked = proxy.origin().requests();
            proxy.get("/policy/nocache");
            proxy.send(HttpRequest.newBuilder(proxy.uri("/policy/nocache"))
                    .header("Cache-Control", "no-cache")
                    .build());
            assertEquals(asked, proxy.origin().requests(), "neither S3's no-cache nor the client's reached S3");
        }
    }

    @Test
    void staleWhileRevalidate_servesAtOnce_andRefreshesOnceUnderFiftyRequests() throws Exception {
        try (var s3 = seed();
                var proxy = ProxyServer.start(
                        s3.endpoint(), disk, S3Fixture.credentialsEnv(), "stale-while-revalidate", "300")) {
            proxy.get("/policy/short"); // max-age=1 from S3
            int asked = proxy.origin().requests();
            assertTrue(
                    Eventually.holds(Duration.ofSeconds(10), () -> "STALE".equals(xCache(proxy, "/policy/short"))),
                    "past its second: served stale at once");
            var pool = java.util.concurrent.Executors.newFixedThreadPool(50);
            try {
                var answers = new java.util.ArrayList<java.util.concurrent.Future<HttpResponse<byte[]>>>();
                for (int i = 0; i < 50; i++) {
                    answers.add(pool.submit(() -> proxy.get("/policy/short")));
                }
                for (var answer : answers) {
                    HttpResponse<byte[]> r = answer.get(60, java.util.concurrent.TimeUnit.SECONDS);
                    assertEquals(200, r.statusCode());
                    assertArrayEquals(BODY, r.body());
                }
            } finally {
                pool.shutdownNow();
            }
            // every refresh that ran found the copy fresh again or shared one HEAD; a second may pass meanwhile
            int refreshes = proxy.origin().requests() - asked;
            assertTrue(refreshes >= 1 && refreshes <= 3, refreshes + " S3 requests for 51 stale reads");
            assertEquals(0, proxy.origin().fetches() - 1, "no body fetched again: same ETag");
        }
    }

    private static String xCache(ProxyServer proxy, String path) {
        try {
            return proxy.get(path).headers().firstValue("X-Cache").orElse("");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void get(ProxyServer proxy, String path) {
        try {
            proxy.get(path);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}

package io.layerproxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.testing.Ports;
import io.layerproxy.testing.ProxyServer;
import io.layerproxy.testing.S3Fixture;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The S3-compatible server is stopped mid-run and started again on the same port: cached objects keep answering
 * with the right bytes (marked stale), an uncached one gets a prompt 502, and misses work again without a restart.
 */
class OriginOutageTest {
    private static final int OBJECTS = 3;

    @TempDir
    Path disk;

    private static byte[] body(int i) {
        return S3Fixture.bytes(150_000 + i, 40 + i);
    }

    private static S3ProxyExtension startS3(int port) throws Exception {
        S3ProxyExtension server = S3ProxyExtension.builder()
                .withPort(port)
                .withCredentials(S3Fixture.ACCESS_KEY, S3Fixture.SECRET_KEY)
                .build();
        server.beforeEach(null);
        try (var s3 = new S3Fixture(server).bucket("outage")) {
            for (int i = 0; i < OBJECTS; i++) {
                s3.put("outage", "cached-" + i, body(i));
            }
            s3.put("outage", "uncached", body(99));
        }
        return server;
    }

    /** A request that fails the test rather than hang: the bound on any answer. */
    private static HttpResponse<byte[]> get(ProxyServer proxy, String path) throws Exception {
        return proxy.send(HttpRequest.newBuilder(proxy.uri(path))
                .timeout(Duration.ofSeconds(30))
                .GET()
                .build());
    }

    @Test
    void s3Stopped_cachedObjectsStillAnswer_missesAre502_andRecoverWhenS3IsBack() throws Exception {
        int port = Ports.free();
        S3ProxyExtension s3 = startS3(port);
        // max-age 0: every request revalidates, so every answer during the outage needs stale-if-error
        try (var proxy = ProxyServer.start(s3.getUri(), disk, S3Fixture.credentialsEnv(), "max-age", "0")) {
            for (int i = 0; i < OBJECTS; i++) {
                assertEquals(200, get(proxy, "/outage/cached-" + i).statusCode());
            }

            s3.afterEach(null);
            s3 = null;

            for (int round = 0; round < 3; round++) { // enough failures to open the circuit
                for (int i = 0; i < OBJECTS; i++) {
                    HttpResponse<byte[]> r = get(proxy, "/outage/cached-" + i);
                    assertEquals(200, r.statusCode(), "cached-" + i);
                    assertArrayEquals(body(i), r.body(), "cached-" + i);
                    assertEquals("STALE", r.headers().firstValue("X-Cache").orElse(""));
                    assertTrue(r.headers().firstValue("Warning").orElse("").startsWith("111"));
                }
            }
            HttpResponse<byte[]> miss = get(proxy, "/outage/uncached");
            assertEquals(502, miss.statusCode());
            String error = new String(miss.body(), StandardCharsets.UTF_8);
            assertFalse(
                    error.contains(S3Fixture.SECRET_KEY) || error.contains("Exception") || error.contains("/tmp"),
                    error);

            s3 = startS3(port);
            HttpResponse<byte[]> recovered = null;
            for (int attempt = 0; attempt < 60; attempt++) { // the circuit probes again within seconds
                recovered = get(proxy, "/outage/uncached");
                if (recovered.statusCode() == 200) {
                    break;
                }
                Thread.sleep(500);
            }
            assertEquals(200, recovered.statusCode(), "a miss works again without restarting the proxy");
            assertArrayEquals(body(99), recovered.body());
            HttpResponse<byte[]> fresh = get(proxy, "/outage/cached-0");
            assertEquals("HIT", fresh.headers().firstValue("X-Cache").orElse(""), "revalidated: same bytes, same ETag");
        } finally {
            if (s3 != null) {
                s3.afterEach(null);
            }
        }
    }
}

package io.layerproxy;

import static io.layerproxy.ReadThroughTest.header;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.layerproxy.testing.ProxyServer;
import io.layerproxy.testing.S3Fixture;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** --on-dne: the fallback object answers for missing keys, with --on-dne-status. */
class FallbackTest {
    private static final String PAGE = "<h1>not here</h1>";

    @RegisterExtension
    final S3ProxyExtension S3 = S3Fixture.authenticatedServer();

    @TempDir
    Path disk;

    private S3Fixture s3;

    @BeforeEach
    void seed() {
        s3 = new S3Fixture(S3)
                .bucket("site")
                .put(
                        "site",
                        "404.html",
                        PAGE.getBytes(StandardCharsets.UTF_8),
                        "text/html",
                        java.util.Map.of(),
                        "no-cache",
                        null);
        s3.put("site", "index.html", "home".getBytes(StandardCharsets.UTF_8));
        s3.bucket("other").put("other", "x", "x".getBytes(StandardCharsets.UTF_8));
    }

    private ProxyServer proxy(String... flags) throws Exception {
        return ProxyServer.start(s3.endpoint(), disk, S3Fixture.credentialsEnv(), flags);
    }

    @Test
    void missingKey_servesTheFallbackBody_with404() throws Exception {
        try (var proxy = proxy("on-dne", "site/404.html")) {
            HttpResponse<byte[]> response = proxy.get("/site/no/such/page");

            assertEquals(404, response.statusCode());
            assertEquals(PAGE, new String(response.body(), StandardCharsets.UTF_8));
            assertEquals("text/html", header(response, "Content-Type"));
            assertEquals("no-cache", header(response, "Cache-Control"));
            assertEquals("home", new String(proxy.get("/site/index.html").body(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void singlePageApp_fallbackWith200_alsoForHead() throws Exception {
        try (var proxy = proxy("on-dne", "site/404.html", "on-dne-status", "200")) {
            HttpResponse<byte[]> get = proxy.get("/site/app/route/42");
            HttpResponse<byte[]> head = proxy.head("/site/app/route/43");

            assertEquals(200, get.statusCode());
            assertEquals(PAGE, new String(get.body(), StandardCharsets.UTF_8));
            assertEquals(200, head.statusCode());
            assertEquals(String.valueOf(PAGE.length()), header(head, "Content-Length"));
            assertEquals(0, head.body().length);
        }
    }

    @Test
    void missingBucket_alsoGetsTheFallback() throws Exception {
        try (var proxy = proxy("on-dne", "site/404.html")) {
            HttpResponse<byte[]> response = proxy.get("/no-such-bucket/x");

            assertEquals(404, response.statusCode());
            assertEquals(PAGE, new String(response.body(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void missingFallback_isAPlain404_neverALoop() throws Exception {
        try (var proxy = proxy("on-dne", "site/also-missing.html", "on-dne-status", "200")) {
            HttpResponse<byte[]> response = proxy.get("/site/nope");

            assertEquals(404, response.statusCode());
            assertEquals("404 no such object: site/nope\n", new String(response.body(), StandardCharsets.UTF_8));
            assertEquals(2, proxy.origin().fetches(), "the key and the fallback, one GET each");
            assertEquals(0, proxy.origin().heads());
        }
    }

    @Test
    void bucketOutsideTheAllowlist_getsAPlain404_withoutS3() throws Exception {
        try (var proxy = proxy("on-dne", "site/404.html", "buckets", "site")) {
            HttpResponse<byte[]> response = proxy.get("/other/x");

            assertEquals(404, response.statusCode());
            assertEquals("404 no such object: other/x\n", new String(response.body(), StandardCharsets.UTF_8));
            assertEquals(0, proxy.origin().requests());
        }
    }
}

package io.layerproxy.servlet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.testing.ProxyServer;
import io.layerproxy.testing.S3Fixture;
import io.layerproxy.testing.TruncatingOrigin;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** POST /_many/: a streamed zip of objects, read back and checked byte for byte. */
class ManyZipTest {
    @RegisterExtension
    final S3ProxyExtension S3 = S3Fixture.authenticatedServer();

    @TempDir
    Path disk;

    private S3Fixture s3;

    @BeforeEach
    void seed() {
        s3 = new S3Fixture(S3).bucket("docs");
        s3.put("docs", "a.txt", bytes("alpha"));
        s3.put("docs", "img/1.png", S3Fixture.bytes(50_000, 1));
        s3.put("docs", "img/2.png", S3Fixture.bytes(70_000, 2));
        s3.put("docs", "dir\\..\\escape.txt", bytes("zip slip on Windows"));
        s3.bucket("secret").put("secret", "s.txt", bytes("s"));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private ProxyServer proxy(String... flags) throws Exception {
        return ProxyServer.start(s3.endpoint(), disk, S3Fixture.credentialsEnv(), flags);
    }

    private static HttpResponse<byte[]> post(ProxyServer proxy, String json) throws Exception {
        return proxy.send(HttpRequest.newBuilder(proxy.uri("/_many/"))
                .POST(HttpRequest.BodyPublishers.ofString(json))
                .header("Content-Type", "application/json")
                .build());
    }

    private static Map<String, byte[]> unzip(byte[] zip) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (var in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                entries.put(e.getName(), in.readAllBytes());
            }
        }
        return entries;
    }

    @Test
    void zipHoldsTheObjects_expandsPrefixes_andListsMissingKeysInErrorsTxt() throws Exception {
        try (var proxy = proxy()) {
            HttpResponse<byte[]> response = post(proxy, "[\"docs/a.txt\", \"docs/img/*\", \"docs/missing.txt\"]");

            assertEquals(200, response.statusCode());
            assertEquals(
                    "application/zip",
                    response.headers().firstValue("Content-Type").orElseThrow());
            Map<String, byte[]> zip = unzip(response.body());
            assertEquals(
                    java.util.List.of("docs/a.txt", "docs/img/1.png", "docs/img/2.png", "errors.txt"),
                    java.util.List.copyOf(zip.keySet()));
            assertArrayEquals(bytes("alpha"), zip.get("docs/a.txt"));
            assertArrayEquals(S3Fixture.bytes(50_000, 1), zip.get("docs/img/1.png"));
            assertArrayEquals(S3Fixture.bytes(70_000, 2), zip.get("docs/img/2.png"));
            assertEquals(
                    "docs/missing.txt: no such object\n", new String(zip.get("errors.txt"), StandardCharsets.UTF_8));
            assertEquals(
                    "HIT",
                    proxy.get("/docs/img/2.png").headers().firstValue("X-Cache").orElseThrow(),
                    "the zip read through the cache");
        }
    }

    @Test
    void unsafeNamesAndDisallowedBuckets_goToErrorsTxt_notIntoTheZip() throws Exception {
        try (var proxy = proxy("buckets", "docs")) {
            HttpResponse<byte[]> response =
                    post(proxy, "[\"docs/dir\\\\..\\\\escape.txt\", \"secret/s.txt\", \"secret/*\"]");

            Map<String, byte[]> zip = unzip(response.body());
            assertEquals(java.util.Set.of("errors.txt"), zip.keySet());
            String errors = new String(zip.get("errors.txt"), StandardCharsets.UTF_8);
            assertTrue(errors.contains("docs/dir\\..\\escape.txt: skipped, not a safe path inside a zip"), errors);
            assertTrue(errors.contains("secret/s.txt: no such object"), errors);
            assertTrue(errors.contains("secret/*: no such objects"), errors);
            assertEquals(0, proxy.origin().lists(), "no listing of a bucket outside the allowlist");
        }
    }

    @Test
    void entryNames_withDotSegmentsOrEmptySegments_areUnsafe() {
        for (String key : new String[] {"../x", "a/../../x", "./x", "a//x", "/abs", "a\\b"}) {
            assertTrue(!ManyHandler.safeEntryName(new io.layerproxy.ObjectKey("docs", key)), key);
        }
        assertTrue(ManyHandler.safeEntryName(new io.layerproxy.ObjectKey("docs", "a/b.c/..d")));
    }

    @Test
    void overTheEntryLimit_is413() throws Exception {
        try (var proxy = proxy("many-max-entries", "2")) {
            HttpResponse<byte[]> response = post(proxy, "[\"docs/img/*\", \"docs/a.txt\"]");

            assertEquals(413, response.statusCode());
            assertTrue(new String(response.body(), StandardCharsets.UTF_8).contains("many-max-entries (2)"));
        }
    }

    @Test
    void overTheByteLimit_is413() throws Exception {
        try (var proxy = proxy("many-max-bytes", "100000")) {
            HttpResponse<byte[]> response = post(proxy, "[\"docs/img/*\"]");

            assertEquals(413, response.statusCode());
            assertTrue(new String(response.body(), StandardCharsets.UTF_8).contains("many-max-bytes (100000)"));
        }
    }

    @Test
    void badBodies_are400_andAnOversizedBodyIs413() throws Exception {
        try (var proxy = proxy()) {
            for (String bad : new String[] {
                "", "{}", "[1]", "[\"docs/a.txt\"] trailing", "[[\"x\"]]", "[\"nobucket\"]", "[\"docs/a.txt\""
            }) {
                assertEquals(400, post(proxy, bad).statusCode(), bad);
            }
            String huge = "[\"" + "x".repeat(ManyRequest.MAX_BODY_BYTES) + "\"]";
            assertEquals(413, post(proxy, huge).statusCode());
        }
    }

    @Test
    void getOnManyIs405_withAllowPost() throws Exception {
        try (var proxy = proxy()) {
            HttpResponse<byte[]> response = proxy.get("/_many/");

            assertEquals(405, response.statusCode());
            assertEquals("POST", response.headers().firstValue("Allow").orElseThrow());
        }
    }

    @Test
    void anObjectCutShortInsideTheZip_abortsTheResponse_insteadOfAValidZipWithAShortFile() throws Exception {
        try (var proxy = ProxyServer.start(
                s3.endpoint(),
                disk,
                S3Fixture.credentialsEnv(),
                origin -> new TruncatingOrigin(origin, 60_000),
                "block-size",
                "4096")) {
            assertThrows(
                    IOException.class,
                    () -> unzip(
                            post(proxy, "[\"docs/a.txt\", \"docs/img/2.png\"]").body()));
        }
    }

    @Test
    void repeatedAndCoveredPrefixes_areListedOnce() throws Exception {
        try (var proxy = proxy()) {
            String twenty = String.join(",", java.util.Collections.nCopies(20, "\"docs/img/*\""));
            HttpResponse<byte[]> response =
                    post(proxy, "[" + twenty + ", \"docs/img/1*\", \"docs/*\", \"docs*\", \"docs/a.txt\"]");

            assertEquals(200, response.statusCode());
            assertEquals(1, proxy.origin().lists(), "docs/* covers the rest: one listing");
            Map<String, byte[]> zip = unzip(response.body());
            assertEquals(
                    java.util.List.of("docs/a.txt", "docs/img/1.png", "docs/img/2.png", "errors.txt"),
                    java.util.List.copyOf(zip.keySet()),
                    "each object once (the unsafe name goes to errors.txt)");
        }
    }

    @Test
    void moreThanAHundredPrefixes_are413_beforeAnyListing() throws Exception {
        try (var proxy = proxy()) {
            StringBuilder json = new StringBuilder("[");
            for (int i = 0; i <= ManyRequest.MAX_PREFIXES; i++) {
                json.append(i == 0 ? "" : ",").append("\"docs/p").append(i).append("/*\"");
            }
            HttpResponse<byte[]> response = post(proxy, json.append("]").toString());

            assertEquals(413, response.statusCode());
            assertEquals(0, proxy.origin().lists());
        }
    }

    @Test
    void aKeyTheOriginFails_goesToErrorsTxt_andTheZipGoesOn() throws Exception {
        try (var proxy = ProxyServer.start(
                s3.endpoint(),
                disk,
                S3Fixture.credentialsEnv(),
                origin -> new io.layerproxy.testing.ForwardingOrigin(origin) {
                    @Override
                    public io.layerproxy.ObjectInfo head(io.layerproxy.ObjectKey key) {
                        if (key.key().equals("img/1.png")) {
                            throw new io.layerproxy.OriginException(
                                    io.layerproxy.OriginException.Kind.UNAVAILABLE,
                                    "S3 answered 500 to HEAD " + key,
                                    500,
                                    "InternalError",
                                    null);
                        }
                        return super.head(key);
                    }
                })) {
            HttpResponse<byte[]> response = post(proxy, "[\"docs/a.txt\", \"docs/img/1.png\", \"docs/img/2.png\"]");

            assertEquals(200, response.statusCode());
            Map<String, byte[]> zip = unzip(response.body());
            assertEquals(
                    java.util.List.of("docs/a.txt", "docs/img/2.png", "errors.txt"),
                    java.util.List.copyOf(zip.keySet()));
            assertTrue(
                    new String(zip.get("errors.txt"), StandardCharsets.UTF_8)
                            .startsWith("docs/img/1.png: S3 answered 500"),
                    new String(zip.get("errors.txt"), StandardCharsets.UTF_8));
        }
    }

    @Test
    void zipsBeyondManyMaxConcurrent_are503WithRetryAfter_atOnce() throws Exception {
        var inside = new java.util.concurrent.CountDownLatch(1);
        var release = new java.util.concurrent.CountDownLatch(1);
        try (var proxy = ProxyServer.start(
                s3.endpoint(),
                disk,
                S3Fixture.credentialsEnv(),
                origin -> new io.layerproxy.testing.ForwardingOrigin(origin) {
                    @Override
                    public io.layerproxy.ObjectInfo head(io.layerproxy.ObjectKey key) {
                        if (key.key().equals("a.txt")) {
                            inside.countDown();
                            try {
                                release.await(); // the first zip is being built until the test lets it go
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }
                        return super.head(key);
                    }
                },
                "many-max-concurrent",
                "1")) {
            var first = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return post(proxy, "[\"docs/a.txt\"]");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            assertTrue(inside.await(30, java.util.concurrent.TimeUnit.SECONDS));

            HttpResponse<byte[]> second = post(proxy, "[\"docs/img/1.png\"]");
            assertEquals(503, second.statusCode());
            assertEquals("5", second.headers().firstValue("Retry-After").orElseThrow());
            release.countDown();
            assertEquals(
                    200, first.get(30, java.util.concurrent.TimeUnit.SECONDS).statusCode());
            assertEquals(200, post(proxy, "[\"docs/img/1.png\"]").statusCode(), "a slot again");
        }
    }
}

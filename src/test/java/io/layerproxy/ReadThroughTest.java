package io.layerproxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.testing.ProxyServer;
import io.layerproxy.testing.S3Fixture;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The layered read path end to end: real S3Proxy (with signature checks), real Jetty, real disk. */
class ReadThroughTest {
    @RegisterExtension
    final S3ProxyExtension S3 = S3Fixture.authenticatedServer();

    @TempDir
    Path disk;

    private S3Fixture s3;
    private ProxyServer proxy;

    @BeforeEach
    void seed() throws Exception {
        s3 = new S3Fixture(S3);
        s3.bucket("site")
                .put(
                        "site",
                        "index.html",
                        "<h1>hello</h1>".getBytes(StandardCharsets.UTF_8),
                        "text/html",
                        Map.of("owner", "web-team"),
                        "max-age=300",
                        "inline");
        s3.put("site", "data/blob.bin", S3Fixture.bytes(10_000, 7));
        s3.put("site", "empty", new byte[0]);
        proxy = ProxyServer.start(s3.endpoint(), disk, S3Fixture.credentialsEnv(), "block-size", "4096");
    }

    @AfterEach
    void stop() {
        proxy.close();
        s3.close();
    }

    @Test
    void firstGetIsMiss_secondIsMemoryHit_withIdenticalBytesAndHeaders() throws Exception {
        HttpResponse<byte[]> first = proxy.get("/site/index.html");
        HttpResponse<byte[]> second = proxy.get("/site/index.html");

        assertEquals(200, first.statusCode());
        assertEquals("MISS", header(first, "X-Cache"));
        assertEquals("origin", header(first, "X-Cache-Layer"));
        assertEquals(200, second.statusCode());
        assertEquals("HIT", header(second, "X-Cache"));
        assertEquals("memory", header(second, "X-Cache-Layer"));
        assertEquals("<h1>hello</h1>", new String(second.body(), StandardCharsets.UTF_8));
        assertArrayEquals(first.body(), second.body());
        for (String name : List.of(
                "Content-Type",
                "Content-Length",
                "ETag",
                "Last-Modified",
                "Cache-Control",
                "Content-Disposition",
                "x-amz-meta-owner")) {
            assertEquals(header(first, name), header(second, name), name);
        }
        assertEquals(1, proxy.origin().fetches(), "one GET (metadata and body) reaches S3, the hit nothing");
        assertEquals(1, proxy.origin().requests());
    }

    @Test
    void s3HeadersArePassedThrough() throws Exception {
        HttpResponse<byte[]> response = proxy.get("/site/index.html");

        assertEquals("text/html", header(response, "Content-Type"));
        assertEquals("14", header(response, "Content-Length"));
        assertEquals("max-age=300", header(response, "Cache-Control"));
        assertEquals("inline", header(response, "Content-Disposition"));
        assertEquals("web-team", header(response, "x-amz-meta-owner"));
        var head = s3.client().headObject(b -> b.bucket("site").key("index.html"));
        assertEquals(head.eTag(), header(response, "ETag"));
        assertTrue(header(response, "Last-Modified").endsWith(" GMT"), header(response, "Last-Modified"));
    }

    @Test
    void multiBlockObject_isServedWhole_cold_and_warm() throws Exception {
        byte[] expected = S3Fixture.bytes(10_000, 7); // three 4 KiB blocks, the last one short

        HttpResponse<byte[]> cold = proxy.get("/site/data/blob.bin");
        HttpResponse<byte[]> warm = proxy.get("/site/data/blob.bin");

        assertArrayEquals(expected, cold.body());
        assertArrayEquals(expected, warm.body());
        assertEquals("MISS", header(cold, "X-Cache"));
        assertEquals("HIT", header(warm, "X-Cache"));
        assertEquals(1, proxy.origin().requests(), "one streaming GET for all blocks of the cold read");
    }

    @Test
    void emptyObject_isServedWithZeroLength() throws Exception {
        HttpResponse<byte[]> response = proxy.get("/site/empty");

        assertEquals(200, response.statusCode());
        assertEquals("0", header(response, "Content-Length"));
        assertEquals(0, response.body().length);
    }

    @Test
    void head_returnsTheSameHeadersAsGet_andNoBody() throws Exception {
        HttpResponse<byte[]> get = proxy.get("/site/index.html");
        HttpResponse<byte[]> head = proxy.head("/site/index.html");

        assertEquals(200, head.statusCode());
        assertEquals(0, head.body().length);
        for (String name : List.of(
                "Content-Type",
                "Content-Length",
                "ETag",
                "Last-Modified",
                "Cache-Control",
                "Content-Disposition",
                "x-amz-meta-owner")) {
            assertEquals(header(get, name), header(head, name), name);
        }
        assertEquals("HIT", header(head, "X-Cache"));
        assertEquals("memory", header(head, "X-Cache-Layer"));
    }

    @Test
    void restartWithTheSameDiskDir_servesADiskHit_withoutAnyS3Request() throws Exception {
        byte[] expected = S3Fixture.bytes(10_000, 7);
        assertArrayEquals(expected, proxy.get("/site/data/blob.bin").body());
        proxy.close();

        // the second proxy's origin is a closed port: any S3 request would fail the GET
        URI deadOrigin = URI.create("http://127.0.0.1:9");
        proxy = ProxyServer.start(deadOrigin, disk, S3Fixture.credentialsEnv(), "block-size", "4096");
        HttpResponse<byte[]> response = proxy.get("/site/data/blob.bin");

        assertEquals(200, response.statusCode());
        assertEquals("HIT", header(response, "X-Cache"));
        assertEquals("disk", header(response, "X-Cache-Layer"));
        assertArrayEquals(expected, response.body());
        assertEquals(0, proxy.origin().requests());
    }

    @Test
    void missingKey_is404WithAClearBody() throws Exception {
        HttpResponse<byte[]> response = proxy.get("/site/nope.html");

        assertEquals(404, response.statusCode());
        assertEquals("404 no such object: site/nope.html\n", new String(response.body(), StandardCharsets.UTF_8));
    }

    @Test
    void missingBucket_is404() throws Exception {
        HttpResponse<byte[]> response = proxy.get("/no-such-bucket/index.html");

        assertEquals(404, response.statusCode());
        assertTrue(new String(response.body(), StandardCharsets.UTF_8).contains("no such object"));
    }

    @Test
    void bucketOutsideTheAllowlist_is404_withoutAnS3Request() throws Exception {
        s3.bucket("private").put("private", "secret.txt", "s3cr3t".getBytes(StandardCharsets.UTF_8));
        proxy.close();
        proxy = ProxyServer.start(s3.endpoint(), disk, S3Fixture.credentialsEnv(), "buckets", "site");

        HttpResponse<byte[]> denied = proxy.get("/private/secret.txt");
        HttpResponse<byte[]> allowed = proxy.get("/site/index.html");

        assertEquals(404, denied.statusCode());
        assertTrue(!new String(denied.body(), StandardCharsets.UTF_8).contains("s3cr3t"));
        assertEquals(200, allowed.statusCode());
        assertEquals(1, proxy.origin().requests(), "only the allowed bucket reached S3");
    }

    @Test
    void legacySecretKeyEnvName_signsRequests() throws Exception {
        proxy.close();
        proxy = ProxyServer.start(
                s3.endpoint(),
                disk,
                Map.of("AWS_ACCESS_KEY_ID", S3Fixture.ACCESS_KEY, "AWS_SECRET_KEY", S3Fixture.SECRET_KEY));

        assertEquals(200, proxy.get("/site/index.html").statusCode());
    }

    @Test
    void wrongCredentials_are403_withoutLeakingThem() throws Exception {
        proxy.close();
        proxy = ProxyServer.start(
                s3.endpoint(),
                disk,
                Map.of("AWS_ACCESS_KEY_ID", S3Fixture.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", "not-the-secret"));

        HttpResponse<byte[]> response = proxy.get("/site/index.html");

        assertEquals(403, response.statusCode());
        String body = new String(response.body(), StandardCharsets.UTF_8);
        assertTrue(!body.contains("not-the-secret") && !body.contains(S3Fixture.ACCESS_KEY), body);
    }

    @Test
    void otherMethods_are405WithAllow() throws Exception {
        HttpResponse<byte[]> response = proxy.send(HttpRequest.newBuilder(proxy.uri("/site/index.html"))
                .PUT(HttpRequest.BodyPublishers.ofString("x"))
                .build());

        assertEquals(405, response.statusCode());
        assertEquals("GET, HEAD", header(response, "Allow"));
    }

    @Test
    void pathWithoutKey_is400() throws Exception {
        HttpResponse<byte[]> response = proxy.get("/site/");

        assertEquals(400, response.statusCode());
        assertTrue(new String(response.body(), StandardCharsets.UTF_8).contains("/{bucket}/{key}"));
    }

    @Test
    void keysWithSpacesAndUnicode_roundTrip() throws Exception {
        byte[] body = "unicode".getBytes(StandardCharsets.UTF_8);
        s3.put("site", "dir/a file ü.txt", body);

        HttpResponse<byte[]> response = proxy.get("/site/dir/a%20file%20%C3%BC.txt");

        assertEquals(200, response.statusCode());
        assertArrayEquals(body, response.body());
    }

    static String header(HttpResponse<?> response, String name) {
        return response.headers().firstValue(name).orElse(null);
    }
}

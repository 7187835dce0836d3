package io.layerproxy.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.layerproxy.testing.ProxyServer;
import io.layerproxy.testing.RawHttp;
import io.layerproxy.testing.S3Fixture;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile and malformed requests, sent byte for byte over a socket: each gets its precise 4xx (or the RFC 9110
 * answer for odd but legal input), never a 5xx; S3 is not called for any of them, and no file outside the cache
 * folder is created, changed or deleted.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputTest {
    private static final int SIZE = 1000;
    private static final String OBJ = "/ok-bucket/obj.bin";

    /** Started once for the whole table (the extension's callbacks run per test). */
    private final S3ProxyExtension s3Server = S3Fixture.authenticatedServer();

    private Path tmp;

    private S3Fixture s3;
    private ProxyServer proxy;
    private Map<String, String> outsideBefore;

    @BeforeAll
    void start() throws Exception {
        s3Server.beforeEach(null);
        tmp = Files.createTempDirectory("bad-input");
        s3 = new S3Fixture(s3Server)
                .bucket("ok-bucket")
                .bucket("other-bucket")
                .put("ok-bucket", "obj.bin", S3Fixture.bytes(SIZE, 1))
                .put("other-bucket", "secret", "not for you".getBytes(StandardCharsets.UTF_8));
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Files.writeString(outside.resolve("secret.txt"), "local secret");
        proxy = ProxyServer.start(
                s3.endpoint(), tmp.resolve("cache"), S3Fixture.credentialsEnv(), "buckets", "ok-bucket");
        assertEquals(200, proxy.get(OBJ).statusCode(), "warm: the object is cached, S3 is not needed below");
        outsideBefore = snapshotOutsideCache();
    }

    @AfterAll
    void stop() throws IOException {
        assertEquals(outsideBefore, snapshotOutsideCache(), "no file outside the cache folder was touched");
        proxy.close();
        s3.close();
        s3Server.afterEach(null);
        org.apache.commons.io.file.PathUtils.deleteDirectory(tmp);
    }

    private static String[] h(String... headers) {
        return headers;
    }

    static Stream<Arguments> cases() {
        String longKey = "k".repeat(1025);
        String manyRanges = "bytes=" + String.join(",", java.util.Collections.nCopies(2000, "0-0"));
        String hugeHeader = "X-Big: " + "a".repeat(20_000);
        List<Arguments> rows = new ArrayList<>(List.of(
                // paths: length, encoding, traversal
                row("key longer than S3 allows", "GET", "/ok-bucket/" + longKey, h(), null, 400),
                row("NUL in the key", "GET", "/ok-bucket/a%00b", h(), null, 400),
                row("control character in the key", "GET", "/ok-bucket/a%07b", h(), null, 400),
                row("invalid UTF-8", "GET", "/ok-bucket/%ff%fe", h(), null, 400),
                row("truncated percent escape", "GET", "/ok-bucket/a%2", h(), null, 400),
                row("encoded slash", "GET", "/ok-bucket/a%2Fb", h(), null, 400),
                row("encoded dot segments", "GET", "/ok-bucket/%2e%2e/other-bucket/secret", h(), null, 400),
                row("raw dot segments out of the bucket", "GET", "/ok-bucket/../other-bucket/secret", h(), null, 400),
                row("dot segments above the root", "GET", "/../../etc/passwd", h(), null, 400),
                row("encoded backslash traversal", "GET", "/ok-bucket/..%5c..%5cetc%5cpasswd", h(), null, 400),
                row("a path parameter", "GET", "/ok-bucket/obj.bin;jsessionid=1", h(), null, 400),
                row("a dot segment inside the bucket", "GET", "/ok-bucket/./obj.bin", h(), null, 400),
                row("bucket outside the allowlist", "GET", "/other-bucket/secret", h(), null, 404),
                row("invalid bucket name", "GET", "/-bad-/key", h(), null, 400),
                row("absolute URL to another host", "GET", "http://169.254.169.254/latest/meta-data", h(), null, 400),
                // methods
                row("PUT", "PUT", OBJ, h(), new byte[3], 405),
                row("DELETE", "DELETE", OBJ, h(), null, 405),
                row("POST to an object", "POST", OBJ, h(), new byte[3], 405),
                row("PATCH", "PATCH", OBJ, h(), null, 405),
                row("OPTIONS", "OPTIONS", OBJ, h(), null, 405),
                row("TRACE", "TRACE", OBJ, h(), null, 405),
                row("an invented method", "BREW", OBJ, h(), null, 405),
                row("GET of the batch endpoint", "GET", "/_many/", h(), null, 405),
                // ranges
                row("2000 ranges", "GET", OBJ, h("Range: " + manyRanges), null, 416),
                row("first byte past 2^64", "GET", OBJ, h("Range: bytes=99999999999999999999-"), null, 416),
                row("last byte past 2^64", "GET", OBJ, h("Range: bytes=0-99999999999999999999"), null, 206),
                row("suffix past 2^64", "GET", OBJ, h("Range: bytes=-99999999999999999999"), null, 206),
                row("first past the end", "GET", OBJ, h("Range: bytes=1000-"), null, 416),
                row("reversed range", "GET", OBJ, h("Range: bytes=5-1"), null, 200),
                row("overlapping ranges", "GET", OBJ, h("Range: bytes=0-10,5-20,0-30"), null, 206),
                row("another unit", "GET", OBJ, h("Range: items=0-5"), null, 200),
                row("garbage range", "GET", OBJ, h("Range: bytes=abc"), null, 200),
                row("negative first byte", "GET", OBJ, h("Range: bytes=--5"), null, 200),
                // preconditions
                row("If-Match that cannot match", "GET", OBJ, h("If-Match: \"nope\""), null, 412),
                row("garbage If-Modified-Since", "GET", OBJ, h("If-Modified-Since: yesterday"), null, 200),
                row("If-None-Match *", "GET", OBJ, h("If-None-Match: *"), null, 304),
                row("garbage If-Unmodified-Since", "GET", OBJ, h("If-Unmodified-Since: 99"), null, 200),
                // sizes
                row("a 20 KB header", "GET", OBJ, h(hugeHeader), null, 431),
                row("a 20 KB request target", "GET", "/ok-bucket/" + "a/".repeat(10_000), h(), null, 414),
                row(
                        "batch body over 1 MiB",
                        "POST",
                        "/_many/",
                        h("Content-Type: application/json"),
                        ("[\"" + "x".repeat(2 << 20) + "\"]").getBytes(StandardCharsets.UTF_8),
                        413),
                row(
                        "batch body not JSON",
                        "POST",
                        "/_many/",
                        h("Content-Type: application/json"),
                        "{{{".getBytes(StandardCharsets.UTF_8),
                        400),
                row(
                        "batch body not an array",
                        "POST",
                        "/_many/",
                        h("Content-Type: application/json"),
                        "{\"a\":1}".getBytes(StandardCharsets.UTF_8),
                        400),
                row(
                        "batch entry not a string",
                        "POST",
                        "/_many/",
                        h("Content-Type: application/json"),
                        "[1,2]".getBytes(StandardCharsets.UTF_8),
                        400),
                // lists
                row("listing a bucket outside the allowlist", "GET", "/other-bucket?list-type=2", h(), null, 404),
                row("an unknown list-type", "GET", "/ok-bucket?list-type=3", h(), null, 400),
                row("negative max-keys", "GET", "/ok-bucket?list-type=2&max-keys=-5", h(), null, 400),
                row("max-keys not a number", "GET", "/ok-bucket?list-type=2&max-keys=abc", h(), null, 400),
                row("unknown encoding-type", "GET", "/ok-bucket?list-type=2&encoding-type=bogus", h(), null, 400),
                // admin endpoints are off without --admin-token
                row(
                        "purge without an admin token configured",
                        "POST",
                        "/_layerproxy/purge?key=ok-bucket/obj.bin",
                        h("Authorization: Bearer guess-guess-guess"),
                        null,
                        404)));
        return rows.stream();
    }

    private static Arguments row(String name, String method, String target, String[] headers, byte[] body, int status) {
        return Arguments.of(name, method, target, headers, body, status);
    }

    @ParameterizedTest(name = "{0}: {5}")
    @MethodSource("cases")
    void badInput_getsItsPreciseAnswer_withoutCallingS3(
            String name, String method, String target, String[] headers, byte[] body, int status) throws Exception {
        int originCalls = originCalls();

        RawHttp.Answer answer = RawHttp.send(proxy.uri("/"), method, target, headers, body);

        assertEquals(status, answer.status(), name + ": " + answer.head() + "\n" + abbreviate(answer.text()));
        assertEquals(originCalls, originCalls(), name + ": S3 was not called");
        String text = answer.text();
        assertFalse(
                text.contains(S3Fixture.SECRET_KEY)
                        || text.contains(tmp.toString())
                        || text.contains("\tat ")
                        || text.contains("Exception")
                        || text.contains("not for you"),
                name + " leaked: " + abbreviate(text));
    }

    private int originCalls() {
        var o = proxy.origin();
        return o.heads() + o.reads() + o.lists() + o.revalidations();
    }

    private static String abbreviate(String s) {
        return s.length() <= 300 ? s : s.substring(0, 300) + "...";
    }

    /** Path, size and modification time of every file under the temp folder except the cache. */
    private Map<String, String> snapshotOutsideCache() throws IOException {
        Map<String, String> files = new TreeMap<>();
        Path cache = tmp.resolve("cache");
        try (Stream<Path> walk = Files.walk(tmp)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (!p.startsWith(cache)) {
                    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                    files.put(
                            tmp.relativize(p).toString(),
                            a.size() + "@" + a.lastModifiedTime().toMillis());
                }
            }
        }
        return files;
    }
}

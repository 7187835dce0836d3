package io.layerproxy.servlet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.http.ByteRanges;
import io.layerproxy.http.HttpDates;
import io.layerproxy.http.Preconditions;
import io.layerproxy.testing.ProxyServer;
import io.layerproxy.testing.S3Fixture;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * RFC 9110 preconditions (§13) and ranges (§14) as a matrix against a real running proxy in front of a real
 * S3-compatible server. {@code E} stands for the object's (strong) ETag, {@code LM} for its Last-Modified.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HttpSemanticsTest {
    private static final int SIZE = 10_000;
    private static final byte[] BODY = S3Fixture.bytes(SIZE, 42);

    private final S3ProxyExtension s3server = S3Fixture.authenticatedServer();
    private S3Fixture s3;
    private ProxyServer proxy;
    private Path disk;
    private String etag;
    private Instant lastModified;

    @BeforeAll
    void start() throws Exception {
        s3server.beforeEach(null);
        s3 = new S3Fixture(s3server).bucket("rfc");
        s3.put("rfc", "obj.bin", BODY, "application/x-test", Map.of(), "max-age=60", null);
        disk = Files.createTempDirectory("layerproxy-rfc");
        proxy = ProxyServer.start(s3.endpoint(), disk, S3Fixture.credentialsEnv(), "block-size", "4096");
        HttpResponse<byte[]> warm = proxy.get("/rfc/obj.bin");
        etag = warm.headers().firstValue("ETag").orElseThrow();
        lastModified = Preconditions.parseDate(
                warm.headers().firstValue("Last-Modified").orElseThrow());
    }

    @AfterAll
    void stop() throws Exception {
        proxy.close();
        s3.close();
        s3server.afterEach(null);
        org.apache.commons.io.file.PathUtils.deleteDirectory(disk);
    }

    /** Header templates: E = the ETag, W/E = its weak form, LM±1h = dates around Last-Modified. */
    private String expand(String template) {
        String unquoted = etag.substring(1, etag.length() - 1);
        return template.replace("W/E", "W/\"" + unquoted + "\"")
                .replace("E", etag)
                .replace("LM-1h", HttpDates.HTTP_DATE.format(lastModified.minus(Duration.ofHours(1))))
                .replace("LM+1h", HttpDates.HTTP_DATE.format(lastModified.plus(Duration.ofHours(1))))
                .replace("LM", HttpDates.HTTP_DATE.format(lastModified));
    }

    private HttpResponse<byte[]> send(String method, String... headerPairs) throws Exception {
        var builder =
                HttpRequest.newBuilder(proxy.uri("/rfc/obj.bin")).method(method, HttpRequest.BodyPublishers.noBody());
        for (int i = 0; i < headerPairs.length; i += 2) {
            builder.header(headerPairs[i], expand(headerPairs[i + 1]));
        }
        return proxy.send(builder.build());
    }

    static Stream<Arguments> preconditions() {
        Object[][] cases = {
            // §13.1.1 If-Match: strong comparison
            {"If-Match", "E", 200},
            {"If-Match", "\"other\"", 412},
            {"If-Match", "*", 200},
            {"If-Match", "W/E", 412},
            {"If-Match", "\"other\", E", 200},
            // §13.1.4 If-Unmodified-Since
            {"If-Unmodified-Since", "LM", 200},
            {"If-Unmodified-Since", "LM+1h", 200},
            {"If-Unmodified-Since", "LM-1h", 412},
            {"If-Unmodified-Since", "not a date", 200},
            // §13.1.2 If-None-Match: weak comparison
            {"If-None-Match", "E", 304},
            {"If-None-Match", "W/E", 304},
            {"If-None-Match", "\"other\"", 200},
            {"If-None-Match", "*", 304},
            {"If-None-Match", "\"other\", W/E", 304},
            // §13.1.3 If-Modified-Since
            {"If-Modified-Since", "LM", 304},
            {"If-Modified-Since", "LM+1h", 304},
            {"If-Modified-Since", "LM-1h", 200},
            {"If-Modified-Since", "not a date", 200},
        };
        return Stream.of("GET", "HEAD")
                .flatMap(method -> Arrays.stream(cases).map(c -> Arguments.of(method, c[0], c[1], c[2])));
    }

    @ParameterizedTest(name = "{0} {1}: {2} -> {3}")
    @MethodSource("preconditions")
    void preconditionMatrix(String method, String header, String value, int expected) throws Exception {
        HttpResponse<byte[]> r = send(method, header, value);

        assertEquals(expected, r.statusCode());
        if (expected == 200 && method.equals("GET")) {
            assertArrayEquals(BODY, r.body());
        }
        if (expected == 304) { // §15.4.5: the validators and caching headers a 200 would carry
            assertEquals(etag, r.headers().firstValue("ETag").orElse(null));
            assertTrue(r.headers().firstValue("Last-Modified").isPresent());
            assertEquals("max-age=60", r.headers().firstValue("Cache-Control").orElse(null));
            assertEquals(0, r.body().length);
        }
    }

    static Stream<Arguments> precedence() {
        return Stream.of("GET", "HEAD")
                .flatMap(m -> Stream.of(
                        // §13.2.2 step 1 before step 3: a failed If-Match wins over a matching If-None-Match
                        Arguments.of(m, new String[] {"If-Match", "\"other\"", "If-None-Match", "E"}, 412),
                        // step 2 is skipped when If-Match is present
                        Arguments.of(m, new String[] {"If-Match", "E", "If-Unmodified-Since", "LM-1h"}, 200),
                        // step 4 is skipped when If-None-Match is present
                        Arguments.of(m, new String[] {"If-None-Match", "\"other\"", "If-Modified-Since", "LM+1h"}, 200),
                        Arguments.of(m, new String[] {"If-Match", "E", "If-None-Match", "E"}, 304)));
    }

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @MethodSource("precedence")
    void preconditionOrder(String method, String[] headers, int expected) throws Exception {
        assertEquals(expected, send(method, headers).statusCode());
    }

    static Stream<Arguments> ranges() {
        return Stream.of(
                // §14.1.2 first-last, first-, suffix
                Arguments.of("bytes=0-9", 206, "bytes 0-9/10000", 0, 10),
                Arguments.of("bytes=9990-", 206, "bytes 9990-9999/10000", 9990, 10),
                Arguments.of("bytes=-5", 206, "bytes 9995-9999/10000", 9995, 5),
                Arguments.of("bytes=4000-4200", 206, "bytes 4000-4200/10000", 4000, 201),
                Arguments.of("bytes=9000-20000", 206, "bytes 9000-9999/10000", 9000, 1000),
                Arguments.of("bytes=0-99999999999999999999999", 206, "bytes 0-9999/10000", 0, 10000),
                Arguments.of("bytes=-20000", 206, "bytes 0-9999/10000", 0, 10000),
                Arguments.of("bytes=0-5,3-9", 206, "bytes 0-9/10000", 0, 10), // overlapping: coalesced
                // §14.1.1 invalid syntax is ignored: the whole object
                Arguments.of("bytes=abc", 200, null, 0, 10000),
                Arguments.of("bytes=5-2", 200, null, 0, 10000),
                Arguments.of("items=0-5", 200, null, 0, 10000),
                Arguments.of("bytes=", 200, null, 0, 10000),
                Arguments.of("bytes=1-2-3", 200, null, 0, 10000),
                // §15.5.17 unsatisfiable
                Arguments.of("bytes=10000-", 416, "bytes */10000", 0, 0),
                Arguments.of("bytes=-0", 416, "bytes */10000", 0, 0),
                Arguments.of("bytes=20000-30000", 416, "bytes */10000", 0, 0));
    }

    @ParameterizedTest(name = "Range: {0} -> {1}")
    @MethodSource("ranges")
    void rangeForms(String range, int status, String contentRange, int from, int length) throws Exception {
        HttpResponse<byte[]> r = send("GET", "Range", range);
        HttpResponse<byte[]> head = send("HEAD", "Range", range);

        assertEquals(status, r.statusCode());
        assertEquals(status, head.statusCode(), "HEAD answers as GET would");
        assertEquals(contentRange, r.headers().firstValue("Content-Range").orElse(null));
        if (status != 416) {
            assertArrayEquals(Arrays.copyOfRange(BODY, from, from + length), r.body());
            assertEquals(
                    String.valueOf(length),
                    head.headers().firstValue("Content-Length").orElse(null));
            assertEquals(0, head.body().length);
            assertEquals("bytes", r.headers().firstValue("Accept-Ranges").orElse(null));
        }
    }

    static Stream<Arguments> ifRange() {
        return Stream.of(
                Arguments.of("E", 206), // §13.1.5: a strong match: the range
                Arguments.of("\"other\"", 200), // anything else: the whole object
                Arguments.of("W/E", 200), // weak tags never match here
                Arguments.of("LM", 206), // a date equal to Last-Modified
                Arguments.of("LM-1h", 200),
                Arguments.of("not a date", 200));
    }

    @ParameterizedTest(name = "If-Range: {0} -> {1}")
    @MethodSource("ifRange")
    void ifRangeWithTagOrDate(String ifRange, int expected) throws Exception {
        HttpResponse<byte[]> r = send("GET", "Range", "bytes=0-9", "If-Range", ifRange);

        assertEquals(expected, r.statusCode());
        assertEquals(expected == 206 ? 10 : SIZE, r.body().length);
    }

    @Test
    void multipleRanges_areMultipartByteranges() throws Exception {
        HttpResponse<byte[]> r = send("GET", "Range", "bytes=0-4,100-109,-3");

        assertEquals(206, r.statusCode());
        String type = r.headers().firstValue("Content-Type").orElseThrow();
        assertTrue(type.startsWith("multipart/byteranges; boundary="), type);
        String boundary = type.substring(type.indexOf("boundary=") + 9);
        assertEquals(
                String.valueOf(r.body().length),
                r.headers().firstValue("Content-Length").orElseThrow());
        String body = new String(r.body(), StandardCharsets.ISO_8859_1);
        String[] parts = body.split("\r\n--" + boundary);
        assertEquals(5, parts.length, body); // "", three parts, "--\r\n"
        assertEquals("--\r\n", parts[4]);
        Map<String, byte[]> byRange = new HashMap<>();
        for (int i = 1; i <= 3; i++) {
            String part = parts[i];
            int blank = part.indexOf("\r\n\r\n");
            String headers = part.substring(0, blank);
            assertTrue(headers.contains("Content-Type: application/x-test"), headers);
            String range =
                    headers.substring(headers.indexOf("Content-Range: ") + 15).trim();
            byRange.put(range, part.substring(blank + 4).getBytes(StandardCharsets.ISO_8859_1));
        }
        assertArrayEquals(Arrays.copyOfRange(BODY, 0, 5), byRange.get("bytes 0-4/10000"));
        assertArrayEquals(Arrays.copyOfRange(BODY, 100, 110), byRange.get("bytes 100-109/10000"));
        assertArrayEquals(Arrays.copyOfRange(BODY, 9997, 10000), byRange.get("bytes 9997-9999/10000"));
    }

    private static String rangesHeader(int count) {
        StringBuilder many = new StringBuilder("bytes=0-0");
        for (int i = 1; i < count; i++) {
            many.append(',').append(2 * i).append('-').append(2 * i);
        }
        return many.toString();
    }

    @Test
    void hundredsOfRanges_areRefusedWith416() throws Exception {
        HttpResponse<byte[]> r = send("GET", "Range", rangesHeader(500));

        assertEquals(416, r.statusCode(), "RFC 9110 §14.2: a server may reject many small ranges");
        assertEquals(
                "bytes */" + BODY.length,
                r.headers().firstValue("Content-Range").orElse(""));
    }

    @Test
    void sixtyFourRanges_areStillServed() throws Exception {
        assertEquals(
                206, send("GET", "Range", rangesHeader(ByteRanges.MAX_RANGES)).statusCode());
    }

    @Test
    void aRangeHeaderOverTheHeaderSizeLimit_is431() throws Exception {
        assertEquals(431, send("GET", "Range", rangesHeader(4000)).statusCode());
    }
}

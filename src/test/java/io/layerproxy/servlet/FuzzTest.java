package io.layerproxy.servlet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.testing.ProxyServer;
import io.layerproxy.testing.RawHttp;
import io.layerproxy.testing.S3Fixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random paths, methods, ranges and preconditions (fixed seed, so a failure replays) against real objects: no answer
 * is a 5xx, and every byte of every 200 and 206 is the object's. Bounded by a request count and a time budget.
 */
class FuzzTest {
    private static final long SEED = 20261124L;
    private static final int REQUESTS = 1500;
    private static final long BUDGET_NANOS = TimeUnit.SECONDS.toNanos(40);
    private static final Pattern PART = Pattern.compile("Content-Range: bytes (\\d+)-(\\d+)/(\\d+)\r\n\r\n");
    private static final String[] HOSTILE = {
        "..",
        ".",
        "%2e%2e",
        "%2E",
        "%00",
        "%ff",
        "%c3%28",
        "%2f",
        "%5c",
        "%",
        "%zz",
        "~",
        ";x=1",
        "%20",
        "%e2%82%ac",
        "a%2Fb",
        "//",
        "\u00e9",
        "*",
        "%3f",
        "%23",
        // under 255 bytes: S3Proxy's filesystem backend answers a longer segment with a 500 (a proxy then says 502)
        "k".repeat(200)
    };
    private static final String[] METHODS = {
        "GET", "GET", "GET", "GET", "GET", "GET", "HEAD", "HEAD", "PUT", "DELETE", "POST", "OPTIONS", "PATCH"
    };

    @RegisterExtension
    final S3ProxyExtension s3Server = S3Fixture.authenticatedServer();

    @TempDir
    Path disk;

    private record Obj(String path, byte[] body) {}

    @Test
    void randomRequests_neverGet5xx_norWrongBytes() throws Exception {
        List<Obj> objects = List.of(
                new Obj("/fuzz/one", S3Fixture.bytes(1, 1)),
                new Obj("/fuzz/small.txt", S3Fixture.bytes(5000, 2)),
                new Obj("/fuzz/dir/blocks.bin", S3Fixture.bytes(70_000, 3)),
                new Obj("/fuzz/sp%20ace", S3Fixture.bytes(9000, 4)));
        Random random = new Random(SEED);
        int checkedBodies = 0;
        try (var s3 = new S3Fixture(s3Server)
                        .bucket("fuzz")
                        .bucket("other")
                        .put("fuzz", "one", objects.get(0).body())
                        .put("fuzz", "small.txt", objects.get(1).body())
                        .put("fuzz", "dir/blocks.bin", objects.get(2).body())
                        .put("fuzz", "sp ace", objects.get(3).body())
                        .put("other", "x", new byte[10]);
                var proxy = ProxyServer.start(
                        s3.endpoint(), disk, S3Fixture.credentialsEnv(), "block-size", "4k", "buckets", "fuzz")) {
            long deadline = System.nanoTime() + BUDGET_NANOS;
            int sent = 0;
            while (sent < REQUESTS && System.nanoTime() < deadline) {
                Obj target = objects.get(random.nextInt(objects.size()));
                boolean mutated = random.nextInt(4) == 0;
                String path = mutated ? mutate(target.path(), random) : target.path();
                String method = METHODS[random.nextInt(METHODS.length)];
                List<String> headers = headers(random, target.body().length);
                String seen = "#" + sent + " " + method + " " + abbreviate(path) + " " + abbreviate(headers.toString());

                RawHttp.Answer a = RawHttp.send(proxy.uri("/"), method, path, headers.toArray(String[]::new), null);

                assertTrue(a.status() < 500, seen + " -> " + a.status() + " " + a.text());
                if (!mutated && "GET".equals(method)) {
                    checkedBodies += checkBytes(a, target.body(), seen);
                }
                sent++;
            }
            assertTrue(sent >= 200, "enough requests in the budget: " + sent);
            assertTrue(checkedBodies >= 50, "enough bodies compared: " + checkedBodies);
        }
    }

    /** Compares a 200 or 206 body with the object; returns 1 when a body was compared. */
    private static int checkBytes(RawHttp.Answer a, byte[] object, String seen) {
        if (a.status() == 200) {
            assertArrayEquals(object, a.body(), seen);
            return 1;
        }
        if (a.status() != 206) {
            return 0;
        }
        String range = a.header("Content-Range");
        if (range != null) {
            Matcher m = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+)").matcher(range);
            assertTrue(m.matches(), seen + " Content-Range " + range);
            int first = Integer.parseInt(m.group(1));
            int last = Integer.parseInt(m.group(2));
            assertEquals(object.length, Integer.parseInt(m.group(3)), seen);
            assertArrayEquals(Arrays.copyOfRange(object, first, last + 1), a.body(), seen);
            return 1;
        }
        String text = new String(a.body(), StandardCharsets.ISO_8859_1); // multipart/byteranges
        Matcher m = PART.matcher(text);
        int parts = 0;
        while (m.find()) {
            int first = Integer.parseInt(m.group(1));
            int last = Integer.parseInt(m.group(2));
            byte[] part = Arrays.copyOfRange(a.body(), m.end(), m.end() + last - first + 1);
            assertArrayEquals(Arrays.copyOfRange(object, first, last + 1), part, seen + " part " + parts);
            parts++;
        }
        assertTrue(parts >= 2, seen + ": a multipart answer with parts");
        return 1;
    }

    private static String abbreviate(String s) {
        return s.length() <= 160 ? s : s.substring(0, 157) + "...";
    }

    private static String mutate(String path, Random random) {
        String[] segments = path.split("/", -1);
        List<String> out = new ArrayList<>(Arrays.asList(segments));
        int edits = 1 + random.nextInt(3);
        for (int i = 0; i < edits; i++) {
            int at = 1 + random.nextInt(out.size() - 1);
            switch (random.nextInt(4)) {
                case 0 -> out.add(at, HOSTILE[random.nextInt(HOSTILE.length)]);
                case 1 -> out.set(at, out.get(at) + HOSTILE[random.nextInt(HOSTILE.length)]);
                case 2 -> out.set(at, HOSTILE[random.nextInt(HOSTILE.length)]);
                default -> out.set(1, random.nextBoolean() ? "other" : "No_Such-bucket");
            }
        }
        return String.join("/", out).replace("\u00e9", "%C3%A9");
    }

    private static List<String> headers(Random random, int size) {
        List<String> headers = new ArrayList<>();
        if (random.nextBoolean()) {
            headers.add("Range: " + range(random, size));
        }
        switch (random.nextInt(6)) {
            case 0 -> headers.add("If-None-Match: " + (random.nextBoolean() ? "*" : "\"x\""));
            case 1 -> headers.add("If-Match: " + (random.nextBoolean() ? "*" : "\"y\", W/\"z\""));
            case 2 ->
                headers.add("If-Modified-Since: "
                        + (random.nextBoolean() ? "Thu, 01 Jan 1970 00:00:00 GMT" : "not a date"));
            case 3 -> headers.add("If-Range: " + (random.nextBoolean() ? "\"nope\"" : "Sat, 01 Jan 2000 00:00:00 GMT"));
            default -> {
                // no precondition
            }
        }
        if (random.nextInt(10) == 0) {
            headers.add("x-amz-content-sha256: UNSIGNED-PAYLOAD"); // answered as to an S3 client
        }
        return headers;
    }

    private static String range(Random random, int size) {
        int specs = random.nextInt(10) == 0 ? 2 + random.nextInt(100) : 1 + random.nextInt(3);
        StringBuilder b = new StringBuilder(random.nextInt(20) == 0 ? "items=" : "bytes=");
        for (int i = 0; i < specs; i++) {
            if (i > 0) {
                b.append(',');
            }
            long first = number(random, size);
            long last = number(random, size);
            switch (random.nextInt(5)) {
                case 0 -> b.append('-').append(last);
                case 1 -> b.append(first).append('-');
                case 2 -> b.append(random.nextBoolean() ? "abc" : "99999999999999999999-");
                default -> b.append(Math.min(first, last)).append('-').append(Math.max(first, last));
            }
        }
        return b.toString();
    }

    private static long number(Random random, int size) {
        return switch (random.nextInt(4)) {
            case 0 -> random.nextInt(size + 1);
            case 1 -> size - 1 + random.nextInt(3);
            case 2 -> random.nextInt(4);
            default -> Math.abs(random.nextLong() % 1_000_000_000L);
        };
    }
}

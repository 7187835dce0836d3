package io.layerproxy.servlet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.layerproxy.testing.Eventually;
import io.layerproxy.testing.ProxyServer;
import io.layerproxy.testing.S3Fixture;
import java.io.DataInputStream;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status page as a person sees it: rendered by headless Chromium (Debian's {@code chromium}, which
 * {@code .ci/run} installs) at a desk's 1280 px and a phone's 390 px, after a scripted traffic mix that runs while
 * the history samples it (prefetch of 20 objects, 20 GETs, 20 misses, 5 ranges, then a trickle); saved as
 * {@code target/status-page.png} and {@code target/status-page-phone.png} for the README. The charts are checked on
 * the page's SVG, not on pixels. Skipped where no Chromium is installed.
 */
class StatusPageScreenshotIT {
    private static final Path CHROMIUM = Path.of(System.getProperty("chromium", "/usr/bin/chromium"));

    @RegisterExtension
    final S3ProxyExtension s3Server = S3Fixture.authenticatedServer();

    @TempDir
    Path work;

    @Test
    void statusPage_chartsTheLastMinutes_andRendersAtDeskAndPhoneWidths() throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM), "no Chromium at " + CHROMIUM + " (.ci/run installs it)");
        var s3 = new S3Fixture(s3Server).bucket("site");
        for (int i = 0; i < 20; i++) {
            s3.put("site", "assets/" + i + ".js", S3Fixture.bytes(20_000 + i * 5_000, i));
        }
        s3.put("site", "video.mp4", S3Fixture.bytes(3_000_000, 99));
        try (s3;
                var proxy = ProxyServer.start(
                        s3.endpoint(),
                        work.resolve("disk"),
                        S3Fixture.credentialsEnv(),
                        "admin-token",
                        "screenshot-token-0123456789",
                        "buckets",
                        "site",
                        "prefetch",
                        "site/assets/")) {
            for (int i = 0; i < 20; i++) {
                proxy.get("/site/assets/" + i + ".js");
                proxy.get("/site/missing-" + i + ".html");
            }
            for (int i = 0; i < 5; i++) {
                proxy.send(HttpRequest.newBuilder(proxy.uri("/site/video.mp4"))
                        .header("Range", "bytes=" + i * 100_000 + "-" + (i * 100_000 + 99_999))
                        .build());
            }
            // a trickle of hits and misses while the history takes three samples, so every chart has points
            int[] n = {0};
            assertTrue(
                    Eventually.holds(Duration.ofSeconds(90), () -> {
                        get(proxy, "/site/assets/" + n[0] % 20 + ".js");
                        get(proxy, "/site/gone-" + n[0]++ + ".html");
                        return historySamples(proxy) >= 3;
                    }),
                    "three history samples within 90 s");
            String page = new String(proxy.get("/_layerproxy/status").body(), StandardCharsets.UTF_8);
            Matcher charts = Pattern.compile("<svg class=\"chart\"").matcher(page);
            int count = 0;
            while (charts.find()) {
                count++;
            }
            assertEquals(6, count, "six charts");
            for (String series :
                    new String[] {"2xx", "memory", "read from S3", "p50", "requests in flight", "in use"}) {
                Matcher points = Pattern.compile("data-series=\"" + Pattern.quote(series) + "\" data-points=\"(\\d+)\"")
                        .matcher(page);
                assertTrue(points.find(), series + " drawn");
                assertTrue(Integer.parseInt(points.group(1)) >= 2, series + " has points: " + points.group(1));
            }
            for (String plain : new String[] {"kB", "<small>", "top objects by bytes served", "site/assets/"}) {
                assertTrue(page.contains(plain), plain + " on the page");
            }
            screenshot(proxy, 1280, 2600, Path.of("target", "status-page.png"));
            screenshot(proxy, 390, 5200, Path.of("target", "status-page-phone.png"));
        }
    }

    private static void get(ProxyServer proxy, String path) {
        try {
            proxy.get(path);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static int historySamples(ProxyServer proxy) {
        try {
            var json = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(proxy.get("/_layerproxy/status?format=json").body());
            return json.path("history").path("times").size();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private void screenshot(ProxyServer proxy, int width, int height, Path target) throws Exception {
        Path png = target.toAbsolutePath();
        Files.deleteIfExists(png);
        Path log = work.resolve("chromium-" + width + ".log");
        var chromium = new ProcessBuilder(
                        CHROMIUM.toString(),
                        "--headless",
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-quic",
                        "--no-first-run",
                        "--disable-background-networking",
                        "--disable-component-update",
                        "--disable-sync",
                        "--hide-scrollbars",
                        "--user-data-dir=" + work.resolve("chromium-profile-" + width),
                        "--window-size=" + width + "," + height,
                        "--screenshot=" + png,
                        proxy.uri("/_layerproxy/status").toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        assertTrue(chromium.waitFor(120, TimeUnit.SECONDS), "Chromium did not finish");
        assertEquals(0, chromium.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        assertTrue(Files.size(png) > 20_000, "a page with content, not a blank image: " + Files.size(png));
        try (InputStream in = Files.newInputStream(png)) {
            var data = new DataInputStream(in);
            byte[] signature = data.readNBytes(8);
            assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, signature);
            data.readInt(); // IHDR length
            assertEquals("IHDR", new String(data.readNBytes(4), StandardCharsets.US_ASCII));
            assertEquals(
                    Arrays.toString(new int[] {width, height}),
                    Arrays.toString(new int[] {data.readInt(), data.readInt()}));
        }
    }
}

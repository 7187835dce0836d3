package io.layerproxy.servlet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.layerproxy.testing.ProxyServer;
import io.layerproxy.testing.S3Fixture;
import java.io.DataInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status page as a person sees it: rendered by headless Chromium (Debian's {@code chromium}, which
 * {@code .ci/run} installs) after a few hits and misses, saved as {@code target/status-page.png} for the README.
 * Skipped where no Chromium is installed.
 */
class StatusPageScreenshotIT {
    private static final Path CHROMIUM = Path.of(System.getProperty("chromium", "/usr/bin/chromium"));
    private static final int WIDTH = 1100;
    private static final int HEIGHT = 1500;

    @RegisterExtension
    final S3ProxyExtension s3Server = S3Fixture.authenticatedServer();

    @TempDir
    Path work;

    @Test
    void statusPage_rendersInHeadlessChromium() throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM), "no Chromium at " + CHROMIUM + " (.ci/run installs it)");
        var s3 = new S3Fixture(s3Server).bucket("site");
        for (int i = 0; i < 12; i++) {
            s3.put("site", "assets/" + i + ".js", S3Fixture.bytes(20_000 + i * 5_000, i));
        }
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
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < 12; i++) {
                    proxy.get("/site/assets/" + i + ".js");
                }
            }
            proxy.get("/site/missing.html");
            Path png = Path.of("target", "status-page.png").toAbsolutePath();
            Files.deleteIfExists(png);
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
                            "--user-data-dir=" + work.resolve("chromium-profile"),
                            "--window-size=" + WIDTH + "," + HEIGHT,
                            "--screenshot=" + png,
                            proxy.uri("/_layerproxy/status").toString())
                    .redirectErrorStream(true)
                    .redirectOutput(work.resolve("chromium.log").toFile())
                    .start();
            assertTrue(chromium.waitFor(120, TimeUnit.SECONDS), "Chromium did not finish");
            String log = Files.readString(work.resolve("chromium.log"), StandardCharsets.UTF_8);
            assertEquals(0, chromium.exitValue(), log);
            assertTrue(Files.size(png) > 20_000, "a page with content, not a blank image: " + Files.size(png));
            try (InputStream in = Files.newInputStream(png)) {
                var data = new DataInputStream(in);
                byte[] signature = data.readNBytes(8);
                assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, signature);
                data.readInt(); // IHDR length
                assertEquals("IHDR", new String(data.readNBytes(4), StandardCharsets.US_ASCII));
                assertEquals(
                        Arrays.toString(new int[] {WIDTH, HEIGHT}),
                        Arrays.toString(new int[] {data.readInt(), data.readInt()}));
            }
        }
    }
}

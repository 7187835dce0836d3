package io.layerproxy.servlet;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.testing.ContainerChecks;
import io.layerproxy.testing.Forked;
import io.layerproxy.testing.S3Fixture;
import io.layerproxy.testing.S3Keys;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * jetty-base/ started by a real Jetty 12 distribution ({@code java -jar $JETTY_HOME/start.jar}) serves the WAR: a
 * miss, a hit and the metrics endpoint, and every key of the key table ({@code %25} and {@code //} included).
 */
class JettyBaseIT {
    private static final Pattern STARTED =
            Pattern.compile("Started oejs\\.ServerConnector.*\\{127\\.0\\.0\\.1:(\\d+)}");

    @RegisterExtension
    final S3ProxyExtension S3 = S3Fixture.authenticatedServer();

    @TempDir
    Path disk;

    @Test
    void jettyDistributionWithJettyBase_servesAMissAHitAndMetricsThroughTheWar() throws Exception {
        try (var s3 = new S3Fixture(S3)) {
            s3.bucket("jettybase").put("jettybase", "x.txt", "via jetty-base".getBytes(StandardCharsets.UTF_8));
            S3Keys.upload(s3, "jettybase");
        }
        Path home = Path.of(System.getProperty("jetty.home"));
        var builder = Forked.java(
                "-jar",
                home.resolve("start.jar").toString(),
                "jetty.base=" + System.getProperty("jetty.base"),
                "jetty.http.port=0");
        ContainerChecks.configure(builder.environment(), S3.getUri(), disk);
        Process jetty = builder.start();
        try {
            var seen = new StringBuilder();
            String port = Forked.awaitLine(jetty, STARTED, seen);
            assertNotNull(port, "Jetty never reported its connector:\n" + seen);
            assertTrue(seen.toString().contains("layerproxy ready"), seen.toString());
            ContainerChecks.missHitAndMetrics(
                    URI.create("http://127.0.0.1:" + port),
                    "/jettybase/x.txt",
                    "via jetty-base".getBytes(StandardCharsets.UTF_8));
            S3Keys.readEveryKey(URI.create("http://127.0.0.1:" + port), "jettybase");
        } finally {
            jetty.destroy();
            assertTrue(jetty.waitFor(30, TimeUnit.SECONDS));
        }
    }
}

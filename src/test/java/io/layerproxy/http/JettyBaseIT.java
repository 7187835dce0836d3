package io.layerproxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.testing.S3Fixture;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** jetty-base/ started by a real Jetty 12 distribution ({@code java -jar $JETTY_HOME/start.jar}) serves the WAR. */
class JettyBaseIT {
    private static final Pattern STARTED = Pattern.compile("Started oejs\\.ServerConnector.*\\{127\\.0\\.0\\.1:(\\d+)}");

    @RegisterExtension
    final S3ProxyExtension S3 = S3Fixture.authenticatedServer();

    @TempDir
    Path disk;

    @Test
    void jettyDistributionWithJettyBase_servesObjectsThroughTheWar() throws Exception {
        try (var s3 = new S3Fixture(S3)) {
            s3.bucket("jettybase").put("jettybase", "x.txt", "via jetty-base".getBytes(StandardCharsets.UTF_8));
        }
        Path home = Path.of(System.getProperty("jetty.home"));
        var builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", home.resolve("start.jar").toString(), "jetty.base=" + System.getProperty("jetty.base"),
                "jetty.http.port=0").redirectErrorStream(true);
        builder.environment().keySet().removeIf(k -> k.startsWith("LAYERPROXY_") || k.startsWith("AWS_"));
        builder.environment().putAll(S3Fixture.credentialsEnv());
        builder.environment().put("AWS_EC2_METADATA_DISABLED", "true");
        builder.environment().put("LAYERPROXY_S3_ENDPOINT", S3.getUri().toString());
        builder.environment().put("LAYERPROXY_PATH_STYLE", "true");
        builder.environment().put("LAYERPROXY_DISK_DIR", disk.toString());
        builder.environment().put("LAYERPROXY_CACHE_BYTES", "8m");
        builder.environment().put("LAYERPROXY_DISK_BYTES", "16m");
        Process jetty = builder.start();
        try {
            var log = new BufferedReader(new InputStreamReader(jetty.getInputStream(), StandardCharsets.UTF_8));
            String port = null;
            String line;
            var seen = new StringBuilder();
            while (port == null && (line = log.readLine()) != null) {
                seen.append(line).append('\n');
                Matcher m = STARTED.matcher(line);
                port = m.find() ? m.group(1) : null;
            }
            assertNotNull(port, "Jetty never reported its connector:\n" + seen);
            assertTrue(seen.toString().contains("layerproxy ready"), seen.toString());
            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/jettybase/x.txt")).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertEquals(200, response.statusCode());
            assertEquals("via jetty-base", response.body());
            assertEquals("MISS", response.headers().firstValue("X-Cache").orElseThrow());
        } finally {
            jetty.destroy();
            assertTrue(jetty.waitFor(30, TimeUnit.SECONDS));
        }
    }
}

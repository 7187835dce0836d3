package io.layerproxy.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerproxy.testing.Ports;
import io.layerproxy.testing.ProxyServer;
import io.layerproxy.testing.S3Fixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code examples/grafana/layerproxy-dashboard.json} asks only for metrics a proxy exports: every metric name in its
 * panels' queries is in {@code /_layerproxy/metrics} of a running proxy (a one-member fleet, so the fleet's meters
 * exist too). A renamed meter fails here, not on an operator's blank panel.
 */
class GrafanaDashboardTest {
    private static final Path DASHBOARD = Path.of("examples", "grafana", "layerproxy-dashboard.json");
    private static final Pattern METRIC = Pattern.compile("layerproxy_[a-z0-9_]+");

    @RegisterExtension
    final S3ProxyExtension s3Server = S3Fixture.authenticatedServer();

    @TempDir
    Path disk;

    @Test
    void everyMetricTheDashboardQueries_isExported() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
        Set<String> queried = new TreeSet<>();
        int panels = 0;
        for (JsonNode panel : dashboard.get("panels")) {
            panels++;
            for (JsonNode target : panel.get("targets")) {
                Matcher m = METRIC.matcher(target.get("expr").asText());
                while (m.find()) {
                    queried.add(m.group());
                }
            }
        }
        assertTrue(panels >= 10, "a dashboard worth loading: " + panels + " panels");
        int fleetPort = Ports.free();
        try (var s3 = new S3Fixture(s3Server).bucket("dash").put("dash", "a", S3Fixture.bytes(3000, 1));
                var proxy = ProxyServer.start(
                        s3.endpoint(),
                        disk,
                        S3Fixture.credentialsEnv(),
                        "fleet-peers",
                        "127.0.0.1:" + fleetPort,
                        "fleet-bind",
                        "127.0.0.1:" + fleetPort,
                        "fleet-secret",
                        "grafana-test-secret-0123456789")) {
            proxy.get("/dash/a");
            proxy.get("/dash/a");
            String metrics = new String(proxy.get("/_layerproxy/metrics").body(), StandardCharsets.UTF_8);
            Set<String> exported = new TreeSet<>();
            for (String line : metrics.split("\n")) {
                if (!line.startsWith("#") && !line.isBlank()) {
                    exported.add(line.split("[{ ]", 2)[0]);
                }
            }
            Set<String> missing = new TreeSet<>(queried);
            missing.removeAll(exported);
            assertEquals(
                    Set.of(),
                    missing,
                    "queried by the dashboard, not exported; exported: "
                            + exported.stream()
                                    .filter(n -> n.startsWith("layerproxy_"))
                                    .toList());
        }
    }
}

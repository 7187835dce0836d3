package io.layerproxy.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.testing.S3Fixture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.ZipFile;
import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** target/layerproxy.war deployed in an embedded Jetty 12 ee10 webapp context, configured by context params. */
class WarDeploymentIT {
    private static final Path WAR = Path.of(System.getProperty("layerproxy.war", "target/layerproxy.war"));

    @RegisterExtension
    final S3ProxyExtension S3 = S3ProxyExtension.builder().build();

    @TempDir
    Path disk;

    private final HttpClient http = HttpClient.newHttpClient();

    private Server deploy() throws Exception {
        var server = new Server();
        var connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        var webapp = new WebAppContext();
        webapp.setWar(WAR.toString());
        webapp.setContextPath("/lp");
        webapp.setThrowUnavailableOnStartupException(true);
        webapp.setInitParameter("layerproxy.s3-endpoint", S3.getUri().toString());
        webapp.setInitParameter("layerproxy.path-style", "true");
        webapp.setInitParameter("layerproxy.cache-size", "4m");
        webapp.setInitParameter("layerproxy.disk-dir", disk.toString());
        webapp.setInitParameter("layerproxy.disk-size", "16m");
        server.setHandler(webapp);
        server.start();
        return server;
    }

    private HttpResponse<String> get(Server server, String path) throws Exception {
        int port = ((ServerConnector) server.getConnectors()[0]).getLocalPort();
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void warDeploys_servesObjects_andItsListenerFlushesTheDiskLayerOnUndeploy() throws Exception {
        try (var s3 = new S3Fixture(S3)) {
            s3.bucket("wardemo").put("wardemo", "hello.txt", "hello from S3".getBytes(StandardCharsets.UTF_8));
        }
        Server server = deploy();
        HttpResponse<String> miss = get(server, "/lp/wardemo/hello.txt");
        HttpResponse<String> hit = get(server, "/lp/wardemo/hello.txt");
        server.stop();

        assertEquals(200, miss.statusCode());
        assertEquals("hello from S3", miss.body());
        assertEquals("MISS", miss.headers().firstValue("X-Cache").orElseThrow());
        assertEquals("memory", hit.headers().firstValue("X-Cache-Layer").orElseThrow());

        Server again = deploy();
        try {
            HttpResponse<String> fromDisk = get(again, "/lp/wardemo/hello.txt");
            assertEquals("hello from S3", fromDisk.body());
            assertEquals("disk", fromDisk.headers().firstValue("X-Cache-Layer").orElseThrow());
            assertEquals(404, get(again, "/lp/wardemo/missing.txt").statusCode());
        } finally {
            again.stop();
        }
    }

    @Test
    void warLeavesTheServerAndServletApiToTheContainer() throws Exception {
        try (var zip = new ZipFile(WAR.toFile())) {
            List<String> libs = zip.stream()
                    .map(e -> e.getName())
                    .filter(n -> n.startsWith("WEB-INF/lib/"))
                    .toList();
            assertTrue(libs.stream().anyMatch(n -> n.contains("ehcache")), libs.toString());
            assertTrue(libs.stream().anyMatch(n -> n.contains("s3-")), libs.toString());
            // its logs reach the container's console: the library leaves the backend out, the WAR brings one
            assertTrue(libs.stream().anyMatch(n -> n.contains("slf4j-simple")), libs.toString());
            assertFalse(libs.stream().anyMatch(n -> n.contains("jetty") || n.contains("servlet-api")), libs.toString());
            assertTrue(zip.getEntry("WEB-INF/web.xml") != null);
            assertTrue(zip.getEntry("WEB-INF/classes/io/layerproxy/servlet/LayerProxyFilter.class") != null);
        }
    }
}

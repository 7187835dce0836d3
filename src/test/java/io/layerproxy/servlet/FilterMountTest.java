package io.layerproxy.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.testing.S3Fixture;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Map;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The filter inside an existing webapp: configured by init-params, mounted under a sub-path, beside a servlet. */
class FilterMountTest {
    @RegisterExtension
    final S3ProxyExtension S3 = S3ProxyExtension.builder().build(); // anonymous reads

    @TempDir
    Path disk;

    private Server server;
    private final HttpClient http = HttpClient.newHttpClient();

    /** The webapp's own servlet. */
    public static final class HelloServlet extends HttpServlet {
        private static final long serialVersionUID = 1L;

        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            resp.setContentType("text/plain");
            resp.getWriter().print("hello from the app");
        }
    }

    private ServletContextHandler webapp(Map<String, String> initParams) throws Exception {
        server = new Server();
        var connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        var context = new ServletContextHandler("/app");
        context.addServlet(new ServletHolder(new HelloServlet()), "/hello");
        var filter = new FilterHolder(LayerProxyFilter.class);
        filter.setName("layerproxy");
        filter.setInitParameters(initParams);
        context.addFilter(filter, "/cache/*", EnumSet.of(DispatcherType.REQUEST));
        server.setHandler(context);
        return context;
    }

    private Map<String, String> params() {
        return Map.of(
                "s3-endpoint",
                S3.getUri().toString(),
                "path-style",
                "true",
                "cache-size",
                "4m",
                "disk-dir",
                disk.toString(),
                "disk-size",
                "8m");
    }

    private HttpResponse<String> get(String path) throws Exception {
        int port = ((ServerConnector) server.getConnectors()[0]).getLocalPort();
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.stop();
        }
    }

    @Test
    void filterUnderASubPath_andTheAppsOwnServlet_bothAnswer() throws Exception {
        try (var s3 = new S3Fixture(S3)) {
            s3.bucket("assets").put("assets", "app.js", "console.log(1)".getBytes(StandardCharsets.UTF_8));
        }
        webapp(params());
        server.start();

        HttpResponse<String> object = get("/app/cache/assets/app.js");
        HttpResponse<String> again = get("/app/cache/assets/app.js");
        HttpResponse<String> hello = get("/app/hello");

        assertEquals(200, object.statusCode());
        assertEquals("console.log(1)", object.body());
        assertEquals("MISS", object.headers().firstValue("X-Cache").orElseThrow());
        assertEquals("HIT", again.headers().firstValue("X-Cache").orElseThrow());
        assertEquals(200, hello.statusCode());
        assertEquals("hello from the app", hello.body());
        assertEquals(404, get("/app/cache/assets/missing.js").statusCode());
    }

    @Test
    void unknownInitParam_failsTheWebappStart_withAClearMessage() throws Exception {
        var params = new java.util.HashMap<>(params());
        params.put("cache_size", "5");
        webapp(params);

        Exception e = assertThrows(Exception.class, server::start);

        assertTrue(messages(e).contains("unknown init-param 'cache_size'"), messages(e));
    }

    private static String messages(Throwable e) {
        var all = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            all.append(t.getMessage()).append(" | ");
        }
        return all.toString();
    }
}

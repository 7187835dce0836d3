package io.layerproxy.server;

import io.layerproxy.LayerProxy;
import io.layerproxy.config.LayerProxyConfig;
import io.layerproxy.servlet.InstantHits;
import io.layerproxy.servlet.LayerProxyFilter;
import io.layerproxy.watch.BackgroundTasks;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Embedded Jetty 12 serving one {@link LayerProxy} through {@link LayerProxyFilter} at the root. */
public final class StandaloneServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StandaloneServer.class);

    /**
     * Jetty's default URI rules plus what S3 keys hold and S3 clients send percent-encoded: {@code %25} (a key with
     * {@code %}), {@code //} (empty segments) and a backslash ({@code %5C}). Encoded dot segments ({@code %2e%2e})
     * and encoded slashes ({@code %2F}) stay refused here; the filter refuses plain dot segments.
     */
    static final UriCompliance S3_KEYS = UriCompliance.DEFAULT.with(
            "S3_KEYS",
            UriCompliance.Violation.AMBIGUOUS_PATH_ENCODING,
            UriCompliance.Violation.AMBIGUOUS_EMPTY_SEGMENT,
            UriCompliance.Violation.SUSPICIOUS_PATH_CHARACTERS);

    private final Server server;
    private final ServerConnector connector;
    private final LayerProxy proxy;
    private final BackgroundTasks tasks;

    private StandaloneServer(Server server, ServerConnector connector, LayerProxy proxy, BackgroundTasks tasks) {
        this.server = server;
        this.connector = connector;
        this.proxy = proxy;
        this.tasks = tasks;
    }

    /**
     * Starts serving {@code proxy} on {@code config}'s listen address, with prefetch and the watch loop as
     * {@code config} asks. The server owns the proxy from here on: {@link #close()} stops Jetty, then the
     * background tasks, then closes the proxy (flushing the disk layer).
     */
    public static StandaloneServer start(LayerProxyConfig config, LayerProxy proxy) throws Exception {
        var threads = new QueuedThreadPool(256, 8);
        threads.setName("layerproxy-http");
        var server = new Server(threads);
        var http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        http.setUriCompliance(S3_KEYS);
        var connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setHost(config.listenHost());
        connector.setPort(config.listenPort());
        server.addConnector(connector);

        server.setErrorHandler(new S3ErrorHandler());
        var context = new ServletContextHandler("/");
        // the filter decodes keys from the request target itself (RequestPath): Jetty must not refuse to either
        context.getServletHandler().setDecodeAmbiguousURIs(true);
        // prefetch may begin before Jetty listens: it needs no HTTP, and the status page shows its figures
        BackgroundTasks tasks = BackgroundTasks.start(proxy, config);
        var layerProxyFilter = new LayerProxyFilter(proxy, config, tasks);
        var filter = new FilterHolder(layerProxyFilter);
        filter.setAsyncSupported(true); // bodies are written without holding a thread while a client is slow
        context.addFilter(filter, "/*", EnumSet.of(DispatcherType.REQUEST));
        context.addServlet(new ServletHolder("root", new RootServlet()), "/");
        // on stop, connectors close first, then requests in flight get up to --drain-timeout to finish
        // hot small objects are answered on the I/O thread before the servlet context (InstantHits)
        server.setHandler(new GracefulHandler(new InstantHits(proxy, layerProxyFilter, context)));
        server.setStopTimeout(Math.max(1, config.drainTimeout().toMillis()));
        try {
            server.start();
        } catch (Exception e) {
            server.stop();
            tasks.close();
            proxy.close();
            throw e;
        }
        var started = new StandaloneServer(server, connector, proxy, tasks);
        if (proxy.fleet() != null) {
            URI advertise = config.fleetAdvertise() != null
                    ? config.fleetAdvertise()
                    : URI.create("http://" + advertisedHost(config.listenHost()) + ":" + started.port());
            try {
                proxy.joinFleet(advertise);
            } catch (Exception e) {
                started.close();
                throw e;
            }
        }
        LOG.info(
                "layerproxy listening on http://{}:{}/",
                config.listenHost() == null ? "0.0.0.0" : config.listenHost(),
                started.port());
        return started;
    }

    /** The host peers reach this node at: the listen host, or this machine's address when it listens on all. */
    private static String advertisedHost(String listenHost) throws java.net.UnknownHostException {
        if (listenHost != null && !listenHost.equals("0.0.0.0") && !listenHost.equals("::")) {
            return listenHost.contains(":") ? "[" + listenHost + "]" : listenHost;
        }
        return java.net.InetAddress.getLocalHost().getHostAddress();
    }

    /** The bound port (useful with port 0). */
    public int port() {
        return connector.getLocalPort();
    }

    public void join() throws InterruptedException {
        server.join();
    }

    /**
     * Stops accepting connections, lets downloads in flight finish (up to {@code --drain-timeout}), then stops the
     * background tasks and closes the proxy, so the disk layer is flushed and opens intact next time.
     */
    @Override
    public void close() {
        LOG.info("shutting down: draining requests in flight (up to {} s)", server.getStopTimeout() / 1000);
        try {
            server.stop();
        } catch (Exception e) {
            LOG.warn("stopping Jetty: {}", e.toString());
        } finally {
            tasks.close();
            proxy.close();
            LOG.info("layerproxy stopped");
        }
    }

    /** What the filter does not serve: the root and anything without a key. */
    private static final class RootServlet extends HttpServlet {
        private static final long serialVersionUID = 1L;

        @Override
        protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            resp.setStatus(HttpServletResponse.SC_NOT_FOUND);
            resp.setContentType("text/plain;charset=utf-8");
            resp.getOutputStream()
                    .write("404 layerproxy serves objects at /{bucket}/{key}\n".getBytes(StandardCharsets.UTF_8));
        }
    }
}

import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.EnumSet;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Invocable;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The container's own cost of a 4 KiB answer, in the standalone server's shape (its thread pool, one connector), with
 * no cache behind it: the same headers layerproxy sends, from a byte array. Run by bench/shapes.sh with
 * target/layerproxy.jar on the class path:
 *
 *   servlet       a Filter in a ServletContextHandler, as LayerProxyFilter is mounted
 *   core          a Jetty core Handler declared blocking (it may read a disk layer)
 *   core-nonblock a core Handler declared non-blocking: Jetty runs it on the selector thread, no hand-off
 */
public class JettyShapes {
    private static final byte[] BODY = new byte[4096];

    public static void main(String[] args) throws Exception {
        String shape = args[0];
        int port = Integer.parseInt(args[1]);
        var threads = new QueuedThreadPool(256, 8);
        var server = new Server(threads);
        var http = new HttpConfiguration();
        http.setSendServerVersion(false);
        var connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        server.addConnector(connector);
        switch (shape) {
            case "servlet" -> {
                var context = new ServletContextHandler("/");
                var filter = new FilterHolder(new Filter() {
                    @Override
                    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
                            throws IOException {
                        var req = (HttpServletRequest) request;
                        var resp = (HttpServletResponse) response;
                        req.getHeader("Range"); // what the proxy asks of every request
                        req.getHeader("If-None-Match");
                        resp.setContentType("application/octet-stream");
                        resp.setHeader("ETag", "\"0123456789abcdef0123456789abcdef\"");
                        resp.setHeader("Accept-Ranges", "bytes");
                        resp.setHeader("X-Cache", "HIT");
                        resp.setHeader("X-Cache-Layer", "memory");
                        resp.setContentLength(BODY.length);
                        resp.getOutputStream().write(BODY);
                    }
                });
                filter.setAsyncSupported(true);
                context.addFilter(filter, "/*", EnumSet.of(DispatcherType.REQUEST));
                context.addServlet(new ServletHolder(new HttpServlet() {}), "/");
                server.setHandler(context);
            }
            case "core", "core-nonblock" -> server.setHandler(new Handler.Abstract(
                    shape.equals("core") ? Invocable.InvocationType.BLOCKING : Invocable.InvocationType.NON_BLOCKING) {
                @Override
                public boolean handle(Request request, Response response, Callback callback) {
                    request.getHeaders().get("Range");
                    request.getHeaders().get("If-None-Match");
                    var headers = response.getHeaders();
                    headers.put("Content-Type", "application/octet-stream");
                    headers.put("ETag", "\"0123456789abcdef0123456789abcdef\"");
                    headers.put("Accept-Ranges", "bytes");
                    headers.put("X-Cache", "HIT");
                    headers.put("X-Cache-Layer", "memory");
                    headers.put("Content-Length", BODY.length);
                    response.write(true, ByteBuffer.wrap(BODY), callback);
                    return true;
                }
            });
            default -> throw new IllegalArgumentException("shape: servlet, core or core-nonblock");
        }
        server.start();
        server.join();
    }
}

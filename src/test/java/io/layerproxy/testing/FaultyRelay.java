package io.layerproxy.testing;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

/**
 * An HTTP hop in front of a real S3-compatible server (with anonymous access) that answers queued faults instead
 * of forwarding: S3's {@code 503 SlowDown} and {@code 500 InternalError}, a connection dropped without an answer, or
 * a body forwarded slowly. Counts every request it receives.
 */
public final class FaultyRelay implements AutoCloseable {
    /** What the next request gets instead of (or on its way to) the real answer. */
    public enum Fault {
        SLOW_DOWN,
        INTERNAL_ERROR,
        DROP_CONNECTION,
        SLOW_BODY
    }

    private static final Set<String> NOT_FORWARDED =
            Set.of("host", "connection", "content-length", "expect", "upgrade", "transfer-encoding", "keep-alive");

    private final URI target;
    private final Server server = new Server();
    private final HttpClient client = HttpClient.newHttpClient();
    private final Queue<Fault> faults = new ConcurrentLinkedQueue<>();
    private final AtomicInteger requests = new AtomicInteger();
    private final java.util.Map<String, AtomicInteger> byMethod = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean down;
    private final java.util.concurrent.atomic.AtomicLong bytes = new java.util.concurrent.atomic.AtomicLong();

    public FaultyRelay(URI target) throws Exception {
        this.target = target;
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                relay(request, response, callback);
                return true;
            }
        });
        server.start();
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + ((ServerConnector) server.getConnectors()[0]).getLocalPort());
    }

    /** Queues {@code fault} for the next {@code times} requests. */
    public FaultyRelay inject(Fault fault, int times) {
        for (int i = 0; i < times; i++) {
            faults.add(fault);
        }
        return this;
    }

    /** While down, every request's connection is dropped without an answer (S3 unreachable); until up again. */
    public FaultyRelay down(boolean down) {
        this.down = down;
        return this;
    }

    /** Body bytes forwarded from the server so far. */
    public long bytes() {
        return bytes.get();
    }

    /** Requests received so far, faulted or forwarded. */
    public int requests() {
        return requests.get();
    }

    /** Requests of one method ({@code HEAD}, {@code GET}) received so far. */
    public int requests(String method) {
        AtomicInteger n = byMethod.get(method);
        return n == null ? 0 : n.get();
    }

    private void relay(Request request, Response response, Callback callback) throws Exception {
        requests.incrementAndGet();
        byMethod.computeIfAbsent(request.getMethod(), m -> new AtomicInteger()).incrementAndGet();
        Fault fault = down ? Fault.DROP_CONNECTION : faults.poll();
        if (fault == Fault.SLOW_DOWN || fault == Fault.INTERNAL_ERROR) {
            boolean slow = fault == Fault.SLOW_DOWN;
            String xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>"
                    + (slow ? "SlowDown" : "InternalError") + "</Code><Message>injected</Message></Error>";
            response.setStatus(slow ? 503 : 500);
            response.getHeaders().put("Content-Type", "application/xml");
            Content.Sink.write(response, true, xml, callback);
            return;
        }
        if (fault == Fault.DROP_CONNECTION) {
            request.getConnectionMetaData().getConnection().getEndPoint().close();
            callback.failed(new IllegalStateException("connection dropped on purpose"));
            return;
        }
        URI uri = URI.create(target + request.getHttpURI().getPathQuery());
        HttpRequest.Builder forward =
                HttpRequest.newBuilder(uri).method(request.getMethod(), HttpRequest.BodyPublishers.noBody());
        for (HttpField field : request.getHeaders()) {
            if (!NOT_FORWARDED.contains(field.getLowerCaseName())) {
                forward.header(field.getName(), field.getValue());
            }
        }
        HttpResponse<InputStream> answer = client.send(forward.build(), HttpResponse.BodyHandlers.ofInputStream());
        response.setStatus(answer.statusCode());
        answer.headers().map().forEach((name, values) -> {
            String lower = name.toLowerCase(java.util.Locale.ROOT);
            if (!NOT_FORWARDED.contains(lower) || "content-length".equals(lower)) {
                values.forEach(v -> response.getHeaders().add(name, v));
            }
        });
        try (InputStream in = answer.body();
                OutputStream out = Content.Sink.asOutputStream(response)) {
            byte[] buffer = new byte[16 * 1024];
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                out.write(buffer, 0, n);
                bytes.addAndGet(n);
                if (fault == Fault.SLOW_BODY) {
                    out.flush();
                    Thread.sleep(20);
                }
            }
            callback.succeeded();
        } catch (Exception e) {
            callback.failed(e);
        }
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}

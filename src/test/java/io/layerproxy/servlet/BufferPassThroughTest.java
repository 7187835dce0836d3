package io.layerproxy.servlet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.layerproxy.http.BufferSink;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A block's pooled direct buffer reaches the container's own {@code write(ByteBuffer)} through the access log's
 * counting stream, not through 16 KiB array copies. The lookup once failed on the counting stream's non-public
 * class, and hot 1 MiB hits lost a third of their throughput without a test noticing.
 */
class BufferPassThroughTest {
    private static final byte[] BLOCK = new byte[1 << 20];

    static {
        new Random(7).nextBytes(BLOCK);
    }

    private Server server;

    /** What the servlet saw of the sinks, for the test thread. */
    record Seen(boolean countingIsItsOwnSink, boolean containerTakesBuffers, long counted) {}

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.stop();
        }
    }

    @Test
    void pooledBlock_goesThroughTheCountingStreamAsItIs_andIsCounted() throws Exception {
        CompletableFuture<Seen> seen = new CompletableFuture<>();
        HttpServlet servlet = new HttpServlet() {
            private static final long serialVersionUID = 1L;

            @Override
            protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
                var counting = new RequestLog.CountingResponse(resp);
                counting.setContentLength(BLOCK.length);
                OutputStream out = counting.getOutputStream();
                BufferSink sink = BufferSink.of(out);
                ByteBuffer direct =
                        ByteBuffer.allocateDirect(BLOCK.length).put(BLOCK).flip();
                sink.write(direct);
                seen.complete(new Seen(
                        sink == out,
                        BufferSink.bufferWriter(resp.getOutputStream().getClass()) != null,
                        counting.bytes()));
            }
        };
        server = new Server();
        var connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        var context = new ServletContextHandler("/");
        context.addServlet(new ServletHolder(servlet), "/block");
        server.setHandler(context);
        server.start();

        HttpResponse<byte[]> response = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + connector.getLocalPort() + "/block"))
                                .build(),
                        HttpResponse.BodyHandlers.ofByteArray());

        assertEquals(200, response.statusCode());
        assertArrayEquals(BLOCK, response.body());
        Seen s = seen.get(30, TimeUnit.SECONDS);
        assertNotNull(s);
        assertSame(Boolean.TRUE, s.countingIsItsOwnSink(), "the counting stream must be a BufferSink itself");
        assertSame(Boolean.TRUE, s.containerTakesBuffers(), "Jetty's HttpOutput.write(ByteBuffer) must be found");
        assertEquals(BLOCK.length, s.counted());
    }
}

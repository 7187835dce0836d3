package io.layerproxy.servlet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.testing.Eventually;
import io.layerproxy.testing.ProxyServer;
import io.layerproxy.testing.S3Fixture;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * With block memory tight (4 blocks for 12 readers), bodies are copied out in pieces and their blocks given back
 * and read again whenever a client is not ready: every reader, slow or not, whole object or range, still gets
 * exactly the object's bytes.
 */
class TightMemoryWritesTest {
    private static final int BLOCK = 64 << 10;
    private static final int READERS = 12;

    @RegisterExtension
    final S3ProxyExtension S3 = S3Fixture.authenticatedServer();

    @TempDir
    Path disk;

    @Test
    void slowReadersAndRanges_getExactBytes_whileBlocksAreGivenBackAndReadAgain() throws Exception {
        // more than a socket send buffer takes (up to 4 MiB here), so writes find the client not ready
        byte[] object = S3Fixture.bytes(160 * BLOCK + 123, 21);
        try (var s3 = new S3Fixture(S3).bucket("tight").put("tight", "obj", object);
                var proxy = ProxyServer.start(
                        s3.endpoint(),
                        disk,
                        S3Fixture.credentialsEnv(),
                        "block-size",
                        "64k",
                        "buffer-memory",
                        String.valueOf(4 * BLOCK))) {
            assertArrayEquals(object, proxy.get("/tight/obj").body());
            proxy.proxy().awaitStores();

            ExecutorService readers = Executors.newFixedThreadPool(READERS);
            try {
                List<Future<byte[]>> wholes = new ArrayList<>();
                List<Future<byte[]>> ranges = new ArrayList<>();
                for (int i = 0; i < READERS / 2; i++) {
                    wholes.add(readers.submit(slowRead(proxy, null)));
                    ranges.add(readers.submit(slowRead(proxy, "bytes=1000-" + (100 * BLOCK + 77))));
                }
                for (Future<byte[]> whole : wholes) {
                    assertArrayEquals(object, whole.get(120, TimeUnit.SECONDS));
                }
                byte[] expected = Arrays.copyOfRange(object, 1000, 100 * BLOCK + 78);
                for (Future<byte[]> range : ranges) {
                    assertArrayEquals(expected, range.get(120, TimeUnit.SECONDS));
                }
            } finally {
                readers.shutdownNow();
            }
            assertTrue(
                    Eventually.holds(
                            Duration.ofSeconds(10),
                            () -> proxy.proxy().pipelineStats().bufferUsed() == 0),
                    "every block went back to the budget");
        }
    }

    /**
     * Reads the body through a 4 KiB receive window, a few KiB at a time with pauses, so the proxy's writes find
     * the client not ready.
     */
    private static Callable<byte[]> slowRead(ProxyServer proxy, String range) {
        return () -> {
            try (var socket = new Socket()) {
                socket.setReceiveBufferSize(4096);
                socket.setSoTimeout(60_000);
                socket.connect(new InetSocketAddress("127.0.0.1", proxy.uri("").getPort()));
                String request = "GET /tight/obj HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                        + (range == null ? "" : "Range: " + range + "\r\n") + "\r\n";
                socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
                var raw = new ByteArrayOutputStream();
                byte[] chunk = new byte[2048];
                InputStream in = socket.getInputStream();
                for (int n = in.read(chunk), reads = 0; n >= 0; n = in.read(chunk), reads++) {
                    raw.write(chunk, 0, n);
                    if (reads % 8 == 0) {
                        Thread.sleep(1); // the reader's own pace, not a wait for the code under test
                    }
                }
                byte[] all = raw.toByteArray();
                String head = new String(all, 0, Math.min(all.length, 512), StandardCharsets.US_ASCII);
                assertTrue(head.startsWith(range == null ? "HTTP/1.1 200" : "HTTP/1.1 206"), head);
                int bodyStart = head.indexOf("\r\n\r\n") + 4;
                return Arrays.copyOfRange(all, bodyStart, all.length);
            }
        };
    }
}

package io.layerproxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.testing.ProxyServer;
import io.layerproxy.testing.S3Fixture;
import io.layerproxy.testing.SlowOrigin;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** A client that goes away mid-download, in front of a slow origin: others keep their fill, nobody leaks one. */
class DisconnectTest {
    private static final int SIZE = 1 << 20; // 16 blocks of 64 KiB, about 1.3 s from the slow origin

    @RegisterExtension
    final S3ProxyExtension S3 = S3Fixture.authenticatedServer();

    @TempDir
    Path disk;

    /** Sends a GET on a raw socket and reads a little of the answer, so the fill is under way. */
    private static Socket startDownload(ProxyServer proxy) throws Exception {
        Socket socket = new Socket("127.0.0.1", proxy.uri("/").getPort());
        socket.getOutputStream()
                .write("GET /slow/obj HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        InputStream in = socket.getInputStream();
        in.readNBytes(1000);
        return socket;
    }

    private static void reset(Socket socket) throws Exception {
        socket.setSoLinger(true, 0); // RST: the server's next write fails at once
        socket.close();
    }

    @Test
    void aLeaderWhoseClientLeaves_keepsFillingForItsFollowers() throws Exception {
        byte[] body = S3Fixture.bytes(SIZE, 8);
        AtomicReference<SlowOrigin> slow = new AtomicReference<>();
        try (var s3 = new S3Fixture(S3).bucket("slow").put("slow", "obj", body);
                var proxy = ProxyServer.start(
                        s3.endpoint(),
                        disk,
                        S3Fixture.credentialsEnv(),
                        origin -> {
                            slow.set(new SlowOrigin(origin, 20));
                            return slow.get();
                        },
                        "block-size",
                        "64k")) {
            Socket leader = startDownload(proxy);
            HttpClient http = HttpClient.newHttpClient();
            List<CompletableFuture<HttpResponse<byte[]>>> followers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                followers.add(http.sendAsync(
                        HttpRequest.newBuilder(proxy.uri("/slow/obj")).build(),
                        HttpResponse.BodyHandlers.ofByteArray()));
            }
            Thread.sleep(200); // let the followers join the fill (ordering, not timing, is what matters here)
            reset(leader);

            for (var follower : followers) {
                HttpResponse<byte[]> r = follower.get(60, TimeUnit.SECONDS);
                assertEquals(200, r.statusCode());
                assertArrayEquals(body, r.body());
            }
            assertEquals(1, proxy.origin().fetches(), "the leader's fill went on for its followers");
            assertEquals(0, proxy.origin().reads(), "nobody started another");
            assertEquals(0, slow.get().closedEarly());
        }
    }

    @Test
    void aFillNobodyWaitsFor_isCancelledWhenItsClientLeaves() throws Exception {
        byte[] body = S3Fixture.bytes(SIZE, 9);
        AtomicReference<SlowOrigin> slow = new AtomicReference<>();
        try (var s3 = new S3Fixture(S3).bucket("slow").put("slow", "obj", body);
                var proxy = ProxyServer.start(
                        s3.endpoint(),
                        disk,
                        S3Fixture.credentialsEnv(),
                        origin -> {
                            slow.set(new SlowOrigin(origin, 20));
                            return slow.get();
                        },
                        "block-size",
                        "64k")) {
            reset(startDownload(proxy));

            for (int i = 0; i < 100 && slow.get().closedEarly() == 0; i++) {
                Thread.sleep(50); // bounded wait for the server to notice; nothing is timed
            }

            assertEquals(1, slow.get().closedEarly(), "the origin read was cut, not drained");
            proxy.proxy().awaitStores(); // a block leaves the flight table once stored
            assertEquals(0, proxy.proxy().pipelineStats().blocksInFlight(), "no block left registered");
            HttpResponse<byte[]> again = proxy.get("/slow/obj");
            assertArrayEquals(body, again.body(), "the next reader fetches what the cancelled fill never did");
            assertEquals(1, proxy.origin().fetches());
            assertTrue(proxy.origin().reads() >= 1, "the cancelled miss was not served from anywhere");
        }
    }
}

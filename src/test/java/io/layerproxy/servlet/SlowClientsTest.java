package io.layerproxy.servlet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.ObjectInfo;
import io.layerproxy.ObjectKey;
import io.layerproxy.Origin;
import io.layerproxy.testing.ForwardingOrigin;
import io.layerproxy.testing.ProxyServer;
import io.layerproxy.testing.S3Fixture;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * 300 misbehaving clients (more than the 256 request threads) must not starve memory hits, probed every half second
 * throughout and answering within a second each time: {@code POST /_many/} bodies sent a byte at a time (zips past
 * {@code --many-max-concurrent} are refused at once), readers of a cached object that never read (bodies are written
 * without holding a thread, and copied out in pieces once block memory is tight), and clients waiting on a stalled
 * origin (past {@code --origin-max-waiting} they are refused at once).
 */
class SlowClientsTest {
    private static final int SLOW_CLIENTS = 300;
    /** The bound; probes answer in tens of ms. Before the limits, they waited for the whole attack. */
    private static final Duration PROBE_BOUND = Duration.ofSeconds(1);

    @RegisterExtension
    final S3ProxyExtension S3 = S3Fixture.authenticatedServer();

    @TempDir
    Path disk;

    @Test
    void slowManyBodies_doNotStarveMemoryHits() throws Exception {
        byte[] hot = S3Fixture.bytes(3000, 8);
        try (var s3 = new S3Fixture(S3).bucket("slow").put("slow", "hot", hot);
                var proxy = ProxyServer.start(s3.endpoint(), disk, S3Fixture.credentialsEnv())) {
            assertArrayEquals(hot, proxy.get("/slow/hot").body());
            proxy.proxy().awaitStores();

            List<Socket> attackers = new ArrayList<>();
            var started = new CountDownLatch(1);
            Thread trickler = new Thread(() -> trickle(proxy, attackers, started), "slow-bodies");
            trickler.setDaemon(true);
            trickler.start();
            try {
                started.await();
                probe(proxy, "/slow/hot", hot, SLOW_CLIENTS + " slow /_many/ bodies");
            } finally {
                trickler.interrupt();
                closeAll(attackers);
            }
        }
    }

    @Test
    void slowReadersOfACachedObject_doNotStarveMemoryHits() throws Exception {
        byte[] big = S3Fixture.bytes(3 << 20, 9);
        byte[] hot = S3Fixture.bytes(3000, 10);
        try (var s3 = new S3Fixture(S3).bucket("slow").put("slow", "big", big).put("slow", "hot", hot);
                var proxy = ProxyServer.start(s3.endpoint(), disk, S3Fixture.credentialsEnv())) {
            assertArrayEquals(big, proxy.get("/slow/big").body());
            assertArrayEquals(hot, proxy.get("/slow/hot").body());
            proxy.proxy().awaitStores();

            List<Socket> attackers = new ArrayList<>();
            try {
                // clients that ask for the big object and never read: each response fills its socket and stops
                String get = "GET /slow/big HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
                for (int i = 0; i < SLOW_CLIENTS; i++) {
                    Socket socket = new Socket();
                    socket.setReceiveBufferSize(4096);
                    socket.connect(
                            new InetSocketAddress("127.0.0.1", proxy.uri("").getPort()));
                    socket.getOutputStream().write(get.getBytes(StandardCharsets.US_ASCII));
                    attackers.add(socket);
                }
                for (Socket socket : attackers) {
                    readHeaders(socket); // every answer has begun: the attack is in place, each reading nothing more
                }
                probe(proxy, "/slow/hot", hot, SLOW_CLIENTS + " slow readers of a 3 MiB hit");
                probe(proxy, "/slow/big", big, SLOW_CLIENTS + " slow readers of the same 3 MiB hit, probing it");
            } finally {
                closeAll(attackers);
            }
        }
    }

    @Test
    void clientsWaitingOnAStalledOrigin_doNotStarveMemoryHits() throws Exception {
        byte[] hot = S3Fixture.bytes(3000, 11);
        var stalled = new CountDownLatch(1);
        try (var s3 = new S3Fixture(S3).bucket("slow").put("slow", "hot", hot);
                var proxy = ProxyServer.start(
                        s3.endpoint(), disk, S3Fixture.credentialsEnv(), origin -> stallingCold(origin, stalled))) {
            assertArrayEquals(hot, proxy.get("/slow/hot").body());
            proxy.proxy().awaitStores();

            var client = HttpClient.newBuilder()
                    .executor(Executors.newFixedThreadPool(4))
                    .build();
            List<CompletableFuture<HttpResponse<Void>>> waiting = new ArrayList<>();
            try {
                for (int i = 0; i < SLOW_CLIENTS; i++) {
                    waiting.add(client.sendAsync(
                            HttpRequest.newBuilder(proxy.uri("/slow/cold/" + i)).build(),
                            HttpResponse.BodyHandlers.discarding()));
                }
                probe(proxy, "/slow/hot", hot, SLOW_CLIENTS + " clients on a stalled origin");
            } finally {
                stalled.countDown();
            }
            double refused = proxy.proxy()
                    .meterRegistry()
                    .get("layerproxy.origin.waiting.refused")
                    .functionCounter()
                    .count();
            assertTrue(refused >= SLOW_CLIENTS - 128, "past --origin-max-waiting refused at once: " + refused);
            // those past --origin-max-waiting were refused at once; the rest are answered once S3 answers again
            for (var answer : waiting) {
                int status = answer.get(60, TimeUnit.SECONDS).statusCode();
                assertTrue(status == 404 || status == 503, "status " + status);
            }
        }
    }

    /** An origin that holds every request for a key under {@code cold/} until {@code stalled} opens. */
    private static Origin stallingCold(Origin origin, CountDownLatch stalled) {
        return new ForwardingOrigin(origin) {
            @Override
            public ObjectInfo head(ObjectKey key) {
                await(key);
                return super.head(key);
            }

            @Override
            public Fetched fetch(ObjectKey key) {
                await(key);
                return super.fetch(key);
            }

            private void await(ObjectKey key) {
                if (key.key().startsWith("cold/")) {
                    try {
                        stalled.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        };
    }

    /** A memory hit of {@code path}, asked every half second for 12 s, answers in time every time. */
    private static void probe(ProxyServer proxy, String path, byte[] expected, String attack) throws Exception {
        List<Duration> probes = new ArrayList<>();
        long end = System.nanoTime() + Duration.ofSeconds(12).toNanos();
        while (System.nanoTime() < end) {
            long start = System.nanoTime();
            HttpResponse<byte[]> hit = proxy.send(HttpRequest.newBuilder(proxy.uri(path))
                    .timeout(PROBE_BOUND.multipliedBy(5))
                    .build());
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            probes.add(took);
            assertEquals(200, hit.statusCode());
            assertArrayEquals(expected, hit.body());
            waitHalfASecond();
        }
        Duration worst = probes.stream().max(Duration::compareTo).orElseThrow();
        System.out.println("SlowClientsTest: " + probes.size() + " probes of " + path + " under " + attack
                + ", slowest " + worst.toMillis() + " ms");
        assertTrue(worst.compareTo(PROBE_BOUND) < 0, "a hit waited " + worst + " under " + attack);
    }

    private static void readHeaders(Socket socket) throws IOException {
        socket.setSoTimeout(60_000);
        var in = socket.getInputStream();
        int matched = 0;
        byte[] end = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        while (matched < end.length) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed before the headers");
            }
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
    }

    private static void closeAll(List<Socket> sockets) throws IOException {
        synchronized (sockets) {
            for (Socket s : sockets) {
                s.close();
            }
        }
    }

    /** Opens the slow clients, then sends each one more byte of its body every second. */
    private static void trickle(ProxyServer proxy, List<Socket> attackers, CountDownLatch started) {
        String head = "POST /_many/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: 1000\r\n\r\n[";
        try {
            for (int i = 0; i < SLOW_CLIENTS; i++) {
                Socket socket = new Socket("127.0.0.1", proxy.uri("").getPort());
                socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
                socket.getOutputStream().flush();
                synchronized (attackers) {
                    attackers.add(socket);
                }
            }
            started.countDown();
            while (!Thread.currentThread().isInterrupted()) {
                synchronized (attackers) {
                    for (Socket socket : attackers) {
                        try {
                            OutputStream out = socket.getOutputStream();
                            out.write(' ');
                            out.flush();
                        } catch (IOException e) {
                            // cut by the server: as intended
                        }
                    }
                }
                Thread.sleep(1000); // the attack's own pace, not a wait for the code under test
            }
        } catch (IOException e) {
            started.countDown();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void waitHalfASecond() throws InterruptedException {
        Thread.sleep(500); // the probe's pace, not a wait for the code under test
    }
}

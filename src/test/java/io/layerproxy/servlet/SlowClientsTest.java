package io.layerproxy.servlet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.testing.ProxyServer;
import io.layerproxy.testing.S3Fixture;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * 300 clients sending {@code POST /_many/} bodies a byte at a time (more than the 256 request threads) must not
 * starve memory hits: zips beyond {@code --many-max-concurrent} are refused at once with 503, and the few admitted
 * slow bodies are cut by the minimum data rate. A hit is probed every half second throughout.
 */
class SlowClientsTest {
    private static final int SLOW_CLIENTS = 300;
    /** Generous for a busy machine; before the limits, probes waited for the whole attack (tens of seconds). */
    private static final Duration PROBE_BOUND = Duration.ofSeconds(5);

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
                List<Duration> probes = new ArrayList<>();
                long end = System.nanoTime() + Duration.ofSeconds(12).toNanos();
                while (System.nanoTime() < end) {
                    long start = System.nanoTime();
                    HttpResponse<byte[]> hit = proxy.send(HttpRequest.newBuilder(proxy.uri("/slow/hot"))
                            .timeout(PROBE_BOUND.multipliedBy(2))
                            .build());
                    Duration took = Duration.ofNanos(System.nanoTime() - start);
                    probes.add(took);
                    assertEquals(200, hit.statusCode());
                    assertArrayEquals(hot, hit.body());
                    waitHalfASecond();
                }
                Duration worst = probes.stream().max(Duration::compareTo).orElseThrow();
                System.out.println("SlowClientsTest: " + probes.size() + " probes of a memory hit under " + SLOW_CLIENTS
                        + " slow /_many/ bodies, slowest " + worst.toMillis() + " ms");
                assertTrue(worst.compareTo(PROBE_BOUND) < 0, "a hit waited " + worst);
            } finally {
                trickler.interrupt();
                synchronized (attackers) {
                    for (Socket s : attackers) {
                        s.close();
                    }
                }
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

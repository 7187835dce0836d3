package io.layerproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.testing.Eventually;
import io.layerproxy.testing.FaultyRelay;
import io.layerproxy.testing.ProxyServer;
import io.layerproxy.testing.S3Fixture;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The watch loop polls a 20,000-object bucket every second (40 tracked keys in 40 folders: a whole-bucket
 * listing of 20 pages a round) while S3 becomes unreachable and comes back: once it answers again, cold misses
 * work within 5 s. The watch listing never holds the circuit open (it used to be the circuit's probe: 32 s of
 * failing misses after S3 recovered).
 */
class WatchRecoveryTest {
    private static final int OBJECTS = 20_000;
    private static final int FOLDERS = 40;

    @RegisterExtension
    final S3ProxyExtension s3Server = S3ProxyExtension.builder().build(); // anonymous, so the relay can forward

    @TempDir
    Path disk;

    @Test
    void afterAnOutage_missesWorkWithinFiveSeconds_whileTheWatchLoopListsABigBucket() throws Exception {
        var s3 = new S3Fixture(s3Server).bucket("big");
        putAll(s3);
        try (var relay = new FaultyRelay(s3Server.getUri());
                var proxy = ProxyServer.start(relay.uri(), disk, Map.of(), "watch", "1", "origin-timeout", "5")) {
            for (int f = 0; f < FOLDERS; f++) {
                assertEquals(200, get(proxy, key(f, f)).statusCode());
            }
            var pages = proxy.proxy()
                    .meterRegistry()
                    .get("layerproxy.watch.list.pages")
                    .counter();
            assertTrue(
                    Eventually.holds(Duration.ofSeconds(60), () -> pages.count() >= OBJECTS / 1000),
                    "the watch loop lists the whole bucket: " + pages.count() + " pages so far");

            relay.down(true);
            int cold = 0;
            for (int attempt = 0; attempt < 100 && !proxy.proxy().originCircuitOpen(); attempt++) {
                int status = get(proxy, key(1, FOLDERS + cold++)).statusCode();
                assertTrue(status == 502 || status == 504, "S3 unreachable: " + status);
            }
            assertTrue(proxy.proxy().originCircuitOpen(), "misses failing: the circuit opened");

            relay.down(false);
            long back = System.nanoTime();
            int status = 0;
            while (status != 200 && System.nanoTime() - back < TimeUnit.SECONDS.toNanos(30)) {
                status = get(proxy, key(2, FOLDERS + cold++)).statusCode();
                if (status != 200) {
                    Thread.sleep(100); // the client's pace between tries, not a wait for the code under test
                }
            }
            Duration recovered = Duration.ofNanos(System.nanoTime() - back);
            System.out.println("WatchRecoveryTest: a cold miss worked " + recovered.toMillis()
                    + " ms after S3 answered again, " + (long) pages.count() + " watch pages listed so far");
            assertEquals(200, status);
            assertTrue(recovered.compareTo(Duration.ofSeconds(5)) < 0, "misses failed for " + recovered);
        }
    }

    /** Object {@code i} in folder {@code folder}: 500 objects per folder. */
    private static String key(int folder, int i) {
        return "/big/d" + folder + "/k" + i;
    }

    private static void putAll(S3Fixture s3) throws Exception {
        ExecutorService puts = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < OBJECTS; i++) {
                int n = i;
                done.add(puts.submit(
                        () -> s3.put("big", key(n % FOLDERS, n / FOLDERS).substring(5), new byte[] {(byte) n})));
            }
            for (Future<?> put : done) {
                put.get(5, TimeUnit.MINUTES);
            }
        } finally {
            puts.shutdownNow();
        }
    }

    private static HttpResponse<byte[]> get(ProxyServer proxy, String path) throws Exception {
        return proxy.send(HttpRequest.newBuilder(proxy.uri(path))
                .timeout(Duration.ofSeconds(60))
                .build());
    }
}

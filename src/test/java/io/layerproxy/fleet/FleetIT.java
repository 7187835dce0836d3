package io.layerproxy.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.testing.FaultyRelay;
import io.layerproxy.testing.Forked;
import io.layerproxy.testing.Ports;
import io.layerproxy.testing.S3Fixture;
import io.layerproxy.testing.Sha256;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three {@code java -jar target/layerproxy.jar} processes as one fleet, S3Proxy behind a relay counting the bytes
 * S3 sends: a cold stampede is read from S3 once; {@code kill -9} of a member while clients of the others read
 * leaves their bodies complete and correct (its spans are read from S3 again); the member restarted on the same
 * address and disk rejoins and serves its blocks from disk, S3 not asked.
 */
class FleetIT {
    private static final String JAR = System.getProperty("layerproxy.jar", "target/layerproxy.jar");
    private static final String SECRET = "fleet-it-secret-0123456789";
    private static final int SIZE = 32 << 20;

    @RegisterExtension
    final S3ProxyExtension s3Server = S3ProxyExtension.builder().build(); // anonymous, so the relay can forward

    @TempDir
    Path dir;

    private final Process[] nodes = new Process[3];
    private final int[] http = new int[3];
    private final int[] jgroups = new int[3];
    private final HttpClient client = HttpClient.newHttpClient();

    @AfterEach
    void stop() throws Exception {
        for (Process p : nodes) {
            if (p != null) {
                p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    private final int[] starts = new int[3];

    /** Node {@code i}'s output since its latest start (a file per start: earlier lines must not match). */
    private Path log(int i) {
        return dir.resolve("node" + i + "-" + starts[i] + ".log");
    }

    private void start(int i, FaultyRelay relay) throws Exception {
        starts[i]++;
        StringBuilder peers = new StringBuilder();
        for (int port : jgroups) {
            peers.append(peers.length() == 0 ? "" : ",").append("127.0.0.1:").append(port);
        }
        ProcessBuilder builder = Forked.java(
                "-Xmx256m",
                "-jar",
                JAR,
                "run",
                "--listen",
                "127.0.0.1:" + http[i],
                "--s3-endpoint",
                relay.uri().toString(),
                "--path-style",
                "--disk-dir",
                dir.resolve("disk" + i).toString(),
                "--cache-size",
                "8m",
                "--disk-size",
                "128m",
                "--fleet-peers",
                peers.toString(),
                "--fleet-bind",
                "127.0.0.1:" + jgroups[i],
                "--fleet-secret",
                SECRET,
                // 2 MiB spans: 16 per object, so each member owns a share of every object
                "--fleet-span-blocks",
                "2");
        builder.redirectOutput(ProcessBuilder.Redirect.appendTo(log(i).toFile()));
        nodes[i] = builder.start();
        Forked.awaitLogLine(nodes[i], log(i), Pattern.compile("(layerproxy listening on)"));
    }

    private void awaitMembers(int i, int count) throws Exception {
        Forked.awaitCondition(
                () -> java.nio.file.Files.readString(log(i)).contains("fleet: " + count + " members"),
                Duration.ofSeconds(60),
                log(i));
    }

    @Test
    void aFleetOfThreeJars_readsFromS3Once_survivesKill9_andARestartedMemberServesItsDisk() throws Exception {
        byte[] first = S3Fixture.bytes(SIZE, 91);
        byte[] second = S3Fixture.bytes(SIZE, 92);
        new S3Fixture(s3Server).bucket("fleet").put("fleet", "first.bin", first).put("fleet", "second.bin", second);
        for (int i = 0; i < 3; i++) {
            http[i] = Ports.free();
            jgroups[i] = Ports.free();
        }
        try (var relay = new FaultyRelay(s3Server.getUri())) {
            for (int i = 0; i < 3; i++) {
                start(i, relay);
            }
            for (int i = 0; i < 3; i++) {
                awaitMembers(i, 3);
            }

            long before = relay.bytes();
            assertEquals(List.of(sha(first)), round("/fleet/first.bin", new int[] {0, 1, 2}, 12, null));
            long pulled = relay.bytes() - before;
            System.out.println("FleetIT: 12 cold GETs of 32 MiB over 3 jars pulled " + pulled + " bytes from S3");
            assertTrue(pulled <= SIZE * 1.1, "pulled " + pulled / (double) SIZE + "x the object");

            // kill -9 of node 2 while clients of nodes 0 and 1 are reading a cold object
            var reading = new CountDownLatch(4);
            ExecutorService killer = Executors.newSingleThreadExecutor();
            Future<?> killed = killer.submit(() -> {
                reading.await();
                nodes[2].destroyForcibly().waitFor();
                return null;
            });
            before = relay.bytes();
            assertEquals(
                    List.of(sha(second)),
                    round("/fleet/second.bin", new int[] {0, 1}, 4, reading),
                    "every body complete and correct");
            killed.get(60, TimeUnit.SECONDS);
            killer.shutdown();
            pulled = relay.bytes() - before;
            System.out.println("FleetIT: with a member killed mid-read, 4 GETs of 32 MiB pulled " + pulled + " bytes");
            // until the view drops it, each of the two others reads the killed member's spans (a third of them,
            // give or take the hash's spread) from S3 itself, and with parallel parts several of those are in flight
            // at once when it dies: at most 1 + 2 × 1/3, whatever the timing; never the whole object again
            assertTrue(pulled <= SIZE * 1.75, "only the killed member's spans again: " + pulled / (double) SIZE + "x");

            // back on the same address (its disk store started empty: kill -9 left it unclean): it rejoins, and its
            // spans are read from S3 once more
            start(2, relay);
            awaitView(3);
            assertEquals(List.of(sha(first)), round("/fleet/first.bin", new int[] {0, 1, 2}, 3, null));

            // stopped cleanly and started again on the same address and disk: it serves its spans from disk
            nodes[2].destroy();
            assertTrue(nodes[2].waitFor(60, TimeUnit.SECONDS), "node 2 stops on SIGTERM");
            start(2, relay);
            awaitView(3);
            before = relay.bytes();
            assertEquals(List.of(sha(first)), round("/fleet/first.bin", new int[] {0, 1, 2}, 3, null));
            assertEquals(before, relay.bytes(), "nothing of the first object read from S3 again");
        }
    }

    /** Node 2 (just started) sees {@code count} members, and the latest view nodes 0 and 1 logged has as many. */
    private void awaitView(int count) throws Exception {
        awaitMembers(2, count);
        for (int i = 0; i < 2; i++) {
            int node = i;
            Forked.awaitCondition(
                    () -> {
                        var views = Pattern.compile("fleet: (\\d+) members")
                                .matcher(java.nio.file.Files.readString(log(node)));
                        String latest = null;
                        while (views.find()) {
                            latest = views.group(1);
                        }
                        return String.valueOf(count).equals(latest);
                    },
                    Duration.ofSeconds(60),
                    log(node));
        }
    }

    /**
     * {@code clients} concurrent GETs spread over {@code on}; each reads at a steady pace and counts down
     * {@code started} (if given) once its first MiB arrived. Returns the distinct sha256s of the bodies.
     */
    private List<String> round(String path, int[] on, int clients, CountDownLatch started) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<String>> shas = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int node = on[c % on.length];
                shas.add(pool.submit(() -> {
                    HttpResponse<InputStream> r = client.send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http[node] + path))
                                    .build(),
                            HttpResponse.BodyHandlers.ofInputStream());
                    assertEquals(200, r.statusCode());
                    boolean[] counted = {started == null};
                    return Sha256.of(r.body(), read -> {
                        if (!counted[0] && read >= 1 << 20) {
                            started.countDown();
                            counted[0] = true;
                        }
                        if (started != null) {
                            pause(); // a steady reader, so the kill lands mid-body
                        }
                    });
                }));
            }
            return Sha256.distinct(shas);
        } finally {
            pool.shutdownNow();
        }
    }

    private static String sha(byte[] bytes) throws Exception {
        return Sha256.of(bytes);
    }

    private static void pause() {
        try {
            Thread.sleep(2); // the reader's own pace, not a wait for the code under test
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

package io.layerproxy.fleet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.testing.Eventually;
import io.layerproxy.testing.FaultyRelay;
import io.layerproxy.testing.Ports;
import io.layerproxy.testing.ProxyServer;
import io.layerproxy.testing.S3Fixture;
import io.layerproxy.testing.Sha256;
import java.io.InputStream;
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
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three proxies in one fleet (JGroups on 127.0.0.1, each its own layers) in front of S3Proxy behind a relay that
 * counts the bytes S3 sends: each block is read from S3 once for the whole fleet, a purge on one node reaches
 * every node, and a node with another secret is neither admitted nor answered.
 */
class FleetTest {
    private static final String SECRET = "fleet-test-secret-0123456789";
    private static final int SIZE = 64 << 20;

    @RegisterExtension
    final S3ProxyExtension s3Server = S3ProxyExtension.builder().build(); // anonymous, so the relay can forward

    @TempDir
    Path disk;

    private final List<ProxyServer> nodes = new ArrayList<>();

    @AfterEach
    void stop() {
        nodes.forEach(ProxyServer::close);
    }

    /** Starts {@code n} members on the given JGroups ports, all listing all of them, and waits for one view. */
    private List<ProxyServer> fleet(FaultyRelay relay, int[] ports, String secret) throws Exception {
        StringBuilder peers = new StringBuilder();
        for (int port : ports) {
            peers.append(peers.length() == 0 ? "" : ",").append("127.0.0.1:").append(port);
        }
        List<ProxyServer> started = new ArrayList<>();
        for (int i = 0; i < ports.length; i++) {
            ProxyServer node = ProxyServer.start(
                    relay.uri(),
                    disk.resolve("node" + nodes.size()),
                    Map.of(),
                    "fleet-peers",
                    peers.toString(),
                    "fleet-bind",
                    "127.0.0.1:" + ports[i],
                    "fleet-secret",
                    secret);
            nodes.add(node);
            started.add(node);
        }
        return started;
    }

    private static boolean sameView(List<ProxyServer> members, int size) {
        return members.stream().allMatch(m -> m.proxy().fleet().members().size() == size);
    }

    @Test
    void aColdStampedeOnThreeNodes_readsEachBlockFromS3Once_andASecondRoundNothing() throws Exception {
        byte[] object = S3Fixture.bytes(SIZE, 77);
        new S3Fixture(s3Server).bucket("fleet").put("fleet", "model.bin", object);
        String sha = sha256(object);
        try (var relay = new FaultyRelay(s3Server.getUri())) {
            List<ProxyServer> members = fleet(relay, new int[] {Ports.free(), Ports.free(), Ports.free()}, SECRET);
            assertTrue(Eventually.holds(Duration.ofSeconds(30), () -> sameView(members, 3)), "one view of three");

            long before = relay.bytes();
            assertEquals(List.of(sha), round(members, 30), "every client got the object");
            long pulled = relay.bytes() - before;
            System.out.println("FleetTest: 30 cold GETs of 64 MiB over 3 nodes pulled " + pulled + " bytes from S3 ("
                    + String.format("%.2f", pulled / (double) SIZE) + "x the object)");
            for (ProxyServer node : members) {
                System.out.println(
                        "FleetTest: " + node.uri("") + " " + node.proxy().pipelineStats());
            }
            assertTrue(
                    members.stream()
                                    .mapToLong(m -> m.proxy().fleet().stats().servedToPeers())
                                    .sum()
                            > 0,
                    "owners answered span reads for their peers");
            assertTrue(
                    members.stream()
                                    .mapToLong(m -> m.proxy()
                                            .meterRegistry()
                                            .get("layerproxy.fleet.peer.latency")
                                            .timer()
                                            .count())
                                    .sum()
                            > 0,
                    "peer latency measured");
            assertTrue(pulled <= SIZE * 1.1, "pulled " + pulled + " bytes, " + pulled / (double) SIZE + "x");

            for (ProxyServer node : members) {
                node.proxy().awaitStores();
            }
            long second = relay.bytes();
            assertEquals(List.of(sha), round(members, 9));
            assertEquals(second, relay.bytes(), "the second round read nothing from S3");
        }
    }

    @Test
    void aPurgeOnOneNode_makesTheNextReadOnEveryNodeAMiss() throws Exception {
        byte[] object = S3Fixture.bytes(300_000, 78);
        new S3Fixture(s3Server).bucket("fleet").put("fleet", "page.html", object);
        try (var relay = new FaultyRelay(s3Server.getUri())) {
            int[] ports = {Ports.free(), Ports.free(), Ports.free()};
            List<ProxyServer> members = fleet(relay, ports, SECRET);
            assertTrue(Eventually.holds(Duration.ofSeconds(30), () -> sameView(members, 3)), "one view of three");
            int[] asked = new int[members.size()];
            for (int i = 0; i < members.size(); i++) {
                assertArrayEquals(object, members.get(i).get("/fleet/page.html").body());
                assertArrayEquals(object, members.get(i).get("/fleet/page.html").body());
                asked[i] = members.get(i).origin().requests();
            }

            members.get(0).proxy().purge(new io.layerproxy.ObjectKey("fleet", "page.html"));

            for (ProxyServer node : members) {
                assertTrue(
                        Eventually.holds(
                                Duration.ofSeconds(10),
                                () -> node.proxy().trackedKeys().isEmpty()),
                        "the purge reached " + node.uri("") + ": "
                                + node.proxy().fleet().stats());
            }
            for (int i = 0; i < members.size(); i++) {
                ProxyServer node = members.get(i);
                assertArrayEquals(object, node.get("/fleet/page.html").body());
                // its metadata came from S3 again (the owner's maybe for a peer that asked first)
                assertTrue(node.origin().requests() > asked[i], "the next read on " + node.uri("") + " asked S3");
            }
        }
    }

    @Test
    void aNodeWithAnotherSecret_isNotAdmitted_andItsPeerRequestsGet403() throws Exception {
        byte[] object = S3Fixture.bytes(3 << 20, 79);
        new S3Fixture(s3Server).bucket("fleet").put("fleet", "obj", object);
        try (var relay = new FaultyRelay(s3Server.getUri())) {
            int[] ports = {Ports.free(), Ports.free(), Ports.free()};
            List<ProxyServer> members = fleet(relay, new int[] {ports[0], ports[1]}, SECRET);
            assertTrue(Eventually.holds(Duration.ofSeconds(30), () -> sameView(members, 2)), "one view of two");
            ProxyServer intruder = fleet(relay, new int[] {ports[2]}, "another-secret-0123456789")
                    .get(0);
            // it asked the members listed in its own fleet-peers: only itself; point it at the others too
            assertEquals(1, intruder.proxy().fleet().members().size());
            assertTrue(sameView(members, 2), "the members did not admit it");

            // a request signed with the wrong secret is refused
            Fleet wrong = intruder.proxy().fleet();
            String proof = wrong.signPeer(new io.layerproxy.ObjectKey("fleet", "obj"), "bytes=0-99");
            HttpResponse<byte[]> refused = members.get(0)
                    .send(HttpRequest.newBuilder(members.get(0).uri("/fleet/obj"))
                            .header("Range", "bytes=0-99")
                            .header(Fleet.PEER_HEADER, proof)
                            .build());
            assertEquals(403, refused.statusCode());
            // the same request signed by a member is served
            String good =
                    members.get(1).proxy().fleet().signPeer(new io.layerproxy.ObjectKey("fleet", "obj"), "bytes=0-99");
            HttpResponse<byte[]> served = members.get(0)
                    .send(HttpRequest.newBuilder(members.get(0).uri("/fleet/obj"))
                            .header("Range", "bytes=0-99")
                            .header(Fleet.PEER_HEADER, good)
                            .build());
            assertEquals(206, served.statusCode());
            assertArrayEquals(java.util.Arrays.copyOf(object, 100), served.body());
        }
    }

    /** {@code clients} concurrent GETs of the object, round-robin over the nodes; the distinct sha256s seen. */
    private static List<String> round(List<ProxyServer> members, int clients) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<String>> shas = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                ProxyServer node = members.get(i % members.size());
                shas.add(pool.submit(() -> {
                    HttpResponse<InputStream> r = node.sendStreaming(
                            HttpRequest.newBuilder(node.uri("/fleet/model.bin")).build(),
                            HttpResponse.BodyHandlers.ofInputStream());
                    assertEquals(200, r.statusCode());
                    return Sha256.of(r.body(), read -> {});
                }));
            }
            return Sha256.distinct(shas);
        } finally {
            pool.shutdownNow();
        }
    }

    private static String sha256(byte[] bytes) throws Exception {
        return Sha256.of(bytes);
    }
}

package io.layerproxy.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonToken;
import io.layerproxy.LayerProxy;
import io.layerproxy.config.LayerProxyConfig.BucketPrefix;
import io.layerproxy.testing.ProxyServer;
import io.layerproxy.testing.S3Fixture;
import io.layerproxy.testing.SlowOrigin;
import io.layerproxy.watch.Prefetcher;
import io.layerproxy.watch.Watcher;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /_layerproxy/metrics}, {@code health}, {@code ready} and {@code status}: the counters after a known
 * sequence of requests, readiness when S3 or the disk fails, and a status page that shows the state but no secret.
 */
class OperationsTest {
    private static final String TOKEN = "status-page-token-0123456789";
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([^}]*)\\})? (\\S+)$");

    @RegisterExtension
    final S3ProxyExtension s3Server = S3Fixture.authenticatedServer();

    @TempDir
    Path disk;

    /** The Prometheus samples of a scrape: name{labels} to value, labels sorted as Micrometer writes them. */
    private static Map<String, Double> scrape(ProxyServer proxy) throws Exception {
        HttpResponse<byte[]> r = proxy.get("/_layerproxy/metrics");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
        Map<String, Double> samples = new HashMap<>();
        for (String line : new String(r.body(), StandardCharsets.UTF_8).split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (!line.startsWith("#") && m.matches()) {
                samples.put(
                        m.group(1) + (m.group(3) == null ? "" : "{" + m.group(3) + "}"),
                        Double.parseDouble(m.group(4)));
            }
        }
        return samples;
    }

    private static double sample(Map<String, Double> samples, String name, String labels) {
        Double v = samples.get(labels.isEmpty() ? name : name + "{" + labels + "}");
        assertNotNull(
                v,
                () -> name + "{" + labels + "} in "
                        + samples.keySet().stream()
                                .filter(k -> k.startsWith(name))
                                .sorted()
                                .toList());
        return v;
    }

    @Test
    void metrics_countAKnownSequenceOfRequests() throws Exception {
        try (var s3 = new S3Fixture(s3Server).bucket("ops").put("ops", "a", S3Fixture.bytes(10_000, 1));
                var proxy = ProxyServer.start(s3.endpoint(), disk, S3Fixture.credentialsEnv())) {
            assertEquals(
                    "MISS", proxy.get("/ops/a").headers().firstValue("X-Cache").orElse(""));
            // the block is stored after the miss's answer: until then a hit follows it in memory, not in the layer
            proxy.proxy().awaitStores();
            assertEquals(
                    "HIT", proxy.get("/ops/a").headers().firstValue("X-Cache").orElse(""));
            assertEquals(200, proxy.head("/ops/a").statusCode());
            HttpResponse<byte[]> missing = proxy.get("/ops/missing");
            assertEquals(404, missing.statusCode());
            assertEquals("MISS", missing.headers().firstValue("X-Cache").orElse(""));
            HttpResponse<byte[]> remembered = proxy.get("/ops/missing");
            assertEquals("HIT", remembered.headers().firstValue("X-Cache").orElse(""), "the negative cache");

            Map<String, Double> m = scrape(proxy);
            assertEquals(1, sample(m, "layerproxy_requests_total", "layer=\"origin\",route=\"object\",status=\"200\""));
            assertEquals(
                    2,
                    sample(m, "layerproxy_requests_total", "layer=\"memory\",route=\"object\",status=\"200\""),
                    "the hit and the HEAD");
            assertEquals(1, sample(m, "layerproxy_requests_total", "layer=\"origin\",route=\"object\",status=\"404\""));
            assertEquals(
                    1,
                    sample(m, "layerproxy_requests_total", "layer=\"memory\",route=\"object\",status=\"404\""),
                    "the remembered 404");
            assertEquals(
                    10_000 + missing.body().length, sample(m, "layerproxy_served_bytes_total", "layer=\"origin\""));
            assertEquals(
                    10_000 + remembered.body().length,
                    sample(m, "layerproxy_served_bytes_total", "layer=\"memory\""),
                    "HEAD sends no body");
            assertEquals(
                    0,
                    sample(m, "layerproxy_origin_requests_seconds_count", "operation=\"head\",outcome=\"ok\""),
                    "no HEAD: each miss's GET brought the metadata");
            assertEquals(
                    2,
                    sample(m, "layerproxy_origin_requests_seconds_count", "operation=\"get\",outcome=\"ok\""),
                    "a, and missing (a 404 is an answer)");
            assertTrue(
                    sample(
                                    m,
                                    "layerproxy_origin_requests_seconds_bucket",
                                    "operation=\"get\",outcome=\"ok\",le=\"+Inf\"")
                            == 2,
                    "a latency histogram");
            assertEquals(10_000, sample(m, "layerproxy_origin_bytes_total", ""));
            // memory: metadata of a and its block; the "does not exist" of missing is kept apart from the layers
            assertEquals(2, sample(m, "layerproxy_layer_entries", "layer=\"memory\""));
            assertEquals(2, sample(m, "layerproxy_layer_entries", "layer=\"disk\""));
            assertEquals(1, sample(m, "layerproxy_negative_entries", ""));
            assertTrue(sample(m, "layerproxy_layer_bytes", "layer=\"disk\"") >= 10_000);
            assertEquals(32 << 20, sample(m, "layerproxy_layer_capacity_bytes", "layer=\"memory\""));
            assertTrue(
                    sample(m, "layerproxy_layer_gets_total", "layer=\"memory\",result=\"hit\"") >= 3,
                    "metadata and block of the hit, metadata of the HEAD");
            assertEquals(
                    0,
                    sample(m, "layerproxy_layer_gets_total", "layer=\"disk\",result=\"hit\""),
                    "memory answered everything it had");
            assertEquals(1, sample(m, "layerproxy_layer_usable", "layer=\"disk\""));
            assertEquals(0, sample(m, "layerproxy_origin_circuit_open", ""));
            assertTrue(
                    m.containsKey("jvm_memory_used_bytes{area=\"heap\",id=\"G1 Eden Space\"}")
                            || m.keySet().stream().anyMatch(k -> k.startsWith("jvm_memory_used_bytes")),
                    "JVM meters");
        }
    }

    @Test
    void metrics_countSingleFlightWaitsEvictionsWatchPollsAndPrefetch() throws Exception {
        var s3 = new S3Fixture(s3Server).bucket("ops");
        for (int i = 0; i < 6; i++) {
            s3.put("ops", "big/" + i, S3Fixture.bytes(400_000, i));
        }
        try (s3;
                var proxy = ProxyServer.start(
                        s3.endpoint(),
                        disk,
                        S3Fixture.credentialsEnv(),
                        origin -> new SlowOrigin(origin, 20),
                        "cache-size",
                        "1m",
                        "block-size",
                        "65536")) {
            var pool = Executors.newFixedThreadPool(8);
            List<CompletableFuture<HttpResponse<byte[]>>> concurrent = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                concurrent.add(CompletableFuture.supplyAsync(
                        () -> {
                            try {
                                return proxy.get("/ops/big/0");
                            } catch (Exception e) {
                                throw new IllegalStateException(e);
                            }
                        },
                        pool));
            }
            for (var f : concurrent) {
                assertEquals(400_000, f.join().body().length);
            }
            pool.shutdown();
            Map<String, Double> afterConcurrent = scrape(proxy);
            assertEquals(
                    0,
                    sample(
                            afterConcurrent,
                            "layerproxy_origin_requests_seconds_count",
                            "operation=\"head\",outcome=\"ok\""),
                    "eight readers, no HEAD");
            assertEquals(1, proxy.origin().fetches(), "eight readers, one GET with the metadata");
            assertEquals(
                    proxy.origin().fetches() + proxy.origin().reads(),
                    sample(
                            afterConcurrent,
                            "layerproxy_origin_requests_seconds_count",
                            "operation=\"get\",outcome=\"ok\""),
                    "every GET the origin saw is counted");
            assertTrue(
                    sample(afterConcurrent, "layerproxy_flight_waits_total", "kind=\"block\"")
                                    + sample(afterConcurrent, "layerproxy_flight_waits_total", "kind=\"metadata\"")
                            >= 7,
                    "seven of eight readers waited for the first one's requests");
            LayerProxy core = proxy.proxy();
            var prefetch = new Prefetcher(
                    core,
                    List.of(new BucketPrefix("ops", "big/")),
                    Executors.newFixedThreadPool(2),
                    2,
                    Clock.systemUTC(),
                    line -> {});
            assertEquals(6, prefetch.run().objects());
            s3.put("ops", "big/1", S3Fixture.bytes(400_001, 99));
            assertEquals(1, new Watcher(core, List.of(), Runnable::run).poll().changed());
            // the 400 kB objects went to disk only (over an eighth of the memory layer); objects of 100 kB fill it
            for (int i = 0; i < 12; i++) {
                s3.put("ops", "small/" + i, S3Fixture.bytes(100_000, 200 + i));
                assertEquals(100_000, proxy.get("/ops/small/" + i).body().length);
            }
            core.awaitStores();

            Map<String, Double> m = scrape(proxy);
            assertTrue(
                    sample(m, "layerproxy_layer_evictions_total", "layer=\"memory\"") > 0,
                    "1.2 MB of blocks through a 1 MiB memory layer");
            assertEquals(1, sample(m, "layerproxy_watch_polls_total", "outcome=\"ok\""));
            assertEquals(1, sample(m, "layerproxy_watch_changes_total", "change=\"changed\""));
            assertTrue(sample(m, "layerproxy_watch_last_poll_seconds", "") > 1.7e9);
            assertEquals(6, sample(m, "layerproxy_prefetch_objects", "state=\"listed\""));
            assertEquals(6, sample(m, "layerproxy_prefetch_objects", "state=\"loaded\""));
            assertEquals(6 * 400_000, sample(m, "layerproxy_prefetch_bytes", ""));
            assertEquals(0, sample(m, "layerproxy_prefetch_running", ""));
        }
    }

    @Test
    void health_isAlwaysOk_readyReflectsTheDiskLayer() throws Exception {
        Path notADirectory = Files.writeString(disk.resolve("file"), "not a folder");
        try (var s3 = new S3Fixture(s3Server).bucket("ops");
                var proxy = ProxyServer.start(s3.endpoint(), notADirectory, S3Fixture.credentialsEnv())) {
            HttpResponse<byte[]> health = proxy.get("/_layerproxy/health");
            assertEquals(200, health.statusCode());
            assertEquals("ok\n", new String(health.body(), StandardCharsets.UTF_8));
            HttpResponse<byte[]> ready = proxy.get("/_layerproxy/ready");
            String body = new String(ready.body(), StandardCharsets.UTF_8);
            assertEquals(503, ready.statusCode(), body);
            assertTrue(body.contains("\"origin\":\"ok\""), body);
            assertTrue(body.contains("\"layer memory\":\"ok\""), body);
            assertTrue(body.contains("\"layer disk\":\"failing"), body);
            assertEquals(
                    405,
                    proxy.send(HttpRequest.newBuilder(proxy.uri("/_layerproxy/health"))
                                    .POST(HttpRequest.BodyPublishers.noBody())
                                    .build())
                            .statusCode());
        }
    }

    @Test
    void ready_isOkWithEverythingUp_and503WhenS3IsUnreachable() throws Exception {
        try (var s3 = new S3Fixture(s3Server).bucket("ops");
                var proxy = ProxyServer.start(s3.endpoint(), disk, S3Fixture.credentialsEnv())) {
            HttpResponse<byte[]> ready = proxy.get("/_layerproxy/ready");
            assertEquals(200, ready.statusCode(), new String(ready.body(), StandardCharsets.UTF_8));
            assertTrue(new String(ready.body(), StandardCharsets.UTF_8).startsWith("{\"ready\":true,"));
        }
        try (var unreachable = ProxyServer.start(
                URI.create("http://127.0.0.1:1"), disk.resolve("other"), S3Fixture.credentialsEnv())) {
            HttpResponse<byte[]> ready = unreachable.get("/_layerproxy/ready");
            String body = new String(ready.body(), StandardCharsets.UTF_8);
            assertEquals(503, ready.statusCode(), body);
            assertTrue(body.contains("\"origin\":\"unreachable"), body);
            assertFalse(body.contains("127.0.0.1:1/"), "no endpoint URL in the check: " + body);
        }
    }

    @Test
    void status_showsLayersOriginAndConfiguration_asHtmlAndJson_neverTheToken() throws Exception {
        try (var s3 = new S3Fixture(s3Server).bucket("ops").put("ops", "a", S3Fixture.bytes(2000, 1));
                var proxy = ProxyServer.start(
                        s3.endpoint(), disk, S3Fixture.credentialsEnv(), "admin-token", TOKEN, "buffer-memory", "8m")) {
            proxy.get("/ops/a");
            // the miss's block reaches the layers on the store thread: on a busy machine the second GET could
            // otherwise come first and miss again (the hit ratio below was flaky under load for that reason)
            proxy.proxy().awaitStores();
            proxy.get("/ops/a");
            HttpResponse<byte[]> html = proxy.get("/_layerproxy/status");
            String page = new String(html.body(), StandardCharsets.UTF_8);
            assertEquals(200, html.statusCode());
            assertTrue(html.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
            for (String expected : new String[] {
                "<h2>layers</h2>",
                "<h2>origin</h2>",
                "<h2>configuration</h2>",
                "<td>memory</td>",
                "<td>disk</td>",
                "<td>(set)</td>",
                "66.7 %",
                "<small>lookups it answered, of 3</small>"
            }) { // memory: the hit's metadata and block, of 3 gets (the miss's GET brought its block)
                assertTrue(page.contains(expected), expected + " in " + page);
            }
            assertFalse(page.contains(TOKEN), "the admin token is never shown");

            HttpResponse<byte[]> json = proxy.send(HttpRequest.newBuilder(proxy.uri("/_layerproxy/status"))
                    .header("Accept", "application/json")
                    .build());
            assertEquals(
                    "application/json",
                    json.headers().firstValue("Content-Type").orElse(""));
            Map<String, String> fields = flatten(json.body());
            assertEquals("3", fields.get("server.requests served"), "two GETs and the HTML page");
            assertEquals("memory", fields.get("layers.0.layer"));
            assertEquals("disk", fields.get("layers.1.layer"));
            assertEquals("closed", fields.get("origin.circuit"));
            assertEquals("(set)", fields.get("configuration.admin-token"));
            assertEquals(s3.endpoint().toString(), fields.get("origin.endpoint"));
            assertEquals(String.valueOf(8 << 20), fields.get("blocks.block memory"), "--buffer-memory 8m");
            assertEquals("0", fields.get("blocks.in use"), "no block held between requests");
            assertEquals("0", fields.get("blocks.blocks in flight"));
            assertEquals(String.valueOf(8 << 20), fields.get("configuration.buffer-memory"));
            assertFalse(new String(json.body(), StandardCharsets.UTF_8).contains(TOKEN));
        }
    }

    @Test
    void status_showsTheRequestsOriginWatchAndPrefetchFigures_ofTheStandaloneServer() throws Exception {
        var s3 = new S3Fixture(s3Server).bucket("ops");
        for (int i = 0; i < 3; i++) {
            s3.put("ops", "pre/" + i, S3Fixture.bytes(20_000, i)); // over 16 KiB: counted exactly in the top objects
        }
        try (s3;
                var proxy = ProxyServer.start(
                        s3.endpoint(), disk, S3Fixture.credentialsEnv(), "prefetch", "ops/pre/", "watch", "1")) {
            Map<String, String> fields = Map.of();
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline
                    && !("3".equals(fields.get("prefetch.loaded")) && !"0".equals(fields.get("watch.polls")))) {
                fields = status(proxy);
            }
            assertEquals("3", fields.get("prefetch.listed"), fields.toString());
            assertEquals("3", fields.get("prefetch.loaded"));
            assertEquals("60000", fields.get("prefetch.bytes"));
            assertEquals("done", fields.get("prefetch.state"));
            assertNotEquals("0", fields.get("watch.polls"), "the watch loop's polls, every second");
            assertNotEquals("never", fields.get("watch.last poll"));

            proxy.get("/ops/pre/0"); // a hit: prefetched
            Map<String, String> after = status(proxy);
            assertEquals("20000", after.get("layers.0.served to clients"), "the hit's body, from memory");
            assertEquals("0", after.get("origin.bytes served while streaming from S3"));
            assertEquals("60000", after.get("origin.bytes read from S3"), "the prefetch read every byte once");
            // the top objects: the three prefetched keys by bytes read, the hit by bytes served
            assertEquals("20000", after.get("top objects by bytes read from S3.0.bytes"), after.toString());
            assertEquals("ops/pre/0", after.get("top objects by bytes served.0.object"));
            assertEquals("20000", after.get("top objects by bytes served.0.bytes"));
            assertEquals(404, proxy.get("/ops/none").statusCode());
            after = status(proxy);
            assertEquals("1", after.get("server.4xx"), after.toString());
            assertTrue(Long.parseLong(after.get("origin.requests")) >= 4, "a list, three GETs, the 404's HEAD");
        }
    }

    private static Map<String, String> status(ProxyServer proxy) throws Exception {
        return flatten(proxy.send(HttpRequest.newBuilder(proxy.uri("/_layerproxy/status?format=json"))
                        .build())
                .body());
    }

    /** A JSON document as path to scalar, e.g. {@code layers.0.layer}; fails on malformed JSON. */
    private static Map<String, String> flatten(byte[] json) throws Exception {
        Map<String, String> out = new HashMap<>();
        List<String> path = new ArrayList<>();
        List<Integer> index = new ArrayList<>();
        try (var p = new JsonFactory().createParser(json)) {
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                switch (t) {
                    case FIELD_NAME -> path.set(path.size() - 1, p.currentName());
                    case START_OBJECT, START_ARRAY -> {
                        nextInArray(path, index);
                        path.add(null);
                        index.add(t == JsonToken.START_ARRAY ? 0 : -1);
                    }
                    case END_OBJECT, END_ARRAY -> {
                        path.remove(path.size() - 1);
                        index.remove(index.size() - 1);
                    }
                    default -> {
                        nextInArray(path, index);
                        out.put(String.join(".", path), p.getText());
                    }
                }
            }
        }
        return out;
    }

    private static void nextInArray(List<String> path, List<Integer> index) {
        if (!index.isEmpty() && index.get(index.size() - 1) >= 0) {
            int i = index.get(index.size() - 1);
            path.set(path.size() - 1, String.valueOf(i));
            index.set(index.size() - 1, i + 1);
        }
    }
}

package io.layerproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.testing.ProxyServer;
import io.layerproxy.testing.S3Fixture;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Single flight and version consistency under real concurrency, against a real S3-compatible server. */
class ConcurrencyTest {
    private static final int SIZE = 2 * 1024 * 1024; // 32 blocks of 64 KiB

    @RegisterExtension
    final S3ProxyExtension S3 = S3Fixture.authenticatedServer();

    @TempDir
    Path disk;

    static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    @Test
    void twoHundredConcurrentColdGets_causeOneOriginGet_andIdenticalBodies() throws Exception {
        byte[] body = S3Fixture.bytes(SIZE, 5);
        try (var s3 = new S3Fixture(S3).bucket("hot").put("hot", "model.bin", body);
                var proxy = ProxyServer.start(s3.endpoint(), disk, S3Fixture.credentialsEnv(), "block-size", "64k")) {
            HttpClient http = HttpClient.newBuilder()
                    .executor(Executors.newFixedThreadPool(16))
                    .build();
            HttpRequest get =
                    HttpRequest.newBuilder(proxy.uri("/hot/model.bin")).build();
            List<CompletableFuture<HttpResponse<byte[]>>> responses = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                responses.add(http.sendAsync(get, HttpResponse.BodyHandlers.ofByteArray()));
            }
            String expected = sha256(body);
            for (var response : responses) {
                HttpResponse<byte[]> r = response.get(120, TimeUnit.SECONDS);
                assertEquals(200, r.statusCode());
                assertEquals(expected, sha256(r.body()));
            }

            assertEquals(1, proxy.origin().fetches(), "one GET, metadata and body, shared by all 200");
            assertEquals(0, proxy.origin().heads(), "no HEAD: the GET's headers are the metadata");
            assertEquals(0, proxy.origin().reads(), "no second GET: the others followed the first one's blocks");
            assertEquals(SIZE, proxy.origin().bytesAsked());
            proxy.proxy().awaitStores(); // a block leaves the flight table once stored
            assertEquals(0, proxy.proxy().pipelineStats().blocksInFlight(), "nothing left in flight");
        }
    }

    @Test
    void overwriteWhileTwentyClientsRead_everyCompleteBodyIsExactlyOneVersion() throws Exception {
        byte[] v1 = S3Fixture.bytes(SIZE, 1);
        byte[] v2 = S3Fixture.bytes(SIZE + 12345, 2);
        try (var s3 = new S3Fixture(S3).bucket("flip").put("flip", "data.bin", v1);
                var proxy = ProxyServer.start(
                        s3.endpoint(), disk, S3Fixture.credentialsEnv(), "block-size", "64k", "max-age", "0")) {
            Set<String> versions = Set.of(sha256(v1), sha256(v2));
            HttpClient http = HttpClient.newHttpClient();
            HttpRequest get =
                    HttpRequest.newBuilder(proxy.uri("/flip/data.bin")).build();
            ExecutorService readers = Executors.newFixedThreadPool(20);
            AtomicBoolean overwritten = new AtomicBoolean();
            CountDownLatch started = new CountDownLatch(20);
            List<Future<List<String>>> results = new ArrayList<>();
            for (int c = 0; c < 20; c++) {
                results.add(readers.submit(() -> {
                    List<String> seen = new ArrayList<>();
                    started.countDown();
                    for (int round = 0; round < 6 || (!overwritten.get() && round < 200); round++) {
                        try {
                            HttpResponse<byte[]> r = http.send(get, HttpResponse.BodyHandlers.ofByteArray());
                            if (r.statusCode() == 200) {
                                seen.add(sha256(r.body()));
                            }
                        } catch (java.io.IOException aborted) {
                            seen.add("aborted"); // allowed: never a mix, sometimes no answer
                        }
                    }
                    return seen;
                }));
            }
            started.await();
            s3.put("flip", "data.bin", v2);
            overwritten.set(true);
            List<String> all = new ArrayList<>();
            for (var result : results) {
                all.addAll(result.get(180, TimeUnit.SECONDS));
            }
            readers.shutdown();

            for (String hash : all) {
                assertTrue(hash.equals("aborted") || versions.contains(hash), "a body that is neither version");
            }
            assertTrue(all.contains(sha256(v2)), "the new version is served after the overwrite");
            HttpResponse<byte[]> after = http.send(get, HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(sha256(v2), sha256(after.body()));
        }
    }
}

package io.layerproxy.watch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.config.LayerProxyConfig.BucketPrefix;
import io.layerproxy.testing.ProxyServer;
import io.layerproxy.testing.S3Fixture;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class PrefetcherTest {
    private static final int OBJECTS = 300;

    @RegisterExtension
    final S3ProxyExtension S3 = S3Fixture.authenticatedServer();

    @TempDir
    Path disk;

    private S3Fixture seed() {
        var s3 = new S3Fixture(S3).bucket("models");
        for (int i = 0; i < OBJECTS; i++) {
            s3.put("models", "v1/part-" + i, S3Fixture.bytes(2000 + i, i));
        }
        s3.put("models", "v2/other", S3Fixture.bytes(10, 1));
        return s3;
    }

    @Test
    void prefetchedPrefix_isServedEntirelyFromLocalLayers_withZeroGets() throws Exception {
        try (var s3 = seed();
                var proxy = ProxyServer.start(s3.endpoint(), disk, S3Fixture.credentialsEnv())) {
            List<String> progress = new CopyOnWriteArrayList<>();
            var workers = Executors.newFixedThreadPool(4);
            Prefetcher.Summary summary;
            try {
                summary = new Prefetcher(
                                proxy.proxy(),
                                List.of(new BucketPrefix("models", "v1/")),
                                workers,
                                4,
                                Clock.systemUTC(),
                                progress::add)
                        .run();
            } finally {
                workers.shutdownNow();
            }
            int requests = proxy.origin().requests();

            for (int i = 0; i < OBJECTS; i++) {
                HttpResponse<byte[]> r = proxy.get("/models/v1/part-" + i);
                assertEquals("HIT", r.headers().firstValue("X-Cache").orElseThrow(), "part-" + i);
                assertArrayEquals(S3Fixture.bytes(2000 + i, i), r.body());
            }

            assertEquals(new Prefetcher.Summary(OBJECTS, OBJECTS * 2000L + OBJECTS * (OBJECTS - 1) / 2, 0), summary);
            assertEquals(OBJECTS, requests, "one GET per object during prefetch, nothing else");
            assertEquals(OBJECTS, proxy.origin().fetches());
            assertEquals(requests, proxy.origin().requests(), "no S3 request for any prefetched object afterwards");
            assertTrue(
                    progress.get(0).startsWith("prefetch: 300 objects, 644.9 kB under [models/v1/]"), progress.get(0));
            assertTrue(
                    progress.get(progress.size() - 1).startsWith("prefetched 300/300 objects, 644.9 kB in "),
                    progress.toString());
        }
    }

    @Test
    void theProxyServesWhilePrefetching_andPrefetchRunsFromTheFlag() throws Exception {
        try (var s3 = seed();
                var proxy =
                        ProxyServer.start(s3.endpoint(), disk, S3Fixture.credentialsEnv(), "prefetch", "models/v1/")) {
            HttpResponse<byte[]> during = proxy.get("/models/v2/other"); // prefetch runs in the background

            assertEquals(200, during.statusCode());
            for (int attempt = 0; attempt < 100 && proxy.origin().fetches() < OBJECTS + 1; attempt++) {
                Thread.sleep(100); // bounded wait for the background prefetch; nothing is timed
            }
            assertEquals(OBJECTS + 1, proxy.origin().fetches());
            assertEquals(
                    "HIT",
                    proxy.get("/models/v1/part-299")
                            .headers()
                            .firstValue("X-Cache")
                            .orElseThrow());
        }
    }

    @Test
    void humanSizes() {
        assertEquals("999 B", Prefetcher.human(999));
        assertEquals("3.1 GB", Prefetcher.human(3_100_000_000L));
    }
}

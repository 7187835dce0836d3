package io.layerproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.layerproxy.config.ConfigParser;
import io.layerproxy.config.LayerProxyConfig.BucketPrefix;
import io.layerproxy.config.Option;
import io.layerproxy.layer.EhcacheLayer;
import io.layerproxy.origin.S3Clients;
import io.layerproxy.origin.S3Origin;
import io.layerproxy.testing.CountingOrigin;
import io.layerproxy.testing.S3Fixture;
import io.layerproxy.watch.Prefetcher;
import io.layerproxy.watch.Watcher;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * --buckets is checked before any S3 call, on every path that could reach S3: lookups, reads, listings, prefetch,
 * the watch loop, and (at start) the fallback and prefetch options. HTTP paths are covered by BadInputTest and
 * ManyZipTest.
 */
class AllowlistTest {
    @RegisterExtension
    final S3ProxyExtension s3Server = S3Fixture.authenticatedServer();

    @Test
    void aBucketOutsideTheAllowlist_isNeverAskedFor_byAnyPath() throws Exception {
        try (var s3 = new S3Fixture(s3Server)
                .bucket("public-b")
                .bucket("private-b")
                .put("private-b", "secret", new byte[100])
                .put("public-b", "ok", new byte[10])) {
            var origin = new CountingOrigin(S3Origin.create(S3Clients.create(
                    "us-east-1", s3.endpoint(), true, S3Fixture.credentialsEnv(), Duration.ofSeconds(5))));
            var workers = Executors.newFixedThreadPool(2);
            try (LayerProxy proxy = LayerProxy.builder()
                    .addLayer(EhcacheLayer.memory(1 << 20))
                    .origin(origin)
                    .buckets(Set.of("public-b"))
                    .blockSize(4096)
                    .build()) {
                ObjectKey secret = new ObjectKey("private-b", "secret");

                assertFalse(proxy.read(secret, ReadSpec.METADATA).found());
                assertEquals(-1, proxy.warm(secret));
                List<Origin.Listed> listed = new ArrayList<>();
                proxy.list("private-b", "", listed::add);
                assertEquals(List.of(), listed);
                assertNull(proxy.listPage(new Origin.ListRequest("private-b", null, null, 10, null, null)));
                var prefetched = new Prefetcher(
                                proxy,
                                List.of(new BucketPrefix("private-b", "")),
                                workers,
                                2,
                                Clock.systemUTC(),
                                line -> {})
                        .run();
                assertEquals(0, prefetched.objects());
                new Watcher(proxy, List.of(new BucketPrefix("private-b", "")), Runnable::run).poll();

                assertEquals(
                        0,
                        origin.heads() + origin.reads() + origin.lists() + origin.revalidations(),
                        "S3 was never called");
            } finally {
                workers.shutdownNow();
            }
        }
    }

    @Test
    void fallbackAndPrefetchOutsideTheAllowlist_areRefusedAtStart() {
        var prefetch = assertThrows(
                IllegalArgumentException.class,
                () -> ConfigParser.parse(
                        Map.of(Option.BUCKETS, List.of("public-b"), Option.PREFETCH, List.of("private-b/")),
                        Map.of(),
                        Map.of()));
        assertEquals("prefetch bucket 'private-b' is not in buckets [public-b]", prefetch.getMessage());
        var fallback = assertThrows(
                IllegalArgumentException.class,
                () -> ConfigParser.parse(
                        Map.of(),
                        Map.of("LAYERPROXY_BUCKETS", "public-b", "LAYERPROXY_ON_DNE", "private-b/404.html"),
                        Map.of()));
        assertEquals("on-dne bucket 'private-b' is not in buckets [public-b]", fallback.getMessage());
    }
}

package io.layerproxy.watch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.testing.ProxyServer;
import io.layerproxy.testing.S3Fixture;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The watch loop against a real S3-compatible server; polls are driven by the test, never slept for. */
class WatcherTest {
    @RegisterExtension
    final S3ProxyExtension S3 = S3Fixture.authenticatedServer();

    @TempDir
    Path disk;

    private S3Fixture s3;
    private ProxyServer proxy;
    private Watcher watcher;

    @BeforeEach
    void start() throws Exception {
        s3 = new S3Fixture(S3).bucket("watched").put("watched", "a.txt", bytes("a version 1"));
        s3.put("watched", "b.txt", bytes("b"));
        s3.put("watched", "c.txt", bytes("never read"));
        proxy = ProxyServer.start(s3.endpoint(), disk, S3Fixture.credentialsEnv());
        watcher = new Watcher(proxy.proxy(), List.of(), Runnable::run); // re-fetch synchronously
        proxy.get("/watched/a.txt");
        proxy.get("/watched/b.txt");
    }

    @AfterEach
    void stop() {
        proxy.close();
        s3.close();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String header(HttpResponse<?> r, String name) {
        return r.headers().firstValue(name).orElse(null);
    }

    @Test
    void unchangedObjects_costNoHeadOrGet_andStayHits() throws Exception {
        int before = proxy.origin().requests();

        Watcher.Result result = watcher.poll();
        HttpResponse<byte[]> a = proxy.get("/watched/a.txt");

        assertEquals(new Watcher.Result(2, 0, 0, 0, 2, 0), result, "a.txt and b.txt listed; c.txt was never read");
        assertEquals(before, proxy.origin().requests(), "LISTs only, no HEAD, no GET");
        assertEquals(2, proxy.origin().lists(), "one short listing per tracked key");
        assertEquals("HIT", header(a, "X-Cache"));
    }

    @Test
    void anOverwrittenObject_isReFetched_andServedWithNewBytesAndETag() throws Exception {
        String oldEtag = header(proxy.get("/watched/a.txt"), "ETag");
        s3.put("watched", "a.txt", bytes("a version 2, longer"));

        Watcher.Result result = watcher.poll();
        HttpResponse<byte[]> a = proxy.get("/watched/a.txt");

        assertEquals(1, result.changed());
        assertArrayEquals(bytes("a version 2, longer"), a.body());
        assertNotEquals(oldEtag, header(a, "ETag"));
        assertEquals("HIT", header(a, "X-Cache"), "re-fetched in the background, before the client asked");
    }

    @Test
    void aDeletedObject_becomes404() throws Exception {
        s3.delete("watched", "b.txt");

        Watcher.Result result = watcher.poll();

        assertEquals(1, result.deleted());
        assertEquals(404, proxy.get("/watched/b.txt").statusCode());
        assertEquals(200, proxy.get("/watched/a.txt").statusCode());
    }

    @Test
    void aFailingPoll_isLoggedAndCounted_andTheNextOneWorks() throws Exception {
        try (var deadOrigin = ProxyServer.start(
                URI.create("http://127.0.0.1:9"),
                disk.resolve("dead"),
                S3Fixture.credentialsEnv(),
                "buckets",
                "watched",
                "prefetch",
                "watched/")) {
            var failing = new Watcher(
                    deadOrigin.proxy(),
                    List.of(new io.layerproxy.config.LayerProxyConfig.BucketPrefix("watched", "")),
                    Runnable::run);

            assertEquals(1, failing.poll().failedScopes());
            assertDoesNotThrow(failing::pollSafely);
        }
        assertEquals(0, watcher.poll().failedScopes());
    }

    @Test
    void theScheduledLoop_picksUpAChange_withinAFewPolls() throws Exception {
        proxy.close();
        proxy = ProxyServer.start(s3.endpoint(), disk, S3Fixture.credentialsEnv(), "watch", "1");
        proxy.get("/watched/a.txt");
        s3.put("watched", "a.txt", bytes("changed under the loop"));

        String body = "";
        for (int attempt = 0; attempt < 100 && !body.equals("changed under the loop"); attempt++) {
            Thread.sleep(100); // waiting for a background loop, bounded to 10 s; nothing is timed
            body = new String(proxy.get("/watched/a.txt").body(), StandardCharsets.UTF_8);
        }

        assertEquals("changed under the loop", body);
    }

    @Test
    void aBigBucketWithThreeTrackedKeys_isListedByThoseKeysOnly() throws Exception {
        for (int i = 0; i < 300; i++) {
            s3.put("watched", "bulk/" + (i % 10) + "/" + i, bytes("x"));
        }
        proxy.get("/watched/bulk/3/3");
        int lists = proxy.origin().lists();

        Watcher.Result result = watcher.poll();

        assertEquals(3, proxy.origin().lists() - lists, "a.txt, b.txt and bulk/3/3: three short listings");
        assertTrue(result.listed() < 10, "not the 303 objects of the bucket: " + result.listed());
    }

    @Test
    void manyTrackedKeys_areListedByTheirFolders_atMostMaxScopesListings() {
        Watcher scoped = new Watcher(proxy.proxy(), List.of(), Runnable::run);
        java.util.Set<io.layerproxy.ObjectKey> tracked = new java.util.HashSet<>();
        for (int folder = 0; folder < 10; folder++) {
            for (int i = 0; i < 10; i++) {
                tracked.add(new io.layerproxy.ObjectKey("big", "data/" + folder + "/" + i));
            }
        }
        tracked.add(new io.layerproxy.ObjectKey("other", "top.txt"));

        List<io.layerproxy.config.LayerProxyConfig.BucketPrefix> scopes = scoped.scopes(tracked);

        assertTrue(scopes.size() <= Watcher.MAX_SCOPES, scopes.toString());
        assertTrue(scopes.stream().anyMatch(sc -> sc.prefix().equals("data/0/")), "a folder listed whole");
        assertTrue(
                scopes.contains(new io.layerproxy.config.LayerProxyConfig.BucketPrefix("other", "top.txt")),
                "a lone key keeps its own short listing, not its whole bucket");
        for (io.layerproxy.ObjectKey key : tracked) {
            assertTrue(
                    scopes.stream()
                            .anyMatch(sc -> sc.bucket().equals(key.bucket())
                                    && key.key().startsWith(sc.prefix())),
                    key + " is covered");
        }
        assertEquals("a/b/", Watcher.ancestor("a/b/c.txt", 1));
        assertEquals("a/", Watcher.ancestor("a/b/c.txt", 2));
        assertEquals("", Watcher.ancestor("a/b/c.txt", 3));
    }

    @Test
    void aListingLongerThanThePageBudget_goesOnNextPoll_andOnlyAFinishedOneDeletes() throws Exception {
        for (int i = 0; i < 2500; i++) {
            s3.put("watched", String.format("bulk/%04d", i), bytes("x"));
        }
        proxy.get("/watched/bulk/2400");
        s3.delete("watched", "bulk/2400");
        var bulk = new io.layerproxy.config.LayerProxyConfig.BucketPrefix("watched", "bulk/");
        Watcher onePage = new Watcher(proxy.proxy(), List.of(bulk), Runnable::run, 1);

        Watcher.Result first = onePage.poll();
        Watcher.Result second = onePage.poll();
        Watcher.Result third = onePage.poll();

        assertEquals(List.of(1, 1, 1), List.of(first.pages(), second.pages(), third.pages()), "one page a poll");
        assertEquals(List.of(1000, 1000, 499), List.of(first.listed(), second.listed(), third.listed()));
        assertEquals(List.of(0, 0, 1), List.of(first.deleted(), second.deleted(), third.deleted()));
        assertEquals(200, proxy.get("/watched/a.txt").statusCode());
        assertEquals(404, proxy.get("/watched/bulk/2400").statusCode());
        // the listings of a.txt and b.txt, cut so far, come next (listed longest ago first), then bulk/ again
        assertEquals(
                List.of(1, 1, 1000),
                List.of(
                        onePage.poll().listed(),
                        onePage.poll().listed(),
                        onePage.poll().listed()),
                "every listing in turn");
    }
}

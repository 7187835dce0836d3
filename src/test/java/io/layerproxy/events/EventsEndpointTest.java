package io.layerproxy.events;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.ObjectInfo;
import io.layerproxy.ObjectKey;
import io.layerproxy.Origin;
import io.layerproxy.testing.ForwardingOrigin;
import io.layerproxy.testing.ProxyServer;
import io.layerproxy.testing.S3Fixture;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /_layerproxy/events} with S3-shaped records against a real S3Proxy: an overwrite or a delete is
 * served at once (no waiting for max-age, which is a day here), a stale or repeated event changes nothing, the
 * cached ETag is a no-op, the token is required, and an event that lands while a cold HEAD is in flight leaves no
 * old version cached.
 */
class EventsEndpointTest {
    private static final String TOKEN = "events-test-token-0123456789";

    @RegisterExtension
    final S3ProxyExtension S3 = S3Fixture.authenticatedServer();

    @TempDir
    Path disk;

    private static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String record(String name, String key, String etag, String sequencer) {
        return "{\"Records\":[{\"eventName\":\"" + name + "\",\"s3\":{\"bucket\":{\"name\":\"evts\"},\"object\":{"
                + "\"key\":\"" + key + "\",\"eTag\":\"" + etag + "\",\"sequencer\":\"" + sequencer + "\"}}}]}";
    }

    private static HttpResponse<String> post(ProxyServer proxy, String body, String token) throws Exception {
        var request = HttpRequest.newBuilder(proxy.uri("/_layerproxy/events"))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return proxy.sendStreaming(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String etag(ProxyServer proxy, String path) throws Exception {
        return proxy.head(path).headers().firstValue("ETag").orElseThrow().replace("\"", "");
    }

    @Test
    void overwriteAndDeleteEvents_areServedAtOnce_staleOnesAndTheCachedEtagChangeNothing() throws Exception {
        try (var s3 = new S3Fixture(S3).bucket("evts").put("evts", "a b+c.txt", text("version 1"));
                var proxy = ProxyServer.start(
                        s3.endpoint(), disk, S3Fixture.credentialsEnv(), "admin-token", TOKEN, "max-age", "86400")) {
            String path = "/evts/a%20b+c.txt";
            String key = "a+b%2Bc.txt"; // as S3 writes it into the event: form-encoded
            assertArrayEquals(text("version 1"), proxy.get(path).body());
            String first = etag(proxy, path);

            assertEquals(
                    401,
                    post(proxy, record("ObjectCreated:Put", key, "x", "01"), null)
                            .statusCode());
            assertEquals(
                    "{\"events\":1,\"applied\":0,\"ignored\":1}\n",
                    post(proxy, record("ObjectCreated:Put", key, first, "01"), TOKEN)
                            .body(),
                    "the cached ETag: nothing to do");

            s3.put("evts", "a b+c.txt", text("version 2, longer"));
            String second = etag(proxy, path).equals(first) ? "" : null; // still the cached one until the event
            assertEquals("", second);
            assertEquals(
                    "{\"events\":1,\"applied\":1,\"ignored\":0}\n",
                    post(proxy, record("ObjectCreated:Put", key, "new-etag", "03"), TOKEN)
                            .body());
            assertArrayEquals(text("version 2, longer"), proxy.get(path).body(), "served without waiting a day");

            s3.delete("evts", "a b+c.txt");
            assertEquals(
                    "{\"events\":1,\"applied\":0,\"ignored\":1}\n",
                    post(proxy, record("ObjectRemoved:Delete", key, "", "02"), TOKEN)
                            .body(),
                    "older than the last event for the key");
            assertEquals(200, proxy.get(path).statusCode(), "the stale delete changed nothing");
            post(proxy, record("ObjectRemoved:Delete", key, "", "04"), TOKEN);
            assertEquals(404, proxy.get(path).statusCode());

            // MinIO's webhook: s3: prefixes, the slash encoded
            s3.put("evts", "dir/m.txt", text("minio 1"));
            assertArrayEquals(text("minio 1"), proxy.get("/evts/dir/m.txt").body());
            s3.put("evts", "dir/m.txt", text("minio 2"));
            String minio = "{\"EventName\":\"s3:ObjectCreated:Put\",\"Key\":\"evts/dir/m.txt\",\"Records\":[{"
                    + "\"eventName\":\"s3:ObjectCreated:Put\",\"s3\":{\"bucket\":{\"name\":\"evts\"},"
                    + "\"object\":{\"key\":\"dir%2Fm.txt\",\"eTag\":\"m2\",\"sequencer\":\"17A3E2C4D5B6C7D8\"}}}]}";
            assertEquals(200, post(proxy, minio, TOKEN).statusCode());
            assertArrayEquals(text("minio 2"), proxy.get("/evts/dir/m.txt").body());

            assertEquals(400, post(proxy, "{\"hello\":1}", TOKEN).statusCode());
            assertEquals(1, proxy.proxy().events().stats().malformed());
        }
    }

    @Test
    void anEventDuringAColdRead_leavesNoOldVersionCached() throws Exception {
        var reading = new CountDownLatch(1);
        var release = new CountDownLatch(1);
        try (var s3 = new S3Fixture(S3).bucket("evts").put("evts", "race.txt", text("old"));
                var proxy = ProxyServer.start(
                        s3.endpoint(),
                        disk,
                        S3Fixture.credentialsEnv(),
                        origin -> held(origin, reading, release),
                        "admin-token",
                        TOKEN)) {
            String oldEtag = s3.client()
                    .headObject(b -> b.bucket("evts").key("race.txt"))
                    .eTag();
            CompletableFuture<HttpResponse<byte[]>> cold =
                    CompletableFuture.supplyAsync(() -> head(proxy, "/evts/race.txt"));
            assertTrue(reading.await(30, TimeUnit.SECONDS), "the cold read reached S3");
            s3.put("evts", "race.txt", text("new"));
            post(proxy, record("ObjectCreated:Put", "race.txt", "new-etag", "05"), TOKEN);
            release.countDown();
            assertEquals(200, cold.get(30, TimeUnit.SECONDS).statusCode(), "the racing HEAD answers what S3 said");

            ObjectInfo cached = proxy.proxy().cachedVersion(new ObjectKey("evts", "race.txt"));
            assertTrue(cached == null || !cached.etag().equals(oldEtag), "the old version was not stored: " + cached);
            assertArrayEquals(text("new"), proxy.get("/evts/race.txt").body());
        }
    }

    /** An origin whose first metadata request waits until {@code release}, after saying it began. */
    private static Origin held(Origin origin, CountDownLatch reading, CountDownLatch release) {
        return new ForwardingOrigin(origin) {
            @Override
            public ObjectInfo head(ObjectKey key) {
                ObjectInfo info = super.head(key);
                if (reading.getCount() > 0) {
                    reading.countDown();
                    try {
                        release.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return info;
            }
        };
    }

    private static HttpResponse<byte[]> head(ProxyServer proxy, String path) {
        try {
            return proxy.head(path);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}

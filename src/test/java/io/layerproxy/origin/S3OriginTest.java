package io.layerproxy.origin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.layerproxy.ObjectKey;
import io.layerproxy.Origin;
import io.layerproxy.OriginException;
import io.layerproxy.testing.S3Fixture;
import java.io.InputStream;
import java.time.Duration;
import java.util.Map;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link S3Origin#fetch}: one GET must learn what a HEAD learns, against a real S3Proxy checking signatures. */
class S3OriginTest {
    @RegisterExtension
    final S3ProxyExtension S3 = S3Fixture.authenticatedServer();

    private S3Fixture s3;
    private S3Origin origin;

    @BeforeEach
    void seed() {
        s3 = new S3Fixture(S3);
        s3.bucket("bkt")
                .put(
                        "bkt",
                        "page.html",
                        "<p>hi</p>".getBytes(),
                        "text/html",
                        Map.of("owner", "web-team"),
                        "max-age=300",
                        "inline");
        s3.put("bkt", "blob", S3Fixture.bytes(300_000, 3));
        s3.put("bkt", "empty", new byte[0]);
        origin = originWith(S3Fixture.credentialsEnv());
    }

    @AfterEach
    void stop() {
        origin.close();
        s3.close();
    }

    private S3Origin originWith(Map<String, String> env) {
        return S3Origin.create(S3Clients.create("us-east-1", s3.endpoint(), true, env, Duration.ofSeconds(30)));
    }

    @Test
    void fetch_learnsExactlyWhatHeadLearns_andStreamsTheBytes() throws Exception {
        for (String name : new String[] {"page.html", "blob"}) {
            ObjectKey key = new ObjectKey("bkt", name);
            Origin.Fetched fetched = origin.fetch(key);
            try (InputStream body = fetched.body()) {
                assertEquals(origin.head(key), fetched.info(), name);
                assertArrayEquals(
                        s3.client()
                                .getObjectAsBytes(b -> b.bucket("bkt").key(name))
                                .asByteArray(),
                        body.readAllBytes(),
                        name);
            }
        }
        var page = origin.fetch(new ObjectKey("bkt", "page.html"));
        page.body().close();
        assertEquals("text/html", page.info().contentType());
        assertEquals(
                Map.of("Cache-Control", "max-age=300", "Content-Disposition", "inline", "x-amz-meta-owner", "web-team"),
                page.info().headers());
    }

    @Test
    void rangedFetch_learnsTheWholeObjectsMetadata_andStreamsItsFirstBytes() throws Exception {
        byte[] blob =
                s3.client().getObjectAsBytes(b -> b.bucket("bkt").key("blob")).asByteArray();
        ObjectKey key = new ObjectKey("bkt", "blob");
        Origin.Fetched part = origin.fetch(key, 65_536);
        try (InputStream body = part.body()) {
            assertEquals(origin.head(key), part.info(), "the size is the object's, from Content-Range");
            assertEquals(65_536, part.length());
            assertArrayEquals(java.util.Arrays.copyOf(blob, 65_536), body.readAllBytes());
        }
        // asking for more than there is: all of it
        ObjectKey page = new ObjectKey("bkt", "page.html");
        Origin.Fetched whole = origin.fetch(page, 1 << 20);
        try (InputStream body = whole.body()) {
            assertEquals(origin.head(page), whole.info());
            assertEquals(whole.info().size(), whole.length());
            assertEquals("<p>hi</p>", new String(body.readAllBytes()));
        }
        // an empty object has no first byte to range over (416): asked again without a range
        Origin.Fetched empty = origin.fetch(new ObjectKey("bkt", "empty"), 65_536);
        try (InputStream body = empty.body()) {
            assertEquals(0, empty.info().size());
            assertEquals(0, empty.length());
            assertEquals(-1, body.read());
        }
        assertNull(origin.fetch(new ObjectKey("bkt", "no-such-key"), 65_536));
    }

    @Test
    void fetch_ofAnEmptyObject_hasAnEmptyBody() throws Exception {
        Origin.Fetched fetched = origin.fetch(new ObjectKey("bkt", "empty"));
        try (InputStream body = fetched.body()) {
            assertEquals(0, fetched.info().size());
            assertEquals(-1, body.read());
        }
    }

    @Test
    void fetch_ofAMissingKeyOrBucket_isNull() {
        assertNull(origin.fetch(new ObjectKey("bkt", "no-such-key")));
        assertNull(origin.fetch(new ObjectKey("no-such-bucket", "k")));
    }

    @Test
    void fetch_closedEarly_leavesTheClientUsable() throws Exception {
        for (int i = 0; i < 300; i++) { // more than the connection pool: aborted connections are not leaked
            origin.fetch(new ObjectKey("bkt", "blob")).body().close();
        }
        try (InputStream body = origin.fetch(new ObjectKey("bkt", "blob")).body()) {
            assertEquals(300_000, body.readAllBytes().length);
        }
    }

    @Test
    void fetch_withWrongCredentials_isDenied() {
        try (S3Origin stranger = originWith(
                Map.of("AWS_ACCESS_KEY_ID", S3Fixture.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", "wrong-secret"))) {
            OriginException e = assertThrows(OriginException.class, () -> stranger.fetch(new ObjectKey("bkt", "blob")));
            assertEquals(OriginException.Kind.DENIED, e.kind());
        }
    }
}

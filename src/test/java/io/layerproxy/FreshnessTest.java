package io.layerproxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.layer.EhcacheLayer;
import io.layerproxy.origin.S3Clients;
import io.layerproxy.origin.S3Origin;
import io.layerproxy.testing.CountingOrigin;
import io.layerproxy.testing.MutableClock;
import io.layerproxy.testing.S3Fixture;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Max-age revalidation and negative caching, on the library API with a clock moved by hand. */
class FreshnessTest {
    private static final ObjectKey PAGE = new ObjectKey("fresh", "page.html");
    private static final ObjectKey LATER = new ObjectKey("fresh", "later.html");

    @RegisterExtension
    final S3ProxyExtension S3 = S3Fixture.authenticatedServer();

    private final MutableClock clock = new MutableClock();
    private S3Fixture s3;
    private CountingOrigin origin;
    private LayerProxy proxy;

    @BeforeEach
    void start() {
        s3 = new S3Fixture(S3).bucket("fresh").put("fresh", "page.html", bytes("v1"));
        origin = newOrigin();
        proxy = LayerProxy.builder()
                .addLayer(EhcacheLayer.memory(1 << 20))
                .origin(origin)
                .clock(clock)
                .maxAge(Duration.ofSeconds(60))
                .negativeTtl(Duration.ofSeconds(10))
                .blockSize(4096)
                .build();
    }

    @AfterEach
    void stop() {
        proxy.close();
        s3.close();
    }

    private CountingOrigin newOrigin() {
        return new CountingOrigin(S3Origin.create(S3Clients.create(
                "us-east-1", s3.endpoint(), true, S3Fixture.credentialsEnv(), java.time.Duration.ofSeconds(30))));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void withinMaxAge_metadataIsServedWithoutAskingS3() {
        proxy.read(PAGE, ReadSpec.METADATA);
        clock.advance(Duration.ofSeconds(59));

        CachedObject again = proxy.read(PAGE, ReadSpec.METADATA);

        assertEquals("memory", again.source());
        assertEquals(1, origin.heads());
    }

    @Test
    void afterMaxAge_anUnchangedObjectIsRevalidatedWithAHead_andItsBlocksStay() {
        proxy.warm(PAGE);
        clock.advance(Duration.ofSeconds(61));

        CachedObject revalidated = proxy.read(PAGE, ReadSpec.METADATA);
        CachedObject next = proxy.read(PAGE, ReadSpec.METADATA);

        assertTrue(revalidated.found());
        assertEquals(1, origin.revalidations(), "one revalidating HEAD");
        assertEquals("memory", next.source(), "fresh again for another max-age");
        try (ObjectBody body = revalidated.open(0, revalidated.info().size())) {
            assertEquals("memory", body.firstLayer(), "same ETag: the cached blocks are still this version");
        }
        assertEquals(1, origin.fetches(), "the warm-up's GET");
        assertEquals(0, origin.reads(), "no GET since");
    }

    @Test
    void afterMaxAge_aReuploadOfTheSameBytes_keepsTheBlocks_andTakesTheNewLastModified() throws Exception {
        java.time.Instant before = proxy.read(PAGE, ReadSpec.METADATA).info().lastModified();
        // Last-Modified has whole seconds: upload again until S3 dates the same bytes later (the test's deadline
        // bounds it)
        java.time.Instant after = before;
        while (!after.isAfter(before)) {
            s3.put("fresh", "page.html", bytes("v1"));
            after = s3.client()
                    .headObject(b -> b.bucket("fresh").key("page.html"))
                    .lastModified();
        }
        clock.advance(Duration.ofSeconds(61));

        CachedObject revalidated = proxy.read(PAGE, ReadSpec.METADATA);

        assertEquals(1, origin.revalidations(), "one HEAD: same ETag, same bytes");
        assertEquals(after, revalidated.info().lastModified(), "the new Last-Modified replaces the cached one");
        assertEquals(after, proxy.read(PAGE, ReadSpec.METADATA).info().lastModified(), "and is stored");
    }

    @Test
    void afterMaxAge_aChangedObjectGetsItsNewVersion() {
        String oldEtag = proxy.read(PAGE, ReadSpec.METADATA).info().etag();
        s3.put("fresh", "page.html", bytes("version two"));
        clock.advance(Duration.ofSeconds(61));

        CachedObject changed = proxy.read(PAGE, ReadSpec.METADATA);

        assertNotEquals(oldEtag, changed.info().etag());
        assertEquals(11, changed.info().size());
    }

    @Test
    void aMissingKey_isRememberedForTheNegativeTtl_thenAskedAgain() {
        assertFalse(proxy.read(LATER, ReadSpec.METADATA).found());
        s3.put("fresh", "later.html", bytes("now it exists"));

        clock.advance(Duration.ofSeconds(9));
        CachedObject remembered = proxy.read(LATER, ReadSpec.METADATA);
        clock.advance(Duration.ofSeconds(2));
        CachedObject asked = proxy.read(LATER, ReadSpec.METADATA);

        assertFalse(remembered.found());
        assertEquals("memory", remembered.source(), "the 404 came from the cache");
        assertTrue(asked.found(), "after the negative TTL the origin is asked again");
        assertEquals(2, origin.heads());
    }

    @Test
    void zeroNegativeTtl_asksEveryTime() {
        proxy.close();
        origin = newOrigin();
        proxy = LayerProxy.builder()
                .addLayer(EhcacheLayer.memory(1 << 20))
                .origin(origin)
                .clock(clock)
                .negativeTtl(Duration.ZERO)
                .build();

        proxy.read(LATER, ReadSpec.METADATA);
        proxy.read(LATER, ReadSpec.METADATA);

        assertEquals(2, origin.heads());
    }
}

package io.layerproxy.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.layerproxy.CachedObject;
import io.layerproxy.LayerProxy;
import io.layerproxy.ObjectBody;
import io.layerproxy.ObjectKey;
import io.layerproxy.ReadSpec;
import io.layerproxy.testing.MapLayer;
import io.layerproxy.testing.MemoryOrigin;
import io.layerproxy.testing.MutableClock;
import io.layerproxy.testing.S3Fixture;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * {@code ?versionId=}: a version is its own cache entry, read from the origin as that version and never as the
 * current one, and fresh for good (a version never changes). The in-memory origin answers like a versioned bucket.
 */
class VersionedReadTest {
    private static final int BLOCK = 4096;
    private static final ObjectKey CURRENT = new ObjectKey("bkt", "model.bin");
    private static final ObjectKey V1 = CURRENT.withVersion("v1");

    private final MutableClock clock = new MutableClock();
    private final byte[] old = S3Fixture.bytes(3 * BLOCK + 5, 1);
    private final byte[] now = S3Fixture.bytes(2 * BLOCK, 2);
    private final MemoryOrigin origin = new MemoryOrigin().put(V1, old).put(CURRENT, now);

    private LayerProxy proxy() {
        return LayerProxy.builder()
                .addLayer(new MapLayer("memory", 64L << 20))
                .origin(origin)
                .blockSize(BLOCK)
                .bufferMemory(64 * BLOCK)
                .maxAge(Duration.ofSeconds(60))
                .clock(clock)
                .build();
    }

    @Test
    void aVersionAndTheCurrentObject_areReadAndCachedApart() throws IOException {
        try (LayerProxy proxy = proxy()) {
            for (int round = 0; round < 2; round++) {
                assertArrayEquals(old, read(proxy, V1, ReadSpec.WHOLE), "version v1, round " + round);
                assertArrayEquals(now, read(proxy, CURRENT, ReadSpec.WHOLE), "current, round " + round);
                assertArrayEquals(old, read(proxy, V1, ReadSpec.METADATA), "v1 by metadata first, round " + round);
            }
            assertEquals(2, origin.heads(), "one metadata request each; the second round were hits");
        }
    }

    @Test
    void aCachedVersion_staysFreshPastMaxAge_whileTheCurrentObjectIsRevalidated() throws IOException {
        try (LayerProxy proxy = proxy()) {
            read(proxy, V1, ReadSpec.WHOLE);
            read(proxy, CURRENT, ReadSpec.WHOLE);
            int before = origin.heads();

            clock.advance(Duration.ofDays(30));
            assertArrayEquals(old, read(proxy, V1, ReadSpec.WHOLE));
            assertEquals(before, origin.heads(), "a version is never revalidated");
            read(proxy, CURRENT, ReadSpec.WHOLE);
            assertEquals(before + 1, origin.heads(), "the current object is, past max-age");
            assertFalse(proxy.trackedKeys().contains(V1), "the watch loop has nothing to poll for a version");
        }
    }

    @Test
    void anUnknownVersion_isNotFound_evenThoughTheKeyExists() {
        try (LayerProxy proxy = proxy();
                CachedObject missing = proxy.read(CURRENT.withVersion("v9"), ReadSpec.WHOLE)) {
            assertFalse(missing.found());
        }
    }

    @Test
    void theNullVersion_isTheCurrentObjectOfAnUnversionedBucket_andFollowsMaxAge() throws IOException {
        ObjectKey nullVersion = CURRENT.withVersion("null");
        origin.put(nullVersion, now);
        try (LayerProxy proxy = proxy()) {
            read(proxy, nullVersion, ReadSpec.WHOLE);
            int before = origin.heads();
            clock.advance(Duration.ofDays(1));

            read(proxy, nullVersion, ReadSpec.WHOLE);
            assertEquals(before + 1, origin.heads(), "revalidated past max-age: the next upload replaces it");
        }
    }

    private static byte[] read(LayerProxy proxy, ObjectKey key, ReadSpec spec) throws IOException {
        try (CachedObject object = proxy.read(key, spec);
                ObjectBody body = spec.wholeBody()
                        ? object.openWhole()
                        : object.open(0, object.info().size())) {
            var out = new ByteArrayOutputStream();
            body.writeTo(out);
            return out.toByteArray();
        }
    }
}

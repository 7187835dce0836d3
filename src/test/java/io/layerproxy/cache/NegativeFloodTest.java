package io.layerproxy.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.CachedObject;
import io.layerproxy.LayerProxy;
import io.layerproxy.ObjectBody;
import io.layerproxy.ObjectKey;
import io.layerproxy.ReadSpec;
import io.layerproxy.layer.EhcacheLayer;
import io.layerproxy.testing.MemoryOrigin;
import io.layerproxy.testing.S3Fixture;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Remembered 404s live in their own space, bounded by count: a flood of distinct misses (one cheap request each)
 * cannot evict a hot object from the memory layer, and a remembered 404 still spares the origin.
 */
class NegativeFloodTest {
    private static final int BLOCK = 64 << 10;
    private static final ObjectKey HOT = new ObjectKey("bkt", "hot.bin");

    @Test
    void fiftyThousandDistinct404s_leaveTheHotObjectInMemory() throws Exception {
        byte[] hot = S3Fixture.bytes(16 * BLOCK, 5); // 1 MiB in a 2 MiB memory layer
        var origin = new MemoryOrigin().put(HOT, hot);
        try (var proxy = LayerProxy.builder()
                .addLayer(EhcacheLayer.memory(2 << 20))
                .origin(origin)
                .blockSize(BLOCK)
                .bufferMemory(64L * BLOCK)
                .negativeTtl(Duration.ofMinutes(10))
                .build()) {
            assertArrayEquals(hot, read(proxy, HOT));
            proxy.awaitStores();

            for (int i = 0; i < 50_000; i++) {
                try (CachedObject missing = proxy.read(new ObjectKey("bkt", "missing/" + i), ReadSpec.METADATA)) {
                    assertFalse(missing.found());
                }
            }
            int heads = origin.heads();
            try (CachedObject again = proxy.read(new ObjectKey("bkt", "missing/49999"), ReadSpec.METADATA)) {
                assertFalse(again.found());
                assertEquals("memory", again.source(), "a remembered 404");
            }
            assertEquals(heads, origin.heads(), "the remembered 404 did not ask the origin");

            int reads = origin.reads();
            try (CachedObject object = proxy.read(HOT, ReadSpec.WHOLE);
                    ObjectBody body = object.openWhole()) {
                assertEquals("memory", object.source(), "the hot object's metadata is still in memory");
                assertEquals("memory", body.firstLayer());
                var out = new ByteArrayOutputStream();
                body.writeTo(out);
                assertArrayEquals(hot, out.toByteArray());
            }
            assertEquals(reads, origin.reads(), "no byte of the hot object came from the origin again");
            assertTrue(
                    proxy.layerStates().get(0).stats().entries() <= 17,
                    "the memory layer holds the hot object's metadata and blocks only");
        }
    }

    private static byte[] read(LayerProxy proxy, ObjectKey key) throws IOException {
        try (CachedObject object = proxy.read(key, ReadSpec.WHOLE);
                ObjectBody body = object.openWhole()) {
            var out = new ByteArrayOutputStream();
            body.writeTo(out);
            return out.toByteArray();
        }
    }
}

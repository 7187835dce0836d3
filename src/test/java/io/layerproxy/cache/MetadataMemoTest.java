package io.layerproxy.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.layerproxy.CachedObject;
import io.layerproxy.Layer;
import io.layerproxy.LayerProxy;
import io.layerproxy.ObjectBody;
import io.layerproxy.ObjectInfo;
import io.layerproxy.ObjectKey;
import io.layerproxy.Origin;
import io.layerproxy.ReadSpec;
import io.layerproxy.testing.MapLayer;
import io.layerproxy.testing.MemoryOrigin;
import io.layerproxy.testing.MutableClock;
import io.layerproxy.testing.S3Fixture;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/**
 * Hot keys' metadata is kept decoded on the heap ({@link MetadataMemo}): repeated hits do not look in the first
 * layer for it, still count as its hits, and every way a key's metadata changes is seen by the next read.
 */
class MetadataMemoTest {
    private static final int BLOCK = 4096;
    private static final ObjectKey KEY = new ObjectKey("bkt", "site/index.html");

    private final MutableClock clock = new MutableClock();
    private final byte[] v1 = S3Fixture.bytes(BLOCK + 7, 1);
    private final byte[] v2 = S3Fixture.bytes(2 * BLOCK, 2);
    private final MemoryOrigin origin = new MemoryOrigin().put(KEY, v1);
    private final CountingLayer memory = new CountingLayer(new MapLayer("memory", 64L << 20));

    private LayerProxy proxy() {
        return LayerProxy.builder()
                .addLayer(memory)
                .origin(origin)
                .blockSize(BLOCK)
                .bufferMemory(64 * BLOCK)
                .maxAge(Duration.ofSeconds(60))
                .clock(clock)
                .build();
    }

    @Test
    void hotHits_skipTheLayersMetadataLookup_andCountAsItsHits() throws Exception {
        try (LayerProxy proxy = proxy()) {
            assertArrayEquals(v1, read(proxy, ReadSpec.WHOLE)); // a miss: S3
            assertArrayEquals(v1, read(proxy, ReadSpec.WHOLE)); // found in the layer, remembered
            proxy.awaitStores(); // the blocks in the layer, not still queued for it (a queued block is no layer hit)
            int looks = memory.metadataGets.get();
            long hits = proxy.layerStates().get(0).hits();
            int asked = origin.reads() + origin.heads();
            for (int i = 0; i < 10; i++) {
                assertArrayEquals(v1, read(proxy, ReadSpec.WHOLE));
            }
            assertEquals(looks, memory.metadataGets.get(), "metadata looked up in the layer again");
            // each read: its metadata (from the memo) and two blocks, all hits of the memory layer
            assertEquals(hits + 10 * 3, proxy.layerStates().get(0).hits());
            assertEquals(asked, origin.reads() + origin.heads(), "S3 asked again");
        }
    }

    @Test
    void aNewVersion_isSeenThroughEveryWayMetadataChanges() throws IOException {
        try (LayerProxy proxy = proxy()) {
            warm(proxy);
            origin.put(KEY, v2);
            proxy.invalidate(KEY); // an S3 event, a fleet peer's purge
            assertArrayEquals(v2, read(proxy, ReadSpec.WHOLE), "after invalidate");

            warm(proxy);
            origin.put(KEY, v1);
            assertSame(true, proxy.purge(KEY));
            assertArrayEquals(v1, read(proxy, ReadSpec.WHOLE), "after purge");

            warm(proxy);
            origin.put(KEY, v2);
            proxy.reconcile(new Origin.Listed(KEY, MemoryOrigin.etag(v2), v2.length)); // the watch loop's listing
            assertArrayEquals(v2, read(proxy, ReadSpec.WHOLE), "after the watch loop saw it change");

            warm(proxy);
            origin.put(KEY, v1);
            // a client's no-cache brings the new version; plain reads after it get the new version too
            assertArrayEquals(v1, read(proxy, ReadSpec.WHOLE.revalidating()), "the revalidating read");
            assertArrayEquals(v1, read(proxy, ReadSpec.WHOLE), "after a client's revalidation");

            warm(proxy);
            origin.put(KEY, v2);
            clock.advance(Duration.ofSeconds(61)); // past max-age: revalidated with S3
            assertArrayEquals(v2, read(proxy, ReadSpec.WHOLE), "after max-age");
        }
    }

    @Test
    void aGoneObject_isNotServedFromTheMemo() throws IOException {
        try (LayerProxy proxy = proxy()) {
            warm(proxy);
            origin.remove(KEY);
            clock.advance(Duration.ofSeconds(61));
            try (CachedObject gone = proxy.read(KEY, ReadSpec.METADATA)) {
                assertEquals(false, gone.found());
            }
        }
    }

    @Test
    void whatWasReadBeforeAChange_isNotRemembered() {
        var memo = new MetadataMemo();
        ObjectInfo info = new ObjectInfo(10, "\"e1\"", Instant.EPOCH, "text/plain", java.util.Map.of(), Instant.EPOCH);
        long before = memo.epoch(KEY);
        memo.changed(KEY); // the layer changed after the reader looked
        memo.remember(KEY, before, info);
        assertNull(memo.get(KEY));
        memo.remember(KEY, memo.epoch(KEY), info);
        assertSame(info, memo.get(KEY));
        memo.changed(KEY);
        assertNull(memo.get(KEY));
    }

    @Test
    void theMemoIsBounded() {
        var memo = new MetadataMemo();
        ObjectInfo info = new ObjectInfo(10, "\"e1\"", Instant.EPOCH, "text/plain", java.util.Map.of(), Instant.EPOCH);
        for (int i = 0; i < 3 * MetadataMemo.MAX_ENTRIES; i++) {
            ObjectKey key = new ObjectKey("bkt", "k" + i);
            memo.remember(key, memo.epoch(key), info);
        }
        assertEquals(true, memo.size() <= MetadataMemo.MAX_ENTRIES, "size " + memo.size());
    }

    /** Two reads: the second finds the metadata in the layer and remembers it. */
    private void warm(LayerProxy proxy) throws IOException {
        read(proxy, ReadSpec.WHOLE);
        read(proxy, ReadSpec.WHOLE);
    }

    private static byte[] read(LayerProxy proxy, ReadSpec spec) throws IOException {
        try (CachedObject object = proxy.read(KEY, spec)) {
            var out = new ByteArrayOutputStream();
            try (ObjectBody body = object.openWhole()) {
                body.writeTo(out);
            }
            return out.toByteArray();
        }
    }

    /** Counts the gets of metadata entries. */
    private static final class CountingLayer implements Layer {
        final AtomicInteger metadataGets = new AtomicInteger();
        private final Layer layer;

        CountingLayer(Layer layer) {
            this.layer = layer;
        }

        @Override
        public String name() {
            return layer.name();
        }

        @Override
        public long capacity() {
            return layer.capacity();
        }

        @Override
        public ByteBuffer get(String key, IntFunction<ByteBuffer> allocate) {
            if (key.equals(InfoCodec.metaKey(KEY))) {
                metadataGets.incrementAndGet();
            }
            return layer.get(key, allocate);
        }

        @Override
        public void put(String key, ByteBuffer value) {
            layer.put(key, value);
        }

        @Override
        public void remove(String key) {
            layer.remove(key);
        }

        @Override
        public void close() {
            layer.close();
        }
    }
}

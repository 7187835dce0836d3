package io.layerproxy.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.Layer;
import io.layerproxy.LayerProxy;
import io.layerproxy.ObjectKey;
import io.layerproxy.testing.MapLayer;
import io.layerproxy.testing.MemoryOrigin;
import io.layerproxy.testing.Reads;
import io.layerproxy.testing.S3Fixture;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/** Single flight of metadata at its edges, on an in-memory origin. */
class MetadataFlightTest {
    private static final int BLOCK = 4096;
    private static final ObjectKey KEY = new ObjectKey("bkt", "cold.bin");

    @Test
    void aReaderThatMissedJustBeforeAFlightEnded_usesWhatTheFlightStored_insteadOfAskingAgain() throws Exception {
        byte[] bytes = S3Fixture.bytes(8 * BLOCK, 9);
        var origin = new MemoryOrigin().put(KEY, bytes);
        var layer = new HoldingLayer(new MapLayer("memory", 64L << 20), "m:bkt/cold.bin");
        try (var proxy = LayerProxy.builder()
                .addLayer(layer)
                .origin(origin)
                .blockSize(BLOCK)
                .bufferMemory(64 * BLOCK)
                .build()) {
            // B misses the metadata in the layer and is held right there, before it joins or starts a flight
            CompletableFuture<byte[]> late = CompletableFuture.supplyAsync(() -> Reads.whole(proxy, KEY));
            assertTrue(layer.held.await(30, TimeUnit.SECONDS), "the late reader missed the metadata");
            // A's whole read runs meanwhile: its flight stores the metadata and ends
            assertArrayEquals(bytes, Reads.whole(proxy, KEY));
            assertEquals(1, origin.heads(), "one metadata request so far");
            layer.release.countDown();

            assertArrayEquals(bytes, late.get(30, TimeUnit.SECONDS));
            assertEquals(1, origin.heads(), "the late reader found the stored metadata instead of asking again");
            assertEquals(1, origin.reads(), "and the blocks A's read stored");
        }
    }

    /** Holds the first miss of one key until released: a reader paused between its look and the flight table. */
    private static final class HoldingLayer implements Layer {
        private final Layer layer;
        private final String key;
        final CountDownLatch held = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        HoldingLayer(Layer layer, String key) {
            this.layer = layer;
            this.key = key;
        }

        @Override
        public String name() {
            return layer.name();
        }

        @Override
        public ByteBuffer get(String k, IntFunction<ByteBuffer> allocate) {
            ByteBuffer value = layer.get(k, allocate);
            if (value == null && k.equals(key) && held.getCount() > 0) {
                held.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return value;
        }

        @Override
        public void put(String k, ByteBuffer value) {
            layer.put(k, value);
        }

        @Override
        public void remove(String k) {
            layer.remove(k);
        }

        @Override
        public void close() {
            release.countDown();
            layer.close();
        }
    }
}

package io.layerproxy.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.LayerProxy;
import io.layerproxy.ObjectKey;
import io.layerproxy.layer.EhcacheLayer;
import io.layerproxy.testing.MemoryOrigin;
import io.layerproxy.testing.Reads;
import io.layerproxy.testing.S3Fixture;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.io.TempDir;

/**
 * Blocks evicted while an object is being read, by the read itself: real Ehcache layers, a disk layer that takes
 * the object (its size is below the layer's) but holds fewer bytes than that (each value costs a power-of-two chunk
 * in Ehcache's store), so it evicts the object's first blocks while its last ones are stored; the object is read
 * three times in a row. Every read must finish at once with the right bytes. Before the pipeline was rebuilt, a reader met a block
 * whose fill never came, waited the 60 s follow timeout and was cut off short.
 */
class EvictedWhileReadTest {
    private static final int BLOCK = 128 << 10;
    private static final ObjectKey KEY = new ObjectKey("ovl", "m32.bin");

    @TempDir
    Path dir;

    @RepeatedTest(20)
    void anObjectLargerThanTheDiskLayer_readThreeTimes_isWholeAndRightEachTime() throws Exception {
        byte[] bytes = S3Fixture.bytes(32 * BLOCK, 32);
        var origin = new MemoryOrigin().put(KEY, bytes);
        try (var proxy = LayerProxy.builder()
                .addLayer(EhcacheLayer.memory(8 * BLOCK))
                .addLayer(EhcacheLayer.disk(dir, 32 * BLOCK)) // the object fits by size, not in every segment
                .origin(origin)
                .blockSize(BLOCK)
                .bufferMemory(32 * BLOCK)
                .build()) {
            for (int read = 1; read <= 3; read++) {
                // a deadline far below the 60 s follow timeout: a read that waits on a fill that never comes fails
                byte[] got = CompletableFuture.supplyAsync(() -> Reads.whole(proxy, KEY))
                        .get(20, TimeUnit.SECONDS);
                assertArrayEquals(bytes, got, "read " + read);
            }
            proxy.awaitStores();
            // a block is two entries on disk (a body and a tail), the metadata one
            long onDisk = proxy.layerStates().get(1).stats().entries() / 2;
            assertTrue(onDisk > 0 && onDisk < 32, "the disk layer holds part of the object: " + onDisk + " blocks");
            assertEquals(0, proxy.pipelineStats().blocksInFlight(), "no block left registered as in flight");
            assertEquals(0, proxy.pipelineStats().bufferUsed(), "every block buffer came back");
        }
    }
}

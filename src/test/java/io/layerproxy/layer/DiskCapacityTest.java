package io.layerproxy.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.CachedObject;
import io.layerproxy.Layer;
import io.layerproxy.LayerProxy;
import io.layerproxy.ObjectBody;
import io.layerproxy.ObjectKey;
import io.layerproxy.ReadSpec;
import io.layerproxy.testing.MemoryOrigin;
import io.layerproxy.testing.S3Fixture;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The disk layer holds {@code --disk-size} of block bytes, within a few percent: each 1 MiB block used to take a
 * 2 MiB chunk of Ehcache's disk store, so the layer held half of what it was given.
 */
class DiskCapacityTest {
    private static final int MIB = 1 << 20;
    private static final long DISK = 64L * MIB;

    @TempDir
    Path dir;

    @Test
    void aBlockIsChargedWithinOnePercentOfItsSize() {
        Layer disk = EhcacheLayer.disk(dir, DISK);
        try {
            for (int i = 0; i < 10; i++) {
                disk.put("b:" + i, ByteBuffer.wrap(S3Fixture.bytes(MIB, i)));
            }
            long charged = disk.stats().bytes();
            assertTrue(charged < 10L * MIB * 101 / 100, "10 blocks of 1 MiB are charged " + charged + " bytes");
            ByteBuffer into = ByteBuffer.allocateDirect(MIB);
            ByteBuffer back = disk.get("b:7", n -> n == MIB ? into : ByteBuffer.allocate(n));
            assertEquals(into, back == into ? into : null, "read straight into the caller's buffer");
            byte[] bytes = new byte[MIB];
            back.get(bytes);
            assertArrayEquals(S3Fixture.bytes(MIB, 7), bytes);
        } finally {
            disk.close();
        }
    }

    @Test
    void aWorkingSetOf90PercentOfTheDiskSize_readTwice_comesFromTheOriginOnce() throws Exception {
        int objects = (int) (DISK * 9 / 10 / MIB); // 57 objects of 1 MiB
        var origin = new MemoryOrigin();
        for (int i = 0; i < objects; i++) {
            origin.put(new ObjectKey("bkt", "o" + i), S3Fixture.bytes(MIB, i));
        }
        try (var proxy = LayerProxy.builder()
                .addLayer(EhcacheLayer.disk(dir, DISK))
                .origin(origin)
                .blockSize(MIB)
                .bufferMemory(16L * MIB)
                .build()) {
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < objects; i++) {
                    assertArrayEquals(S3Fixture.bytes(MIB, i), read(proxy, new ObjectKey("bkt", "o" + i)));
                }
                proxy.awaitStores();
            }
            System.out.println("DiskCapacityTest: " + objects + " MiB through a " + DISK / MIB + " MiB disk layer"
                    + " twice: " + origin.reads() + " origin reads, layer holds "
                    + proxy.layerStates().get(0).stats().bytes() + " bytes");
            assertEquals(objects, origin.reads(), "every block came from the origin once");
        }
    }

    @Test
    void aTornPair_isAMiss_neverHalfABlock() {
        try (var manager = org.ehcache.config.builders.CacheManagerBuilder.newCacheManagerBuilder()
                .withCache(
                        "t",
                        org.ehcache.config.builders.CacheConfigurationBuilder.newCacheConfigurationBuilder(
                                        String.class,
                                        ByteBuffer.class,
                                        org.ehcache.config.builders.ResourcePoolsBuilder.newResourcePoolsBuilder()
                                                .offheap(16, org.ehcache.config.units.MemoryUnit.MB))
                                .withValueSerializer(new BufferSerializer(true)))
                .build(true)) {
            var cache = manager.getCache("t", String.class, ByteBuffer.class);
            byte[] block = S3Fixture.bytes(MIB, 3);
            SplitValues.put(cache, "b:1", ByteBuffer.wrap(block));
            SplitValues.put(cache, "b:2", ByteBuffer.wrap(block));
            assertEquals(
                    MIB, SplitValues.get(cache, "b:1", ByteBuffer::allocate).remaining());

            cache.remove("b:1\u0000t"); // the tail evicted, the body still there
            assertEquals(null, SplitValues.get(cache, "b:1", ByteBuffer::allocate));
            cache.remove("b:2\u0000b"); // the body evicted, the tail still there
            assertEquals(null, SplitValues.get(cache, "b:2", ByteBuffer::allocate));
        }
    }

    private static byte[] read(LayerProxy proxy, ObjectKey key) throws Exception {
        try (CachedObject object = proxy.read(key, ReadSpec.WHOLE);
                ObjectBody body = object.openWhole()) {
            var out = new ByteArrayOutputStream();
            body.writeTo(out);
            return out.toByteArray();
        }
    }
}

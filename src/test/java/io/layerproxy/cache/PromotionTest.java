package io.layerproxy.cache;

import static io.layerproxy.CoreAccess.core;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.layerproxy.CachedObject;
import io.layerproxy.LayerProxy;
import io.layerproxy.ObjectBody;
import io.layerproxy.ObjectKey;
import io.layerproxy.ReadSpec;
import io.layerproxy.layer.EhcacheLayer;
import io.layerproxy.origin.S3Clients;
import io.layerproxy.origin.S3Origin;
import io.layerproxy.testing.S3Fixture;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A block found in the disk layer is copied up into the memory layer only when the memory layer holds at least
 * {@link BlockPipeline#PROMOTE_MIN_FIT} such blocks; a memory layer too small for that would evict a block on every
 * hit, and the disk serves those hits directly.
 */
class PromotionTest {
    @RegisterExtension
    final S3ProxyExtension S3 = S3Fixture.authenticatedServer();

    @TempDir
    Path disk;

    private static byte[] read(LayerProxy proxy, ObjectKey key, StringBuilder layer) throws Exception {
        CachedObject lookup = proxy.read(key, ReadSpec.METADATA);
        var out = new ByteArrayOutputStream();
        try (ObjectBody body = lookup.open(0, lookup.info().size())) {
            body.writeTo(out);
            layer.setLength(0);
            layer.append(body.firstLayer());
        }
        return out.toByteArray();
    }

    /**
     * A proxy over {@code s3}: a 1 MiB memory layer, a 64 MiB disk layer when {@code withDisk}, blocks of
     * {@code blockSize}.
     */
    private LayerProxy proxy(S3Fixture s3, boolean withDisk, int blockSize) {
        var origin = S3Origin.create(
                S3Clients.create("us-east-1", s3.endpoint(), true, S3Fixture.credentialsEnv(), Duration.ofSeconds(30)));
        var builder = LayerProxy.builder().addLayer(EhcacheLayer.memory(1 << 20));
        if (withDisk) {
            builder.addLayer(EhcacheLayer.disk(disk, 64 << 20));
        }
        return builder.origin(origin).blockSize(blockSize).build();
    }

    @Test
    void diskHits_arePromotedOnlyIntoAMemoryLayerThatHolds64SuchBlocks() throws Exception {
        byte[] small = S3Fixture.bytes(8 << 10, 1); // 1 MiB memory / 8 KiB = 128 blocks: promoted
        byte[] large = S3Fixture.bytes(64 << 10, 2); // 1 MiB / 64 KiB = 16 blocks: not promoted
        try (var s3 =
                new S3Fixture(S3).bucket("promo").put("promo", "small", small).put("promo", "large", large)) {
            try (var proxy = proxy(s3, true, 64 << 10)) {
                var layer = new StringBuilder();
                for (String name : new String[] {"small", "large"}) {
                    read(proxy, new ObjectKey("promo", name), layer);
                    assertEquals("origin", layer.toString());
                    // the fill stores its blocks on the store thread, in order: wait for it, then forget the memory
                    // copy it made, so the next reads start from disk
                    proxy.awaitStores();
                    core(proxy)
                            .layers()
                            .get(0)
                            .remove(core(proxy)
                                    .blocks()
                                    .blockKey(
                                            new ObjectKey("promo", name),
                                            proxy.read(new ObjectKey("promo", name), ReadSpec.METADATA)
                                                    .info(),
                                            0));
                }

                assertArrayEquals(small, read(proxy, new ObjectKey("promo", "small"), layer));
                assertEquals("disk", layer.toString());
                proxy.awaitStores(); // the promotion is queued like any other write
                assertArrayEquals(small, read(proxy, new ObjectKey("promo", "small"), layer));
                assertEquals("memory", layer.toString(), "promoted by the disk hit");

                assertArrayEquals(large, read(proxy, new ObjectKey("promo", "large"), layer));
                assertEquals("disk", layer.toString());
                proxy.awaitStores();
                assertArrayEquals(large, read(proxy, new ObjectKey("promo", "large"), layer));
                assertEquals("disk", layer.toString(), "a 1 MiB memory layer holds only 16 such blocks");
            }
        }
    }

    @Test
    void aFillOfAnObjectOverAnEighthOfTheMemoryLayer_goesToDiskOnly_andEntersMemoryWhenReadAgain() throws Exception {
        byte[] large = S3Fixture.bytes(256 << 10, 3); // a quarter of the 1 MiB memory layer
        byte[] small = S3Fixture.bytes(128 << 10, 4); // an eighth: stored in memory by its fill
        try (var s3 =
                new S3Fixture(S3).bucket("scan").put("scan", "large", large).put("scan", "small", small)) {
            try (var proxy = proxy(s3, true, 8 << 10)) { // 128 blocks fit in memory: disk hits are promoted
                var layer = new StringBuilder();
                assertArrayEquals(large, read(proxy, new ObjectKey("scan", "large"), layer));
                assertEquals("origin", layer.toString());
                assertArrayEquals(small, read(proxy, new ObjectKey("scan", "small"), layer));
                assertEquals("origin", layer.toString());
                proxy.awaitStores();

                assertArrayEquals(small, read(proxy, new ObjectKey("scan", "small"), layer));
                assertEquals("memory", layer.toString());
                assertArrayEquals(large, read(proxy, new ObjectKey("scan", "large"), layer));
                assertEquals("disk", layer.toString(), "one read of a large object did not enter memory");
                proxy.awaitStores(); // the promotions are queued like any other write
                assertArrayEquals(large, read(proxy, new ObjectKey("scan", "large"), layer));
                assertEquals("memory", layer.toString(), "read again, it is promoted");
            }
        }
    }

    @Test
    void withoutASlowerLayer_aLargeObjectStillFillsMemory() throws Exception {
        byte[] large = S3Fixture.bytes(256 << 10, 5);
        try (var s3 = new S3Fixture(S3).bucket("only").put("only", "large", large)) {
            try (var proxy = proxy(s3, false, 8 << 10)) {
                var layer = new StringBuilder();
                assertArrayEquals(large, read(proxy, new ObjectKey("only", "large"), layer));
                assertEquals("origin", layer.toString());
                proxy.awaitStores();
                assertArrayEquals(large, read(proxy, new ObjectKey("only", "large"), layer));
                assertEquals("memory", layer.toString());
            }
        }
    }
}

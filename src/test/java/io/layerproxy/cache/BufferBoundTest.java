package io.layerproxy.cache;

import static io.layerproxy.CoreAccess.core;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.layerproxy.LayerProxy;
import io.layerproxy.ObjectBody;
import io.layerproxy.ObjectInfo;
import io.layerproxy.ObjectKey;
import io.layerproxy.ReadSpec;
import io.layerproxy.layer.EhcacheLayer;
import io.layerproxy.origin.S3Clients;
import io.layerproxy.origin.S3Origin;
import io.layerproxy.testing.S3Fixture;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The blocks held by readers across all downloads stay within the memory budget: past it, readers wait. */
class BufferBoundTest {
    @RegisterExtension
    final S3ProxyExtension S3 = S3Fixture.authenticatedServer();

    @Test
    void aFifthReaderWaits_whileFourBlocksAreHeld_andProceedsWhenOneIsReleased() throws Exception {
        try (var s3 = new S3Fixture(S3).bucket("bound")) {
            for (int i = 0; i < 5; i++) {
                s3.put("bound", "o" + i, S3Fixture.bytes(10_000, i));
            }
            try (var proxy = LayerProxy.builder()
                    .addLayer(EhcacheLayer.memory(1 << 20))
                    .blockSize(4096)
                    .bufferMemory(4 * 4096)
                    .origin(S3Origin.create(S3Clients.create(
                            "us-east-1", s3.endpoint(), true, S3Fixture.credentialsEnv(), Duration.ofSeconds(30))))
                    .build()) {
                for (int i = 0; i < 5; i++) {
                    proxy.warm(new ObjectKey("bound", "o" + i));
                }
                proxy.awaitStores(); // every block in memory: a reader holds one block, no read-ahead
                List<ObjectBody> held = new ArrayList<>();
                for (int i = 0; i < 4; i++) { // each holds its first block, unwritten
                    ObjectKey key = new ObjectKey("bound", "o" + i);
                    held.add(proxy.read(key, ReadSpec.METADATA).open(0, 10_000));
                }
                ObjectKey fifth = new ObjectKey("bound", "o4");
                ObjectInfo info = proxy.read(fifth, ReadSpec.METADATA).info();
                CompletableFuture<byte[]> waiting = CompletableFuture.supplyAsync(() -> {
                    try (ObjectBody body = proxy.read(fifth, ReadSpec.METADATA).open(0, info.size())) {
                        var out = new ByteArrayOutputStream();
                        body.writeTo(out);
                        return out.toByteArray();
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });

                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (core(proxy).blocks().budget.waits() == 0 && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                assertEquals(1, core(proxy).blocks().budget.waits(), "the fifth reader waits for block memory");
                assertFalse(waiting.isDone(), "the fifth reader must wait for a buffer");
                assertEquals(4 * 4096, proxy.pipelineStats().bufferUsed());
                held.get(0).close();

                assertEquals(10_000, waiting.get(30, TimeUnit.SECONDS).length);
                for (ObjectBody body : held) {
                    body.close();
                }
                assertEquals(0, proxy.pipelineStats().bufferUsed(), "every block came back");
            }
        }
    }
}

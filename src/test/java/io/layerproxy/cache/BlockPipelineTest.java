package io.layerproxy.cache;

import static io.layerproxy.CoreAccess.core;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.LayerProxy;
import io.layerproxy.ObjectKey;
import io.layerproxy.OriginException;
import io.layerproxy.testing.CorruptingOrigin;
import io.layerproxy.testing.MapLayer;
import io.layerproxy.testing.MemoryOrigin;
import io.layerproxy.testing.Reads;
import io.layerproxy.testing.S3Fixture;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The block pipeline on an in-memory origin: ordered stores, the memory budget, fills that meet other fills. */
class BlockPipelineTest {
    private static final int BLOCK = 4096;

    private static long blocksOf(MapLayer layer, String etag) {
        return layer.keys().stream()
                .filter(k -> k.startsWith("b:") && k.contains(etag))
                .count();
    }

    @Test
    void bytesFailingTheMd5Check_behindAStalledDisk_leaveNoBlockOfThatVersionInAnyLayer() throws Exception {
        ObjectKey key = new ObjectKey("bkt", "corrupt.bin");
        byte[] bytes = S3Fixture.bytes(40 * BLOCK, 7);
        String etag = MemoryOrigin.etag(bytes);
        var memory = new MapLayer("memory", 64L << 20);
        var disk = new MapLayer("disk", 64L << 20).stallWrites();
        // the last block (where the check fails) is held back until the disk holds a write: on a busy machine the
        // check could otherwise fail before the store thread began, and nothing would be queued behind a stall
        var origin = new HoldingBack(new CorruptingOrigin(new MemoryOrigin().put(key, bytes), 5000), 39L * BLOCK, disk);
        try (var proxy = LayerProxy.builder()
                .addLayer(memory)
                .addLayer(disk)
                .origin(origin)
                .blockSize(BLOCK)
                .bufferMemory(256 * BLOCK)
                .build()) {
            OriginException failed = assertThrows(OriginException.class, () -> proxy.warm(key));
            assertTrue(failed.getMessage().contains("do not match their ETag"), failed.getMessage());
            assertTrue(origin.heldBack, "the last block waited for the stalled write");
            // 39 writes were queued behind the stalled one before the check failed; they must not land
            disk.resume();
            proxy.awaitStores();

            assertEquals(0, blocksOf(memory, etag), "memory holds no block of the bad version: " + memory.keys());
            assertEquals(0, blocksOf(disk, etag), "disk holds no block of the bad version: " + disk.keys());
        }
    }

    @Test
    void aVersionDroppedWhileItsWritesWait_isNotStoredByThem_butAFillAfterTheDropIs() throws Exception {
        ObjectKey key = new ObjectKey("bkt", "purged.bin");
        byte[] bytes = S3Fixture.bytes(8 * BLOCK, 3);
        String etag = MemoryOrigin.etag(bytes);
        var disk = new MapLayer("disk", 64L << 20).stallWrites();
        try (var proxy = LayerProxy.builder()
                .addLayer(disk)
                .origin(new MemoryOrigin().put(key, bytes))
                .blockSize(BLOCK)
                .bufferMemory(64 * BLOCK)
                .build()) {
            assertArrayEquals(bytes, Reads.range(proxy, key, 0, bytes.length));
            assertTrue(disk.awaitStalledWrite(30));
            assertTrue(proxy.purge(key), "its metadata was cached");
            disk.resume();
            proxy.awaitStores();
            assertEquals(0, blocksOf(disk, etag), "writes queued before the purge were skipped: " + disk.keys());

            assertArrayEquals(bytes, Reads.range(proxy, key, 0, bytes.length));
            proxy.awaitStores();
            assertEquals(8, blocksOf(disk, etag), "a fill after the purge is stored again");
        }
    }

    @Test
    void aStalledDisk_neverHoldsMoreThanTheBudget_andEveryReadCompletesWithTheRightBytes() throws Exception {
        var origin = new MemoryOrigin();
        List<ObjectKey> keys = new ArrayList<>();
        List<byte[]> bodies = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            keys.add(new ObjectKey("bkt", "o" + i));
            bodies.add(S3Fixture.bytes(30 * BLOCK + 17, i));
            origin.put(keys.get(i), bodies.get(i));
        }
        var disk = new MapLayer("disk", 64L << 20).stallWrites();
        ExecutorService clients = Executors.newFixedThreadPool(6);
        try (var proxy = LayerProxy.builder()
                .addLayer(disk)
                .origin(origin)
                .blockSize(BLOCK)
                .bufferMemory(16 * BLOCK)
                .build()) {
            AtomicBoolean done = new AtomicBoolean();
            AtomicLong mostUsed = new AtomicLong();
            AtomicLong mostQueued = new AtomicLong();
            CompletableFuture<Void> monitor = CompletableFuture.runAsync(() -> {
                while (!done.get()) {
                    mostUsed.accumulateAndGet(proxy.pipelineStats().bufferUsed(), Math::max);
                    mostQueued.accumulateAndGet(core(proxy).blocks().store.queuedBytes(), Math::max);
                    Thread.onSpinWait();
                }
            });
            try {
                List<Future<byte[]>> reads = new ArrayList<>();
                for (int round = 0; round < 2; round++) {
                    for (ObjectKey key : keys) {
                        reads.add(clients.submit(() -> Reads.range(proxy, key, 0, 30 * BLOCK + 17)));
                    }
                }
                for (int i = 0; i < reads.size(); i++) {
                    assertArrayEquals(bodies.get(i % keys.size()), reads.get(i).get(60, TimeUnit.SECONDS), "read " + i);
                }
            } finally {
                done.set(true);
                monitor.get(10, TimeUnit.SECONDS);
            }

            assertTrue(
                    mostUsed.get() <= proxy.pipelineStats().bufferCapacity(),
                    mostUsed + " > budget " + proxy.pipelineStats().bufferCapacity());
            assertTrue(
                    mostQueued.get() <= proxy.pipelineStats().bufferCapacity() / 2, "store queue held " + mostQueued);
            assertTrue(core(proxy).blocks().store.skipped() > 0, "writes were skipped while the disk was stalled");
            disk.resume();
            proxy.awaitStores();
            assertEquals(0, proxy.pipelineStats().bufferUsed(), "every block came back");
        } finally {
            clients.shutdownNow();
        }
    }

    @Test
    void aFillStoppingAtABlockAnotherFillHolds_followsThatFill_insteadOfWaitingForItsOwnStream() throws Exception {
        ObjectKey key = new ObjectKey("bkt", "meet.bin");
        byte[] bytes = S3Fixture.bytes(10 * BLOCK, 5);
        var origin = new MemoryOrigin().put(key, bytes);
        var disk = new MapLayer("disk", 64L << 20).stallWrites(); // keeps the first fill's flights registered
        try (var proxy = LayerProxy.builder()
                .addLayer(disk)
                .origin(origin)
                .blockSize(BLOCK)
                .bufferMemory(64 * BLOCK)
                .build()) {
            byte[] tail = Reads.range(proxy, key, 5L * BLOCK, bytes.length); // blocks 5..9 in flight until stored
            assertArrayEquals(java.util.Arrays.copyOfRange(bytes, 5 * BLOCK, bytes.length), tail);
            assertEquals(5, proxy.pipelineStats().blocksInFlight(), "blocks 5..9 wait for the stalled disk");

            // blocks 0..4 from a new fill, 5..9 from the first one's handed-over blocks: nothing waits 60 s
            assertArrayEquals(
                    bytes,
                    CompletableFuture.supplyAsync(() -> Reads.range(proxy, key, 0, bytes.length))
                            .get(20, TimeUnit.SECONDS));
            assertEquals(2, origin.reads(), "one ranged read per fill");
            disk.resume();
            proxy.awaitStores();
            assertEquals(0, proxy.pipelineStats().blocksInFlight());
        }
    }

    @Test
    void blocksFromASlowerLayer_areReadOnAFewThreadsOfThePipeline_notOnEveryRequestThread() throws Exception {
        // a disk layer read on a request thread pins a JDK temporary direct buffer of a block to that thread: with
        // a hundred clients, direct memory ran out (OutOfMemoryError at -Xmx64m)
        var origin = new MemoryOrigin();
        List<ObjectKey> keys = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            keys.add(new ObjectKey("bkt", "d" + i));
            origin.put(keys.get(i), S3Fixture.bytes(4 * BLOCK, i));
        }
        var memory = new MapLayer("memory", 2 * BLOCK); // too small to hold any object: every hit is a disk hit
        var disk = new MapLayer("disk", 64L << 20);
        ExecutorService clients = Executors.newFixedThreadPool(40);
        try (var proxy = LayerProxy.builder()
                .addLayer(memory)
                .addLayer(disk)
                .origin(origin)
                .blockSize(BLOCK)
                .bufferMemory(64 * BLOCK)
                .build()) {
            for (ObjectKey key : keys) {
                Reads.range(proxy, key, 0, 4 * BLOCK);
            }
            proxy.awaitStores();
            var start = new java.util.concurrent.CountDownLatch(1);
            List<Future<byte[]>> reads = new ArrayList<>();
            for (ObjectKey key : keys) {
                reads.add(clients.submit(() -> {
                    start.await();
                    return Reads.range(proxy, key, 0, 4 * BLOCK);
                }));
            }
            start.countDown();
            for (int i = 0; i < reads.size(); i++) {
                assertArrayEquals(S3Fixture.bytes(4 * BLOCK, i), reads.get(i).get(60, TimeUnit.SECONDS));
            }
            assertEquals(40, origin.reads(), "every read after the first round was a disk hit");
            Set<String> threads = disk.blockReaderThreads();
            assertTrue(threads.stream().allMatch(t -> t.startsWith("layerproxy-layer-read#")), threads.toString());
            assertTrue(threads.size() <= 8, "at most 8 threads read the disk layer: " + threads);
        } finally {
            clients.shutdownNow();
        }
    }

    /** Delivers bytes from {@code from} on only once {@code disk} holds a stalled write. */
    private static final class HoldingBack extends io.layerproxy.testing.ForwardingOrigin {
        private final long from;
        private final MapLayer disk;
        volatile boolean heldBack;

        HoldingBack(io.layerproxy.Origin origin, long from, MapLayer disk) {
            super(origin);
            this.from = from;
            this.disk = disk;
        }

        @Override
        public java.io.InputStream read(ObjectKey key, io.layerproxy.ObjectInfo version, long first, long last) {
            return new java.io.FilterInputStream(origin.read(key, version, first, last)) {
                private long position = first;

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    if (position + len > from && !heldBack) {
                        if (position < from) {
                            len = (int) (from - position); // up to the held-back block, then wait
                        } else {
                            try {
                                heldBack = disk.awaitStalledWrite(30);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                                throw new java.io.InterruptedIOException();
                            }
                        }
                    }
                    int n = super.read(b, off, len);
                    position += Math.max(n, 0);
                    return n;
                }
            };
        }
    }
}

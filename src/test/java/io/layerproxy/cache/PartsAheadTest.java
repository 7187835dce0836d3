package io.layerproxy.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.LayerProxy;
import io.layerproxy.ObjectInfo;
import io.layerproxy.ObjectKey;
import io.layerproxy.Origin;
import io.layerproxy.layer.EhcacheLayer;
import io.layerproxy.testing.ForwardingOrigin;
import io.layerproxy.testing.MemoryOrigin;
import io.layerproxy.testing.Reads;
import io.layerproxy.testing.S3Fixture;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A large cold object is read in parallel ranged parts ahead of its reader: every byte still asked of the origin
 * once (one reader or sixteen), several parts in flight at once but never more than asked, ranges only what they
 * need, and nothing ahead for a version that is not stored.
 */
class PartsAheadTest {
    private static final int BLOCK = 16 << 10;
    private static final int PART = 4 * BLOCK;
    private static final int SIZE = 16 * PART + 5000; // 16 whole parts and a short one
    private static final ObjectKey KEY = new ObjectKey("big", "model.bin");
    private static final byte[] BYTES = S3Fixture.bytes(SIZE, 5);

    /** Records every range asked, and how many origin bodies are open at once; bodies arrive a little slowly. */
    static final class PartOrigin extends ForwardingOrigin {
        final ConcurrentLinkedQueue<long[]> ranges = new ConcurrentLinkedQueue<>();
        final AtomicInteger open = new AtomicInteger();
        final AtomicInteger maxOpen = new AtomicInteger();
        final AtomicInteger fetches = new AtomicInteger();

        PartOrigin() {
            super(new MemoryOrigin().put(KEY, BYTES));
        }

        /** A ranged GET of the first bytes, as S3Origin does it. */
        @Override
        public Fetched fetch(ObjectKey key, long firstBytes) {
            fetches.incrementAndGet();
            ObjectInfo info = origin.head(key);
            if (info == null) {
                return null;
            }
            long length = Math.min(info.size(), firstBytes);
            return new Fetched(info, read(key, info, 0, length - 1), length);
        }

        @Override
        public InputStream read(ObjectKey key, ObjectInfo version, long first, long last) {
            ranges.add(new long[] {first, last});
            maxOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
            return new FilterInputStream(origin.read(key, version, first, last)) {
                private long remaining = last - first + 1;

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    try {
                        Thread.sleep(2); // one connection's bandwidth: 8 KiB per 2 ms
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException(e);
                    }
                    int n = super.read(b, off, Math.min(len, 8 << 10));
                    if (n > 0 && (remaining -= n) == 0) {
                        done(); // its last byte is out: no longer a transfer in flight
                    }
                    return n;
                }

                @Override
                public void close() throws IOException {
                    done();
                    super.close();
                }

                private void done() {
                    if (remaining >= 0) {
                        remaining = -1;
                        open.decrementAndGet();
                    }
                }
            };
        }

        /** The ranges asked, in order of their first byte: what a failure shows. */
        String asked() {
            List<long[]> sorted = new ArrayList<>(ranges);
            sorted.sort((a, b) -> Long.compare(a[0], b[0]));
            return sorted.stream()
                    .map(r -> r[0] / BLOCK + "-" + r[1] / BLOCK)
                    .toList()
                    .toString();
        }

        long bytesAsked() {
            return ranges.stream().mapToLong(r -> r[1] - r[0] + 1).sum();
        }

        /** Whether any two ranges asked overlap: a byte asked twice. */
        boolean overlapping() {
            List<long[]> sorted = new ArrayList<>(ranges);
            sorted.sort((a, b) -> Long.compare(a[0], b[0]));
            for (int i = 1; i < sorted.size(); i++) {
                if (sorted.get(i)[0] <= sorted.get(i - 1)[1]) {
                    return true;
                }
            }
            return false;
        }
    }

    private static LayerProxy proxy(Origin origin, int parallel, long maxObjectSize) {
        return LayerProxy.builder()
                .addLayer(EhcacheLayer.memory(8 << 20))
                .blockSize(BLOCK)
                .bufferMemory(128L * BLOCK)
                .originParts(parallel, PART)
                .maxObjectSize(maxObjectSize)
                .origin(origin)
                .build();
    }

    @Test
    void aColdRead_keepsPartsInFlightInParallel_andAsksEveryByteOnce() throws Exception {
        var origin = new PartOrigin();
        try (var proxy = proxy(origin, 4, Long.MAX_VALUE)) {
            assertArrayEquals(BYTES, Reads.whole(proxy, KEY));
            assertEquals(1, origin.fetches.get(), "one GET for the metadata and the first part");
            assertEquals(SIZE, origin.bytesAsked(), "every byte asked once");
            assertTrue(!origin.overlapping(), "no range asked twice");
            assertEquals(17, origin.ranges.size(), "a GET per part");
            assertTrue(origin.ranges.stream().allMatch(r -> r[1] - r[0] + 1 <= PART), "no GET past its part");
            assertTrue(origin.maxOpen.get() >= 2, "parts read in parallel: " + origin.maxOpen.get());
            assertTrue(origin.maxOpen.get() <= 4, "at most 4 at once: " + origin.maxOpen.get());

            proxy.awaitStores();
            int asked = origin.ranges.size();
            assertArrayEquals(BYTES, Reads.whole(proxy, KEY));
            assertEquals(asked, origin.ranges.size(), "the parts read ahead were stored: a hit asks nothing");
        }
    }

    @Test
    void sixteenColdReaders_stillAskEveryByteOnce() throws Exception {
        var origin = new PartOrigin();
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try (var proxy = proxy(origin, 4, Long.MAX_VALUE)) {
            List<Future<byte[]>> bodies = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                bodies.add(pool.submit(() -> Reads.whole(proxy, KEY)));
            }
            for (Future<byte[]> body : bodies) {
                assertArrayEquals(BYTES, body.get(60, TimeUnit.SECONDS));
            }
            assertEquals(
                    SIZE,
                    origin.bytesAsked(),
                    () -> "every byte once, for sixteen readers: " + origin.asked() + ", " + proxy.pipelineStats());
            assertTrue(!origin.overlapping());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aRange_readsOnlyItsBlocks() throws Exception {
        var origin = new PartOrigin();
        try (var proxy = proxy(origin, 4, Long.MAX_VALUE)) {
            long start = 5 * PART + 100;
            long end = 9 * PART - 7;
            byte[] got = Reads.range(proxy, KEY, start, end);
            assertArrayEquals(java.util.Arrays.copyOfRange(BYTES, (int) start, (int) end), got);
            long firstBlockStart = start / BLOCK * BLOCK;
            long lastBlockEnd = ((end - 1) / BLOCK + 1) * BLOCK;
            assertEquals(lastBlockEnd - firstBlockStart, origin.bytesAsked(), "the range's blocks, nothing more");
            assertTrue(origin.maxOpen.get() >= 2, "its parts read in parallel too");
        }
    }

    @Test
    void oneAtATime_isOneGet() throws Exception {
        var origin = new PartOrigin();
        try (var proxy = proxy(origin, 1, Long.MAX_VALUE)) {
            assertArrayEquals(BYTES, Reads.whole(proxy, KEY));
            assertEquals(1, origin.ranges.size(), "one GET of all of it");
            assertEquals(SIZE, origin.bytesAsked());
        }
    }

    @Test
    void aVersionNotStored_isNotReadAhead() throws Exception {
        var origin = new PartOrigin();
        try (var proxy = proxy(origin, 4, PART)) { // the object is past --max-object-size
            assertArrayEquals(BYTES, Reads.whole(proxy, KEY));
            assertEquals(1, origin.maxOpen.get(), "nothing ahead: it would be read and dropped");
            assertEquals(SIZE, origin.bytesAsked(), "the first part, then the rest in one GET");
            assertEquals(2, origin.ranges.size());
        }
    }
}

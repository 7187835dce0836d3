package io.layerproxy.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.testing.DiskFaults;
import io.layerproxy.testing.LayerValues;
import io.layerproxy.testing.S3Fixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.commons.io.file.PathUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The disk layer on real folders in trouble: never an exception, never wrong bytes, back when the folder is. */
class RecoveringDiskLayerTest {
    private static final long RETRY = TimeUnit.MILLISECONDS.toNanos(100);
    private static final int VALUES = 40;
    private static final int VALUE_SIZE = 256 * 1024;

    @TempDir
    Path tmp;

    @Test
    void readOnlyFolder_isAMiss_andTheLayerOpensOnceItIsWritable() throws Exception {
        Path dir = tmp.resolve("cache");
        AutoCloseable readOnly = DiskFaults.readOnly(dir);
        try (var layer = new RecoveringDiskLayer(dir, 8 << 20, RETRY)) {
            LayerValues.put(layer, "k", value(1));

            assertNull(LayerValues.get(layer, "k"), "nothing can be stored in a read-only folder");
            assertTrue(!layer.usable());

            readOnly.close();
            assertTrue(
                    eventually(() -> {
                        LayerValues.put(layer, "k", value(1));
                        return LayerValues.get(layer, "k") != null;
                    }),
                    "usable again once the folder is writable");
            assertArrayEquals(value(1), LayerValues.get(layer, "k"));
        } finally {
            readOnly.close();
        }
    }

    @Test
    void deletedFolder_isRecreated_andUsedAgain() throws Exception {
        Path dir = tmp.resolve("cache");
        try (var layer = new RecoveringDiskLayer(dir, 8 << 20, RETRY)) {
            LayerValues.put(layer, "before", value(1));
            PathUtils.deleteDirectory(dir);

            assertTrue(
                    eventually(() -> {
                        LayerValues.put(layer, "after", value(2));
                        return Files.isDirectory(dir) && LayerValues.get(layer, "after") != null;
                    }),
                    "a new store in a new folder");
            assertArrayEquals(value(2), LayerValues.get(layer, "after"));
        }
    }

    /**
     * Runs a layer call on a full disk, in a thread of its own. An access to a memory-mapped file there faults, and
     * the JVM raises that fault (an InternalError) at the thread's next check in compiled code, which may be after
     * the layer's own handler returned, anywhere in the caller: in its own thread it ends only that call, a failed
     * call. What matters is that no call returns wrong bytes; the results are checked by the caller.
     */
    private static void faulting(Runnable call) throws InterruptedException {
        Thread t = new Thread(() -> {
            try {
                call.run();
            } catch (InternalError e) {
                // the failed call it is
            }
        });
        t.setUncaughtExceptionHandler((thread, e) -> {}); // one raised after the call returned
        t.start();
        t.join();
    }

    @Test
    void fullDisk_neverReturnsWrongBytes_andRecovers() throws Exception {
        Path dir = tmp.resolve("small");
        AutoCloseable unmount = DiskFaults.smallDisk(dir, 4 << 20);
        try (var layer = new RecoveringDiskLayer(dir.resolve("cache"), 64 << 20, RETRY)) {
            for (int i = 0; i < VALUES; i++) { // 10 MiB into 4 MiB
                int k = i;
                faulting(() -> LayerValues.put(layer, "k" + k, value(k)));
            }
            int found = 0;
            for (int i = 0; i < VALUES; i++) {
                byte[][] read = {null};
                int k = i;
                faulting(() -> read[0] = LayerValues.get(layer, "k" + k));
                byte[] got = read[0];
                if (got != null) {
                    assertArrayEquals(value(i), got, "k" + i);
                    found++;
                }
            }
            assertTrue(found < VALUES, "the disk filled up: " + found);

            DiskFaults.resize(dir, 128 << 20);
            byte[][] again = {null};
            assertTrue(
                    eventually(() -> {
                        faulting(() -> {
                            LayerValues.put(layer, "again", value(99));
                            again[0] = LayerValues.get(layer, "again");
                        });
                        return again[0] != null;
                    }),
                    "writes work again once there is room");
            assertArrayEquals(value(99), again[0]);
        } finally {
            unmount.close();
        }
    }

    @Test
    void flippedBytesInTheStore_areDropped_neverServed() throws Exception {
        Path dir = tmp.resolve("cache");
        fillAndClose(dir);
        assertTrue(DiskFaults.flipBytes(dir, 2000, 5) > 0);

        assertEquals(VALUES, correctOrMissing(dir), "every value either verifies or is a miss");
    }

    @Test
    void truncatedStore_isAMiss_neverWrongBytes() throws Exception {
        Path dir = tmp.resolve("cache");
        fillAndClose(dir);
        assertTrue(DiskFaults.truncate(dir, 0.4) > 0);

        assertEquals(VALUES, correctOrMissing(dir));
    }

    private static void fillAndClose(Path dir) {
        try (var layer = new RecoveringDiskLayer(dir, 64 << 20, RETRY)) {
            for (int i = 0; i < VALUES; i++) {
                LayerValues.put(layer, "k" + i, value(i));
            }
        }
    }

    /** Reads every value back; returns how many were right or missing, and fails on a wrong one. */
    private static int correctOrMissing(Path dir) {
        int checked = 0;
        int missing = 0;
        try (var layer = new RecoveringDiskLayer(dir, 64 << 20, RETRY)) {
            for (int i = 0; i < VALUES; i++) {
                byte[] got = LayerValues.get(layer, "k" + i);
                if (got == null) {
                    missing++;
                } else {
                    assertArrayEquals(value(i), got, "k" + i);
                }
                checked++;
            }
        }
        assertTrue(missing > 0, "the damage was noticed");
        return checked;
    }

    private static byte[] value(int seed) {
        return S3Fixture.bytes(VALUE_SIZE, seed);
    }

    private interface Check {
        boolean ok() throws Exception;
    }

    private static boolean eventually(Check check) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            if (check.ok()) {
                return true;
            }
            Thread.sleep(50);
        }
        return false;
    }
}

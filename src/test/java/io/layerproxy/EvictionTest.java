package io.layerproxy;

import static io.layerproxy.ReadThroughTest.header;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.testing.ProxyServer;
import io.layerproxy.testing.S3Fixture;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** --cache-size and --disk-size bound what is kept: filling past them evicts, and every request still succeeds. */
class EvictionTest {
    private static final int OBJECTS = 200;
    private static final int OBJECT_SIZE = 16 * 1024;

    @RegisterExtension
    final S3ProxyExtension S3 = S3Fixture.authenticatedServer();

    @TempDir
    Path disk;

    private S3Fixture seed() {
        var s3 = new S3Fixture(S3).bucket("fill");
        for (int i = 0; i < OBJECTS; i++) {
            s3.put("fill", "obj-" + i, S3Fixture.bytes(OBJECT_SIZE, i));
        }
        return s3;
    }

    @Test
    void fillingPastCacheSize_evictsFromMemory_toDisk() throws Exception {
        try (var s3 = seed();
                var proxy = ProxyServer.start(
                        s3.endpoint(),
                        disk,
                        S3Fixture.credentialsEnv(),
                        "block-size",
                        "4096",
                        "cache-size",
                        "1m",
                        "disk-size",
                        "64m")) {
            for (int i = 0; i < OBJECTS; i++) { // 3.2 MB through a 1 MiB memory layer
                HttpResponse<byte[]> r = proxy.get("/fill/obj-" + i);
                assertEquals(200, r.statusCode());
                assertArrayEquals(S3Fixture.bytes(OBJECT_SIZE, i), r.body());
            }
            int reads = proxy.origin().reads();

            HttpResponse<byte[]> first = proxy.get("/fill/obj-0");

            assertEquals("disk", header(first, "X-Cache-Layer"), "evicted from memory, still on disk");
            assertArrayEquals(S3Fixture.bytes(OBJECT_SIZE, 0), first.body());
            assertEquals(reads, proxy.origin().reads(), "no S3 read for a disk hit");
            assertEquals(0, proxy.proxy().pipelineStats().layerFailures(), "eviction is not failure");
        }
    }

    @Test
    void anObjectLargerThanEveryLayer_isStreamedWhole_withoutCaching() throws Exception {
        byte[] huge = S3Fixture.bytes(3 << 20, 77);
        try (var s3 = new S3Fixture(S3).bucket("fill").put("fill", "huge", huge);
                var proxy = ProxyServer.start(
                        s3.endpoint(),
                        disk,
                        S3Fixture.credentialsEnv(),
                        "block-size",
                        "64k",
                        "cache-size",
                        "1m",
                        "disk-size",
                        "2m")) {
            HttpResponse<byte[]> first = proxy.get("/fill/huge");
            HttpResponse<byte[]> second = proxy.get("/fill/huge");

            assertArrayEquals(huge, first.body());
            assertArrayEquals(huge, second.body());
            assertEquals("origin", header(second, "X-Cache-Layer"), "3 MiB fits no layer: not cached");
            assertEquals(1, proxy.origin().fetches(), "the first: one GET");
            assertEquals(1, proxy.origin().reads(), "the second: one GET of the version whose metadata is cached");
            assertEquals(0, proxy.proxy().pipelineStats().layerFailures());
        }
    }

    @Test
    void fillingPastDiskSize_evictsFromDisk_andRereadsFromS3() throws Exception {
        try (var s3 = seed();
                var proxy = ProxyServer.start(
                        s3.endpoint(),
                        disk,
                        S3Fixture.credentialsEnv(),
                        "block-size",
                        "4096",
                        "cache-size",
                        "1m",
                        "disk-size",
                        "2m")) {
            for (int i = 0; i < OBJECTS; i++) {
                assertEquals(200, proxy.get("/fill/obj-" + i).statusCode());
            }

            HttpResponse<byte[]> first = proxy.get("/fill/obj-0");

            assertEquals(200, first.statusCode());
            assertEquals("MISS", header(first, "X-Cache"), "evicted from every layer");
            assertArrayEquals(S3Fixture.bytes(OBJECT_SIZE, 0), first.body());
            assertEquals(0, proxy.proxy().pipelineStats().layerFailures());
        }
        long onDisk;
        try (Stream<Path> files = Files.walk(disk)) {
            onDisk = files.filter(Files::isRegularFile)
                    .mapToLong(p -> p.toFile().length())
                    .sum();
        }
        assertTrue(onDisk < 3 * (2 << 20), "disk folder holds " + onDisk + " bytes for a 2 MiB layer");
    }

    /**
     * The case that hung before the pipeline was rebuilt: a 32 MiB object through a 4 MiB memory layer and a disk
     * layer that evicts part of it while it is being stored, read three times in a row. A reader that met an evicted
     * block waited 60 s for a fill that never came and was cut off; each read must now finish well inside that.
     */
    @Test
    void anObjectTheDiskLayerEvictsWhileStoringIt_readThreeTimes_isWholeEachTime() throws Exception {
        byte[] big = S3Fixture.bytes(32 << 20, 32);
        try (var s3 = new S3Fixture(S3).bucket("ovl").put("ovl", "m32.bin", big);
                var proxy = ProxyServer.start(
                        s3.endpoint(), disk, S3Fixture.credentialsEnv(), "cache-size", "4m", "disk-size", "48m")) {
            for (int read = 1; read <= 3; read++) {
                HttpResponse<byte[]> r = proxy.send(java.net.http.HttpRequest.newBuilder(proxy.uri("/ovl/m32.bin"))
                        .timeout(java.time.Duration.ofSeconds(45))
                        .build());
                assertEquals(200, r.statusCode(), "read " + read);
                assertArrayEquals(big, r.body(), "read " + read);
            }
            proxy.proxy().awaitStores(); // flights leave the table once their block is stored
            assertEquals(0, proxy.proxy().pipelineStats().blocksInFlight());
        }
    }
}

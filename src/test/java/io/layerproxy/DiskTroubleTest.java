package io.layerproxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.testing.DiskFaults;
import io.layerproxy.testing.ProxyServer;
import io.layerproxy.testing.S3Fixture;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Through HTTP: a full, read-only or damaged disk layer costs hits, never a request, never a wrong byte. */
class DiskTroubleTest {
    private static final int OBJECTS = 24;
    private static final int SIZE = 300 * 1024;

    @RegisterExtension
    final S3ProxyExtension s3Server = S3Fixture.authenticatedServer();

    @TempDir
    Path tmp;

    private S3Fixture seed() {
        var s3 = new S3Fixture(s3Server).bucket("disk");
        for (int i = 0; i < OBJECTS; i++) {
            s3.put("disk", "obj-" + i, S3Fixture.bytes(SIZE, i));
        }
        return s3;
    }

    private static ProxyServer start(S3Fixture s3, Path diskDir) throws Exception {
        // a memory layer smaller than the objects together, so the disk layer is read
        return ProxyServer.start(
                s3.endpoint(), diskDir, S3Fixture.credentialsEnv(), "cache-size", "1m", "block-size", "65536");
    }

    /** Reads every object twice; every answer must be the object. Returns how many came from the disk layer. */
    private static int readAllTwice(ProxyServer proxy) throws Exception {
        int fromDisk = 0;
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < OBJECTS; i++) {
                HttpResponse<byte[]> r = proxy.get("/disk/obj-" + i);
                assertEquals(200, r.statusCode(), "obj-" + i);
                assertArrayEquals(S3Fixture.bytes(SIZE, i), r.body(), "obj-" + i);
                if ("disk".equals(r.headers().firstValue("X-Cache-Layer").orElse(""))) {
                    fromDisk++;
                }
            }
        }
        return fromDisk;
    }

    @Test
    void fullDisk_everyRequestSucceeds_withTheRightBytes() throws Exception {
        Path small = tmp.resolve("small");
        AutoCloseable unmount = DiskFaults.smallDisk(small, 2 << 20); // 7 MB of objects onto 2 MiB
        try (var s3 = seed();
                var proxy = start(s3, small.resolve("cache"))) {
            readAllTwice(proxy);
        } finally {
            unmount.close();
        }
    }

    @Test
    void readOnlyDiskDir_everyRequestSucceeds_fromMemoryAndOrigin() throws Exception {
        Path dir = tmp.resolve("cache");
        AutoCloseable readOnly = DiskFaults.readOnly(dir);
        try (var s3 = seed();
                var proxy = start(s3, dir)) {
            assertEquals(0, readAllTwice(proxy), "nothing could be stored on disk");
        } finally {
            readOnly.close();
        }
    }

    @Test
    void storeDamagedBetweenRuns_servesOnlyVerifiedBytes() throws Exception {
        Path dir = tmp.resolve("cache");
        try (var s3 = seed()) {
            try (var proxy = start(s3, dir)) {
                assertTrue(readAllTwice(proxy) > 0, "the disk layer was used");
            }
            assertTrue(DiskFaults.flipBytes(dir, 5000, 11) > 0, "damaged the store");
            try (var proxy = start(s3, dir)) {
                readAllTwice(proxy);
                assertTrue(proxy.origin().reads() > 0, "damaged blocks were fetched again");
            }
            assertTrue(DiskFaults.truncate(dir, 0.3) > 0, "cut the store short");
            try (var proxy = start(s3, dir)) {
                readAllTwice(proxy);
            }
        }
    }
}

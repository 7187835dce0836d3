package io.layerproxy;

import static io.layerproxy.ReadThroughTest.header;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.layerproxy.testing.ProxyServer;
import io.layerproxy.testing.S3Fixture;
import io.layerproxy.testing.TruncatingOrigin;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** A body cut short or corrupted by the origin is never cached, and never served as a complete 200. */
class TruncatedOriginTest {
    private static final int SIZE = 200 * 1024; // 50 blocks of 4 KiB: past Jetty's response buffer

    @RegisterExtension
    final S3ProxyExtension S3 = S3Fixture.authenticatedServer();

    @TempDir
    Path disk;

    @Test
    void truncationInTheFirstBlock_is502_andNothingIsCached() throws Exception {
        try (var s3 = new S3Fixture(S3).bucket("cut").put("cut", "obj", S3Fixture.bytes(SIZE, 1));
             var proxy = ProxyServer.start(s3.endpoint(), disk, S3Fixture.credentialsEnv(),
                     origin -> new TruncatingOrigin(origin, 1000), "block-size", "4096")) {
            HttpResponse<byte[]> response = proxy.get("/cut/obj");

            assertEquals(502, response.statusCode());
            assertEquals(502, proxy.get("/cut/obj").statusCode(), "nothing was cached: the same failure again");
        }
    }

    @Test
    void truncationMidBody_abortsTheResponse_andCachesOnlyTheCompleteBlocks() throws Exception {
        byte[] expected = S3Fixture.bytes(SIZE, 2);
        try (var s3 = new S3Fixture(S3).bucket("cut").put("cut", "obj", expected)) {
            try (var proxy = ProxyServer.start(s3.endpoint(), disk, S3Fixture.credentialsEnv(),
                    origin -> new TruncatingOrigin(origin, 150_000), "block-size", "4096")) {
                assertThrows(IOException.class, () -> proxy.get("/cut/obj"),
                        "the client sees a broken response, not a short 200");
            }
            // the same disk, a healthy origin: the complete blocks come from disk, the rest from S3, all correct
            try (var proxy = ProxyServer.start(s3.endpoint(), disk, S3Fixture.credentialsEnv(),
                    "block-size", "4096")) {
                HttpResponse<byte[]> response = proxy.get("/cut/obj");

                assertEquals(200, response.statusCode());
                assertEquals("disk", header(response, "X-Cache-Layer"));
                assertArrayEquals(expected, response.body());
                assertEquals(1, proxy.origin().reads(), "one GET for the blocks the cut read never completed");
            }
        }
    }

    @Test
    void aWholeObjectWhoseBytesDoNotMatchItsMd5ETag_isAborted_andNotKept() throws Exception {
        byte[] expected = S3Fixture.bytes(SIZE, 3);
        try (var s3 = new S3Fixture(S3).bucket("cut").put("cut", "obj", expected)) {
            try (var proxy = ProxyServer.start(s3.endpoint(), disk, S3Fixture.credentialsEnv(),
                    origin -> new io.layerproxy.testing.CorruptingOrigin(origin, 100_000), "block-size", "4096")) {
                assertThrows(IOException.class, () -> proxy.get("/cut/obj"),
                        "right length, wrong bytes: the response is aborted before its last block");
            }
            try (var proxy = ProxyServer.start(s3.endpoint(), disk, S3Fixture.credentialsEnv(),
                    "block-size", "4096")) {
                HttpResponse<byte[]> response = proxy.get("/cut/obj");

                assertArrayEquals(expected, response.body(), "the damaged version was dropped from the cache");
                assertEquals("origin", header(response, "X-Cache-Layer"));
            }
        }
    }
}

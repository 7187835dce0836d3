package io.layerproxy;

import static io.layerproxy.ReadThroughTest.header;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.layerproxy.testing.ForwardingOrigin;
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
                var proxy = ProxyServer.start(
                        s3.endpoint(),
                        disk,
                        S3Fixture.credentialsEnv(),
                        origin -> new TruncatingOrigin(origin, 1000),
                        "block-size",
                        "4096")) {
            HttpResponse<byte[]> response = proxy.get("/cut/obj");

            assertEquals(502, response.statusCode());
            assertEquals(502, proxy.get("/cut/obj").statusCode(), "nothing was cached: the same failure again");
        }
    }

    @Test
    void truncationMidBody_abortsTheResponse_andCachesOnlyTheCompleteBlocks() throws Exception {
        byte[] expected = S3Fixture.bytes(SIZE, 2);
        try (var s3 = new S3Fixture(S3).bucket("cut").put("cut", "obj", expected)) {
            try (var proxy = ProxyServer.start(
                    s3.endpoint(),
                    disk,
                    S3Fixture.credentialsEnv(),
                    origin -> new TruncatingOrigin(origin, 150_000),
                    "block-size",
                    "4096")) {
                assertThrows(
                        IOException.class,
                        () -> proxy.get("/cut/obj"),
                        "the client sees a broken response, not a short 200");
            }
            // the same disk, a healthy origin: the complete blocks come from disk, the rest from S3, all correct
            try (var proxy = ProxyServer.start(s3.endpoint(), disk, S3Fixture.credentialsEnv(), "block-size", "4096")) {
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
            try (var proxy = ProxyServer.start(
                    s3.endpoint(),
                    disk,
                    S3Fixture.credentialsEnv(),
                    origin -> new io.layerproxy.testing.CorruptingOrigin(origin, 100_000),
                    "block-size",
                    "4096")) {
                assertThrows(
                        IOException.class,
                        () -> proxy.get("/cut/obj"),
                        "right length, wrong bytes: the response is aborted before its last block");
            }
            try (var proxy = ProxyServer.start(s3.endpoint(), disk, S3Fixture.credentialsEnv(), "block-size", "4096")) {
                HttpResponse<byte[]> response = proxy.get("/cut/obj");

                assertArrayEquals(expected, response.body(), "the damaged version was dropped from the cache");
                assertEquals("origin", header(response, "X-Cache-Layer"));
            }
        }
    }

    @Test
    void aBodyFailingUnchecked_abortsTheResponsePromptly_insteadOfWaitingForTheFollowTimeout() throws Exception {
        byte[] expected = S3Fixture.bytes(SIZE, 4);
        // the AWS SDK's streams fail with unchecked exceptions too (aborted, reset): the reader must hear of it
        java.util.function.UnaryOperator<io.layerproxy.Origin> unchecked = origin -> new ForwardingOrigin(origin) {
            @Override
            public java.io.InputStream read(ObjectKey key, ObjectInfo version, long first, long last) {
                return new java.io.FilterInputStream(origin.read(key, version, first, last)) {
                    private long read;

                    @Override
                    public int read(byte[] b, int off, int len) throws IOException {
                        if (read >= 100_000) {
                            throw new IllegalStateException("stream aborted");
                        }
                        int n = super.read(b, off, (int) Math.min(len, 100_000 - read));
                        read += Math.max(n, 0);
                        return n;
                    }
                };
            }
        };
        try (var s3 = new S3Fixture(S3).bucket("cut").put("cut", "obj", expected);
                var proxy = ProxyServer.start(
                        s3.endpoint(), disk, S3Fixture.credentialsEnv(), unchecked, "block-size", "4096")) {
            // the follow timeout is 60 s: a reader left waiting on the dead read-ahead would trip this bound
            assertTimeoutPreemptively(
                    java.time.Duration.ofSeconds(30),
                    () -> assertThrows(
                            IOException.class, () -> proxy.get("/cut/obj"), "a broken response, not a hang"));
        }
    }
}

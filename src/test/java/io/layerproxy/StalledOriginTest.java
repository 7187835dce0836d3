package io.layerproxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.layerproxy.testing.ProxyServer;
import io.layerproxy.testing.S3Fixture;
import io.layerproxy.testing.StallingRelay;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** An origin that goes silent mid-body: --origin-timeout ends the wait; nothing hangs, nothing wrong is kept. */
class StalledOriginTest {
    private static final int SIZE = 1 << 20;

    @RegisterExtension
    final S3ProxyExtension S3 = S3Fixture.authenticatedServer();

    @TempDir
    Path disk;

    @Test
    void aStallBeforeTheFirstBlockIsComplete_is504() throws Exception {
        try (var s3 = new S3Fixture(S3).bucket("stall").put("stall", "obj", S3Fixture.bytes(SIZE, 1));
                var relay = new StallingRelay(s3.endpoint(), 20_000); // HEAD fits, the first 64 KiB block does not
                var proxy = ProxyServer.start(
                        relay.uri(), disk, S3Fixture.credentialsEnv(), "origin-timeout", "1", "block-size", "64k")) {
            int status = assertTimeoutPreemptively(
                    Duration.ofSeconds(30), () -> proxy.get("/stall/obj").statusCode());

            assertEquals(504, status);
        }
    }

    @Test
    void aStallMidBody_abortsTheResponse_andTheNextReadIsCorrect() throws Exception {
        byte[] body = S3Fixture.bytes(SIZE, 2);
        try (var s3 = new S3Fixture(S3).bucket("stall").put("stall", "obj", body)) {
            try (var relay = new StallingRelay(s3.endpoint(), 400_000); // a few blocks, then silence
                    var proxy = ProxyServer.start(
                            relay.uri(),
                            disk,
                            S3Fixture.credentialsEnv(),
                            "origin-timeout",
                            "1",
                            "block-size",
                            "64k")) {
                assertTimeoutPreemptively(
                        Duration.ofSeconds(30), () -> assertThrows(IOException.class, () -> proxy.get("/stall/obj")));
            }
            try (var proxy = ProxyServer.start(s3.endpoint(), disk, S3Fixture.credentialsEnv(), "block-size", "64k")) {
                assertArrayEquals(body, proxy.get("/stall/obj").body());
            }
        }
    }

    @Test
    void anOriginThatTrickles_failsTheRequestWithinTwiceTheOriginTimeout() throws Exception {
        try (var s3 = new S3Fixture(S3).bucket("stall").put("stall", "obj", S3Fixture.bytes(SIZE, 3));
                // headers and a little body, then a byte every 200 ms: never silent for the 1 s socket timeout
                var relay = StallingRelay.trickling(s3.endpoint(), 20_000, 200);
                var proxy = ProxyServer.start(
                        relay.uri(), disk, S3Fixture.credentialsEnv(), "origin-timeout", "1", "block-size", "64k")) {
            // without a block deadline this waited 60 s per block (a trickle is never silent): the bound catches
            // that, generously enough for a busy machine
            int status = assertTimeoutPreemptively(
                    Duration.ofSeconds(30), () -> proxy.get("/stall/obj").statusCode());

            assertEquals(504, status);
        }
    }
}

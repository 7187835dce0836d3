package io.layerproxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.layerproxy.testing.ProxyServer;
import io.layerproxy.testing.S3Fixture;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * One client flooding a key S3 answers with a server error (S3Proxy: 500 for a key segment over 255 bytes) must not
 * switch off cold misses for everyone: that is the key's error, not an outage.
 */
class PerKeyErrorFloodTest {
    @RegisterExtension
    final S3ProxyExtension S3 = S3Fixture.authenticatedServer();

    @TempDir
    Path disk;

    @Test
    void aFloodOfOneKeysServerErrors_leavesOtherColdMissesWorking() throws Exception {
        byte[] body = S3Fixture.bytes(3000, 4);
        try (var s3 = new S3Fixture(S3).bucket("flood");
                var proxy = ProxyServer.start(s3.endpoint(), disk, S3Fixture.credentialsEnv(), "negative-ttl", "0")) {
            for (int i = 0; i < 5; i++) {
                s3.put("flood", "cold/" + i, body);
            }
            String bad = "/flood/" + "x".repeat(300);
            int errors = 0;
            for (int i = 0; i < 30; i++) {
                errors += proxy.get(bad).statusCode() >= 500 ? 1 : 0;
            }
            assertEquals(30, errors, "S3 fails that key every time, and each time it is asked");

            for (int i = 0; i < 5; i++) {
                HttpResponse<byte[]> cold = proxy.get("/flood/cold/" + i);
                assertEquals(200, cold.statusCode(), new String(cold.body(), java.nio.charset.StandardCharsets.UTF_8));
                assertArrayEquals(body, cold.body());
            }
        }
    }
}

package io.layerproxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.layerproxy.testing.FaultyRelay;
import io.layerproxy.testing.FaultyRelay.Fault;
import io.layerproxy.testing.ProxyServer;
import io.layerproxy.testing.S3Fixture;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** S3 answering 503 SlowDown, 500, dropped connections and slow bodies: retried with backoff, bounded, correct. */
class OriginFaultTest {
    private static final byte[] BODY = S3Fixture.bytes(200_000, 3);

    @RegisterExtension
    final S3ProxyExtension s3Server = S3ProxyExtension.builder().build(); // anonymous, so the relay can forward

    @TempDir
    Path disk;

    private ProxyServer proxyThrough(FaultyRelay relay) throws Exception {
        new S3Fixture(s3Server).bucket("faults").put("faults", "obj", BODY).close();
        return ProxyServer.start(relay.uri(), disk, Map.of(), "origin-timeout", "5");
    }

    @Test
    void slowDownTwice_isRetried_andTheObjectServed() throws Exception {
        try (var relay = new FaultyRelay(s3Server.getUri());
                var proxy = proxyThrough(relay)) {
            relay.inject(Fault.SLOW_DOWN, 2);

            HttpResponse<byte[]> r = proxy.get("/faults/obj");

            assertEquals(200, r.statusCode());
            assertArrayEquals(BODY, r.body());
            assertEquals(1, proxy.origin().fetches(), "one GET as the proxy sees it");
            assertEquals(3, relay.requests(), "two refused GETs, then the GET that worked");
        }
    }

    @Test
    void internalErrorAndDroppedConnection_areRetried() throws Exception {
        try (var relay = new FaultyRelay(s3Server.getUri());
                var proxy = proxyThrough(relay)) {
            relay.inject(Fault.INTERNAL_ERROR, 1).inject(Fault.DROP_CONNECTION, 1);

            HttpResponse<byte[]> r = proxy.get("/faults/obj");

            assertEquals(200, r.statusCode());
            assertArrayEquals(BODY, r.body());
            assertEquals(3, relay.requests(), "a 500, a dropped connection, then the GET that worked");
        }
    }

    @Test
    void anOriginThatKeepsFailing_is502_afterABoundedNumberOfAttempts() throws Exception {
        try (var relay = new FaultyRelay(s3Server.getUri());
                var proxy = proxyThrough(relay)) {
            relay.inject(Fault.INTERNAL_ERROR, 100);

            HttpResponse<byte[]> r = proxy.get("/faults/obj");

            assertEquals(502, r.statusCode());
            assertEquals(3, relay.requests(), "three attempts, then the client gets an answer");
        }
    }

    @Test
    void aSlowBody_arrivesWhole() throws Exception {
        try (var relay = new FaultyRelay(s3Server.getUri());
                var proxy = proxyThrough(relay)) {
            proxy.head("/faults/obj");
            relay.inject(Fault.SLOW_BODY, 1);

            HttpResponse<byte[]> r = proxy.get("/faults/obj");

            assertEquals(200, r.statusCode());
            assertArrayEquals(BODY, r.body());
        }
    }
}

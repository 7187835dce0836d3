package io.layerproxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.layer.EhcacheLayer;
import io.layerproxy.origin.GuardedOrigin;
import io.layerproxy.origin.S3Clients;
import io.layerproxy.origin.S3Origin;
import io.layerproxy.testing.CountingOrigin;
import io.layerproxy.testing.ForwardingOrigin;
import io.layerproxy.testing.MutableClock;
import io.layerproxy.testing.Ports;
import io.layerproxy.testing.S3Fixture;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.time.Duration;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * While S3 is down: cached copies past max-age are served marked stale, within the stale-if-error bound; the circuit
 * stops asking a dead S3 and lets one probe through after its pause. The clock is moved by hand.
 */
class StaleIfErrorTest {
    private static final ObjectKey PAGE = new ObjectKey("stale", "page.bin");
    private static final byte[] BODY = S3Fixture.bytes(10_000, 8);
    private static final Duration MAX_AGE = Duration.ofSeconds(60);
    private static final Duration STALE_IF_ERROR = Duration.ofHours(1);

    @RegisterExtension
    final S3ProxyExtension s3Server = S3Fixture.authenticatedServer();

    private final MutableClock clock = new MutableClock();
    private S3Fixture s3;
    private CountingOrigin live;
    private CountingOrigin dead;
    private Switch origin;

    /** The real S3, or a real client of a port where nothing listens. */
    private static final class Switch extends ForwardingOrigin {
        private final Origin down;
        private volatile boolean up = true;

        Switch(Origin up, Origin down) {
            super(up);
            this.down = down;
        }

        private Origin now() {
            return up ? origin : down;
        }

        @Override
        public ObjectInfo head(ObjectKey key) {
            return now().head(key);
        }

        @Override
        public ObjectInfo revalidate(ObjectKey key, ObjectInfo cached) {
            return now().revalidate(key, cached);
        }

        @Override
        public java.io.InputStream read(ObjectKey key, ObjectInfo version, long first, long last) {
            return now().read(key, version, first, last);
        }

        @Override
        public void close() {
            super.close();
            down.close();
        }
    }

    @BeforeEach
    void start() throws Exception {
        s3 = new S3Fixture(s3Server).bucket("stale").put("stale", "page.bin", BODY);
        live = new CountingOrigin(client(s3.endpoint()));
        int unused = Ports.free();
        dead = new CountingOrigin(client(URI.create("http://127.0.0.1:" + unused)));
        origin = new Switch(live, dead);
    }

    @AfterEach
    void stop() {
        s3.close();
    }

    private static Origin client(URI endpoint) {
        return S3Origin.create(
                S3Clients.create("us-east-1", endpoint, true, S3Fixture.credentialsEnv(), Duration.ofSeconds(5)));
    }

    private LayerProxy proxy(Duration staleIfError) {
        return LayerProxy.builder()
                .addLayer(EhcacheLayer.memory(1 << 20))
                .origin(origin)
                .clock(clock)
                .maxAge(MAX_AGE)
                .staleIfError(staleIfError)
                .blockSize(4096)
                .build();
    }

    private static byte[] read(LayerProxy proxy, CachedObject lookup) throws Exception {
        var out = new ByteArrayOutputStream();
        try (ObjectBody body = lookup.open(0, lookup.info().size())) {
            body.writeTo(out);
        }
        return out.toByteArray();
    }

    @Test
    void pastMaxAge_whileS3IsDown_theCachedCopyIsServedStale_untilTheBound() throws Exception {
        try (LayerProxy proxy = proxy(STALE_IF_ERROR)) {
            read(proxy, proxy.read(PAGE, ReadSpec.METADATA));
            clock.advance(MAX_AGE.plusSeconds(1));
            origin.up = false;

            CachedObject stale = proxy.read(PAGE, ReadSpec.METADATA);

            assertTrue(stale.found() && stale.stale(), "served, marked stale");
            assertEquals("memory", stale.source());
            assertArrayEquals(BODY, read(proxy, stale), "the cached bytes, no origin read needed");
            assertEquals(1, dead.revalidations(), "S3 was asked first");

            clock.advance(STALE_IF_ERROR);
            OriginException e = assertThrows(OriginException.class, () -> proxy.read(PAGE, ReadSpec.METADATA));
            assertEquals(OriginException.Kind.UNAVAILABLE, e.kind(), "past the bound: an error, not old bytes");
        }
    }

    @Test
    void staleIfErrorZero_failsInsteadOfServingStale() {
        try (LayerProxy proxy = proxy(Duration.ZERO)) {
            proxy.read(PAGE, ReadSpec.METADATA);
            clock.advance(MAX_AGE.plusSeconds(1));
            origin.up = false;

            assertThrows(OriginException.class, () -> proxy.read(PAGE, ReadSpec.METADATA));
        }
    }

    @Test
    void whenS3IsUpAgain_theCopyIsRevalidated_andNoLongerStale() {
        try (LayerProxy proxy = proxy(STALE_IF_ERROR)) {
            proxy.read(PAGE, ReadSpec.METADATA);
            clock.advance(MAX_AGE.plusSeconds(1));
            origin.up = false;
            assertTrue(proxy.read(PAGE, ReadSpec.METADATA).stale());

            origin.up = true;
            CachedObject fresh = proxy.read(PAGE, ReadSpec.METADATA);

            assertFalse(fresh.stale());
            assertEquals(1, live.revalidations());
        }
    }

    @Test
    void afterFiveFailuresInARow_S3IsNotAsked_untilTheCircuitProbes() {
        try (LayerProxy proxy = proxy(STALE_IF_ERROR)) {
            origin.up = false;
            for (int i = 0; i < GuardedOrigin.FAILURES_TO_OPEN; i++) {
                ObjectKey key = new ObjectKey("stale", "missing-" + i);
                assertThrows(OriginException.class, () -> proxy.read(key, ReadSpec.METADATA));
            }
            assertEquals(GuardedOrigin.FAILURES_TO_OPEN, dead.heads());

            for (int i = 0; i < 20; i++) {
                assertThrows(OriginException.class, () -> proxy.read(PAGE, ReadSpec.METADATA), "fails fast");
            }
            assertEquals(GuardedOrigin.FAILURES_TO_OPEN, dead.heads(), "the dead S3 was left alone");

            origin.up = true;
            assertThrows(
                    OriginException.class,
                    () -> proxy.read(PAGE, ReadSpec.METADATA),
                    "still paused, even though S3 is back");
            clock.advance(GuardedOrigin.OPEN_FOR);

            assertTrue(proxy.read(PAGE, ReadSpec.METADATA).found(), "the probe goes through and closes the circuit");
            assertFalse(
                    proxy.read(new ObjectKey("stale", "other"), ReadSpec.METADATA)
                            .found(),
                    "S3's 404, not a fast failure");
            assertEquals(2, live.heads(), "requests go through again");
        }
    }
}

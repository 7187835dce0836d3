package io.layerproxy.origin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.ObjectInfo;
import io.layerproxy.ObjectKey;
import io.layerproxy.OriginException;
import io.layerproxy.testing.ForwardingOrigin;
import io.layerproxy.testing.MemoryOrigin;
import io.layerproxy.testing.MutableClock;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The circuit reflects S3, not one key, and a listing never probes it. */
class CircuitBreakerTest {
    private static final ObjectKey GOOD = new ObjectKey("bkt", "good");

    private final MutableClock clock = new MutableClock();
    private final AtomicInteger asked = new AtomicInteger();
    private final AtomicInteger listed = new AtomicInteger();
    /** Keys the origin answers with this status (0: no answer at all, as a refused connection). */
    private volatile Set<String> failing = Set.of();

    private volatile int failStatus = 500;

    private final CircuitBreaker circuit = new CircuitBreaker(
            new ForwardingOrigin(new MemoryOrigin().put(GOOD, new byte[] {1, 2, 3})) {
                @Override
                public ObjectInfo head(ObjectKey key) {
                    asked.incrementAndGet();
                    if (failing.contains(key.key()) || failing.contains("*")) {
                        throw new OriginException(
                                OriginException.Kind.UNAVAILABLE, "failing " + key, failStatus, null, null);
                    }
                    return super.head(key);
                }

                @Override
                public void list(String bucket, String prefix, Consumer<Listed> each) {
                    listed.incrementAndGet();
                    super.list(bucket, prefix, each);
                }
            },
            clock);

    private void headFails(String key, int times) {
        for (int i = 0; i < times; i++) {
            assertThrows(OriginException.class, () -> circuit.head(new ObjectKey("bkt", key)));
        }
    }

    @Test
    void aServerErrorForOneKey_neverOpensIt_forTheOtherKeys() {
        failing = Set.of("bad");
        headFails("bad", 50);

        assertFalse(circuit.open());
        assertEquals(3, circuit.head(GOOD).size(), "another key's cold miss still asks S3");
        assertEquals(51, asked.get(), "every request for the bad key reached S3: it is that key's error");
    }

    @Test
    void serverErrorsAcrossSeveralKeys_openIt() {
        failing = Set.of("*");
        headFails("a", 2);
        headFails("b", 2);
        assertFalse(circuit.open(), "four failures, two keys");
        headFails("c", 1);

        assertTrue(circuit.open(), "five failures in a row over three keys: S3 itself");
        int before = asked.get();
        headFails("d", 3);
        assertEquals(before, asked.get(), "failing fast: S3 not asked");
    }

    @Test
    void failuresWithoutAnAnswer_openIt_evenForOneKey() {
        failStatus = 0; // a refused connection, a reset
        failing = Set.of("bad");
        headFails("bad", CircuitBreaker.FAILURES_TO_OPEN);

        assertTrue(circuit.open());
    }

    @Test
    void aListingNeverProbes_aReadDoes_andItsSuccessClosesTheCircuit() {
        failStatus = 0;
        failing = Set.of("*");
        headFails("x", CircuitBreaker.FAILURES_TO_OPEN);
        assertTrue(circuit.open());
        failing = Set.of(); // S3 is back
        clock.advance(CircuitBreaker.OPEN_FOR.plusSeconds(1));

        assertThrows(OriginException.class, () -> circuit.list("bkt", "", l -> {}));
        assertEquals(0, listed.get(), "the listing failed fast instead of probing");
        assertTrue(circuit.open());

        assertEquals(3, circuit.head(GOOD).size(), "a read probes");
        assertFalse(circuit.open());
        circuit.list("bkt", "", l -> {});
        assertEquals(1, listed.get(), "listings go through again");
    }
}

package io.layerproxy.cache;

import io.layerproxy.ObjectKey;
import io.layerproxy.OriginException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Bounds the reads that wait on the origin before their answer starts (a miss's metadata, its first block, or
 * either followed in someone else's flight): each holds a request thread, and a stalled S3 must not let them take
 * every thread the hits need. A read past the bound fails at once with {@link OriginException.Kind#BUSY} (503 and
 * {@code Retry-After}); reads served by the layers never take a permit.
 */
final class OriginWaits {
    private final int max;
    private final Semaphore permits;
    private final LongAdder refused = new LongAdder();

    /** At most {@code max} waits at once; 0 for no bound. */
    OriginWaits(int max) {
        this.max = max;
        this.permits = new Semaphore(max);
    }

    /** Runs {@code wait} holding a permit; throws BUSY at once when none is free. */
    <T> T await(ObjectKey key, Supplier<T> wait) {
        if (max == 0) {
            return wait.get();
        }
        if (!permits.tryAcquire()) {
            refused.increment();
            throw new OriginException(
                    OriginException.Kind.BUSY,
                    max + " requests are already waiting on S3 (--origin-max-waiting); " + key
                            + " was not asked, retry",
                    null);
        }
        try {
            return wait.get();
        } finally {
            permits.release();
        }
    }

    long refused() {
        return refused.sum();
    }

    int waiting() {
        return max == 0 ? 0 : max - permits.availablePermits();
    }
}

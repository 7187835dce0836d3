package io.layerproxy.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Polls a condition until a deadline: what tests wait on instead of a bare sleep. */
public final class Eventually {
    private Eventually() {}

    /** True as soon as {@code condition} holds, false when it still does not after {@code within}. */
    public static boolean holds(Duration within, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }
}

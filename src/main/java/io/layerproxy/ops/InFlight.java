package io.layerproxy.ops;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Requests being served, so a shutdown can let downloads finish: {@link #drain(Duration)} marks the proxy as
 * draining (readiness turns 503, so load balancers stop sending) and waits until none is left or the time is up.
 * Entering and leaving cost one atomic operation each; only a drain takes the lock.
 */
public final class InFlight {
    private final AtomicInteger count = new AtomicInteger();
    private volatile boolean draining;

    public void enter() {
        count.incrementAndGet();
    }

    public void exit() {
        if (count.decrementAndGet() == 0 && draining) {
            synchronized (this) {
                notifyAll();
            }
        }
    }

    public int count() {
        return count.get();
    }

    public boolean draining() {
        return draining;
    }

    /** Waits up to {@code timeout} for the requests in flight to end; returns how many are still going. */
    public int drain(Duration timeout) {
        draining = true;
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            try {
                long left;
                while (count.get() > 0 && (left = deadline - System.nanoTime()) > 0) {
                    TimeUnit.NANOSECONDS.timedWait(this, Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return count.get();
    }
}

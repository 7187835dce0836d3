package io.layerproxy.cache;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One block's bytes in a pooled direct buffer from the {@link BlockBudget}, shared by reference count between the
 * reader that fetched it, its followers and the store queue; the last release gives the buffer back. A released
 * block is dead for good ({@link #tryRetain} fails), so a late holder never sees a recycled buffer's new bytes.
 */
final class Block {
    private final BlockBudget budget;
    private final ByteBuffer buffer;
    private final AtomicInteger references = new AtomicInteger(1);

    Block(BlockBudget budget, ByteBuffer buffer) {
        this.budget = budget;
        this.buffer = buffer;
    }

    /** The buffer to fill (position 0, limit the capacity); only its first holder writes into it. */
    ByteBuffer fillBuffer() {
        return buffer.clear();
    }

    /** The block's bytes, as a view of its own: position 0, limit its length. */
    ByteBuffer bytes() {
        ByteBuffer view = buffer.asReadOnlyBuffer();
        view.clear().limit(length);
        return view;
    }

    private volatile int length;

    /** Marks the first {@code n} bytes of the buffer as the block's content. */
    void filled(int n) {
        length = n;
    }

    int length() {
        return length;
    }

    /** One more holder; only for a holder that already has a reference. */
    Block retain() {
        if (!tryRetain()) {
            throw new IllegalStateException("retain of a released block");
        }
        return this;
    }

    /** One more holder unless the block was already given back (then the caller must look elsewhere). */
    boolean tryRetain() {
        while (true) {
            int n = references.get();
            if (n <= 0) {
                return false;
            }
            if (references.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /**
     * Gives up the only reference without returning the buffer to the pool: something may still write into it (a
     * layer read that was abandoned, not stopped). Its memory is freed once unreachable; the budget allocates anew.
     */
    void discard() {
        if (references.compareAndSet(1, 0)) {
            budget.giveBackWithout();
        } else {
            release();
        }
    }

    void release() {
        int n = references.decrementAndGet();
        if (n == 0) {
            budget.giveBack(buffer);
        } else if (n < 0) {
            throw new IllegalStateException("block released twice");
        }
    }
}

package io.layerproxy.cache;

import io.layerproxy.ObjectInfo;
import io.layerproxy.ObjectKey;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Parallel ranged reads of a large cold version: while a reader reads part {@code p} from the origin, the next
 * parts up to {@code p + parallel - 1} are read by fills of their own in the background (one ranged GET each, as
 * AWS's performance guide advises for large objects), so a reader limited by one connection's bandwidth gets
 * several. Each background fill registers its blocks as in flight (the reader, and anyone else, follows them: one
 * origin read per block still) and stores them; its blocks come from the pipeline's budget, and it starts only
 * while the budget is not tight and fewer than {@code maxRunning} run, so it never competes with clients for memory.
 */
final class PartsAhead {
    private static final Logger LOG = LoggerFactory.getLogger(PartsAhead.class);

    private final BlockPipeline pipe;
    private final int parallel;
    private final Semaphore running;

    PartsAhead(BlockPipeline pipe, int parallel, int maxRunning) {
        this.pipe = pipe;
        this.parallel = parallel;
        this.running = new Semaphore(maxRunning);
    }

    /**
     * For a reader of blocks up to {@code last} that is at {@code index}, reading from the origin: starts the fills
     * of the parts after {@code index}'s, up to {@code parallel - 1} ahead, beyond {@code startedUpTo} (the last part
     * this reader started before). Returns the last part started now or before.
     */
    long topUp(ObjectKey key, ObjectInfo info, long index, long last, long startedUpTo) {
        int part = pipe.partBlocks();
        if (part == 0) { // parts off (--origin-parallel 1)
            return startedUpTo;
        }
        long upTo = Math.min(last / part, index / part + parallel - 1);
        long started = startedUpTo;
        for (long p = Math.max(index / part + 1, startedUpTo + 1); p <= upTo; p++) {
            long first = p * part;
            long end = Math.min(last, first + part - 1);
            if (pipe.budget.underPressure() || !running.tryAcquire()) {
                break; // the reader reads on by itself, and tries again at its next part
            }
            if (cachedOrComing(key, info, first, end)) {
                running.release();
            } else {
                pipe.readAheadThreads.execute(() -> fill(key, info, first, end));
            }
            started = p;
        }
        return started;
    }

    /** A part whose ends are in flight or in a layer is left to the reader: it was read before, or is being read. */
    private boolean cachedOrComing(ObjectKey key, ObjectInfo info, long first, long end) {
        for (long index : new long[] {first, end}) {
            String blockKey = pipe.blockKey(key, info, index);
            if (pipe.flights.get(blockKey) != null || pipe.inSomeLayer(blockKey)) {
                return true;
            }
        }
        return false;
    }

    private void fill(ObjectKey key, ObjectInfo info, long first, long end) {
        try {
            OriginFill fill = OriginFill.ahead(pipe, key, info, first, end);
            if (fill == null) {
                return; // someone else leads it, or it was read meanwhile
            }
            try {
                for (long index = first; fill.serves(index); index++) {
                    fill.next(index).release(); // handed to followers and queued for the store already
                }
            } finally {
                fill.abandon(); // blocks it did not reach: their readers fetch them themselves
            }
            pipe.metrics.partAhead();
        } catch (RuntimeException e) {
            LOG.debug("reading part {}-{} of {} ahead failed: {}", first, end, key, e.toString());
        } finally {
            running.release();
        }
    }
}

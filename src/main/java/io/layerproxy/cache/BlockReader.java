package io.layerproxy.cache;

import io.layerproxy.LayerProxy;
import io.layerproxy.ObjectBody;
import io.layerproxy.ObjectInfo;
import io.layerproxy.ObjectKey;
import io.layerproxy.OriginException;
import io.layerproxy.cache.Flights.Fill;
import io.layerproxy.cache.Flights.Flight;
import io.layerproxy.http.BufferSink;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntFunction;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a span of one version block by block: each block from the fastest layer holding it, else from a fill
 * another reader already has in flight (single flight), else by leading a fill ({@link OriginFill}): one streaming
 * ranged origin read from this block to the end of the span (or to the first block someone else is fetching).
 *
 * <p>Every block it holds is a {@link Block} of the pipeline's memory budget, held only until it is written, so
 * memory does not grow with the object. A leader whose client goes away keeps filling while others follow, and
 * abandons the fill (its followers then fetch for themselves) when nobody does.
 */
final class BlockReader implements ObjectBody {
    private static final Logger LOG = LoggerFactory.getLogger(BlockReader.class);
    /** How long a follower waits for one block of someone else's fill; the leader's socket timeout is shorter. */
    static final long FOLLOW_TIMEOUT_SECONDS = 60;
    /** How long a reader waits for block memory before it gives up with a 503. */
    private static final long BUDGET_WAIT_SECONDS = 30;

    private final BlockPipeline pipe;
    private final ObjectKey key;
    private final ObjectInfo info;
    private final long start;
    private final long end;
    private final long firstIndex;
    private final long lastIndex;

    private Block firstBlock;
    /** The block whose bytes {@link #next()} returned last, held until the next call. */
    private Block current;

    private long nextIndex;
    /** What {@link #next()} returned last, and where in its block to resume after {@link #pause()} (-1: none). */
    private ByteBuffer view;

    private int resumeAt = -1;
    /** Whether the last block fetched, the first block, and the block of the last view came from a layer. */
    private boolean fromLayer;

    private boolean firstFromLayer;
    private boolean currentFromLayer;
    private String firstLayer;
    private OriginFill fill;
    private Fill followed;
    /** Whether the version's blocks may be in a layer; streamed-through versions never look there. */
    private final boolean stored;
    /** The last part this reader had read ahead in parallel ({@link PartsAhead}); -1: none yet. */
    private long partsStarted = -1;

    /** Opens {@code [start, end)} of the version, reading its first block before it returns. */
    BlockReader(BlockPipeline pipe, ObjectKey key, ObjectInfo info, long start, long end) {
        this(pipe, key, info, start, end, null, 0);
        readFirstBlock();
    }

    /**
     * A reader of the whole object leading a fill with {@code body}, an already open origin stream of all of this
     * version's bytes (a miss that got metadata and body from one GET). Its blocks are registered as in flight
     * before this returns, so readers that arrive next follow this stream instead of asking the origin; nothing
     * is read until {@link #readFirstBlock()}. Should a fill of block 0 be in flight already, the stream is closed
     * and the reader follows that fill like any other.
     */
    static BlockReader leading(BlockPipeline pipe, ObjectKey key, ObjectInfo info, InputStream body, long length) {
        return new BlockReader(pipe, key, info, 0, info.size(), body, length);
    }

    private BlockReader(
            BlockPipeline pipe, ObjectKey key, ObjectInfo info, long start, long end, InputStream body, long length) {
        this.pipe = pipe;
        this.key = key;
        this.info = info;
        this.start = start;
        this.end = end;
        this.firstIndex = start / pipe.blockSize;
        this.lastIndex = end == start ? firstIndex - 1 : (end - 1) / pipe.blockSize;
        this.nextIndex = firstIndex;
        this.stored = pipe.policy.storesBlocks(key, info);
        if (body != null) {
            fill = lastIndex < firstIndex || length == 0
                    ? null
                    : OriginFill.lead(pipe, key, info, firstIndex, lastIndex, body, (length - 1) / pipe.blockSize);
            if (fill == null) {
                closeQuietly(body);
            }
        }
    }

    /** Reads the first block (from a layer, a fill in flight or the origin), so errors come before any header. */
    void readFirstBlock() {
        if (end > start && firstBlock == null) {
            boolean opened = false;
            try {
                fromLayer = false;
                firstBlock = fetch(firstIndex, true);
                firstFromLayer = fromLayer;
                readPartsAhead(firstIndex);
                opened = true;
            } finally {
                if (!opened) {
                    close();
                }
            }
        }
    }

    @Override
    public ObjectInfo info() {
        return info;
    }

    @Override
    public String firstLayer() {
        return firstLayer;
    }

    @Override
    public void writeTo(OutputStream out) throws IOException {
        BufferSink sink = BufferSink.of(out);
        for (ByteBuffer bytes = next(); bytes != null; bytes = next()) {
            try {
                sink.write(bytes);
            } catch (IOException clientGone) {
                clientGone();
                throw clientGone;
            }
        }
    }

    @Override
    public @Nullable ByteBuffer next() {
        if (current != null) {
            current.release();
            current = null;
        }
        if (nextIndex > lastIndex) {
            return null;
        }
        long index = nextIndex++;
        boolean first = index == firstIndex && firstBlock != null;
        fromLayer = false;
        Block block = first ? firstBlock : fetch(index, false);
        currentFromLayer = first ? firstFromLayer : fromLayer;
        if (!first) {
            readPartsAhead(index);
        }
        firstBlock = null;
        current = block;
        long blockStart = index * pipe.blockSize;
        int from = resumeAt >= 0 ? resumeAt : (int) (Math.max(start, blockStart) - blockStart);
        resumeAt = -1;
        int to = (int) (Math.min(end, blockStart + block.length()) - blockStart);
        view = block.bytes().limit(to).position(from);
        return view;
    }

    /**
     * A reader of origin bytes keeps the next parts coming in parallel; one that started them reads on from the
     * layers they were stored in, and keeps them coming too.
     */
    private void readPartsAhead(long index) {
        if (stored && (!fromLayer || partsStarted >= 0)) {
            partsStarted = pipe.ahead.topUp(key, info, index, lastIndex, partsStarted);
        }
    }

    @Override
    public boolean pause() {
        if (current == null || view == null || !currentFromLayer) {
            // a block from the origin (own fill or followed) may not be in a layer yet: reading it again could ask
            // the origin again, so it is kept
            return false;
        }
        resumeAt = view.position();
        nextIndex--;
        current.release();
        current = null;
        view = null;
        return true;
    }

    @Override
    public boolean memoryTight() {
        return pipe.budget.underPressure();
    }

    @Override
    public void clientGone() {
        if (fill != null) {
            fill.finishForFollowers();
        }
    }

    @Override
    public void close() {
        if (current != null) {
            current.release();
            current = null;
        }
        if (firstBlock != null) {
            firstBlock.release();
            firstBlock = null;
        }
        stopFilling();
        if (followed != null) {
            followed.leave();
            followed = null;
        }
    }

    /**
     * The block, owned by the caller (release it), from the fastest source that has it. {@code first}: no byte of
     * the answer has gone out yet, so a wait on the origin takes one of its bounded permits ({@link OriginWaits}).
     */
    private Block fetch(long index, boolean first) {
        if (fill != null) {
            if (fill.serves(index)) {
                OriginFill leading = fill;
                Block block = first ? pipe.originWaits.await(key, () -> leading.next(index)) : leading.next(index);
                noteSource(leading.source(index));
                return block;
            }
            stopFilling(); // it covered blocks up to one someone else was fetching: that one is not coming from it
        }
        String blockKey = pipe.blockKey(key, info, index);
        while (true) {
            // a block in flight is followed before the layers are asked: a follower then needs no block memory of
            // its own (64 clients on one cold object took 64 blocks of the budget just to miss in the layers)
            Flight flight = pipe.flights.get(blockKey);
            if (flight == null && stored) {
                Block cached = fromLayers(index, blockKey);
                if (cached != null) {
                    fromLayer = true;
                    return cached;
                }
                flight = pipe.flights.get(blockKey);
            }
            if (flight != null) {
                Flight followed = flight;
                Block handed =
                        first ? pipe.originWaits.await(key, () -> follow(followed, index)) : follow(flight, index);
                if (handed != null) {
                    return handed;
                }
                continue; // abandoned, or stored meanwhile: look again, then lead
            }
            Block led = first ? pipe.originWaits.await(key, () -> lead(index)) : lead(index);
            if (led != null) {
                return led;
            }
        }
    }

    /** The block from the fastest layer holding it, copied into a budget block; null when none does. */
    private Block fromLayers(long index, String blockKey) {
        int expected = pipe.blockLength(info, index);
        var layers = pipe.layers;
        Block block = pipe.budget.take(BUDGET_WAIT_SECONDS, TimeUnit.SECONDS, key);
        try {
            for (int i = 0; i < layers.size(); i++) {
                GuardedLayer layer = layers.get(i);
                ByteBuffer into = block.fillBuffer();
                IntFunction<ByteBuffer> allocate = n -> n == expected ? into : ByteBuffer.allocate(n);
                ByteBuffer found = i == 0 ? layer.get(blockKey, allocate) : fromSlowerLayer(layer, blockKey, allocate);
                if (found == null) {
                    continue;
                }
                if (found != into || found.remaining() != expected) {
                    // a block of the wrong length can only be damage: never serve it
                    LOG.warn(
                            "dropping block {} of {} from the {} layer: {} bytes, expected {}",
                            index,
                            key,
                            layer.name(),
                            found.remaining(),
                            expected);
                    layer.remove(blockKey);
                    continue;
                }
                block.filled(expected);
                if (i > 0) {
                    pipe.store(block, key, info, index, pipe.store.mark(), i, null);
                }
                noteSource(layer.name());
                Block hit = block;
                block = null;
                return hit;
            }
            return null;
        } catch (LayerReadAbandoned e) {
            block.discard();
            block = null;
            return null; // a miss: the origin (or a fill in flight) has it
        } finally {
            if (block != null) {
                block.release();
            }
        }
    }

    /** Leads a fill from {@code index} and returns its first block; null when another reader leads it now. */
    private @Nullable Block lead(long index) {
        fill = OriginFill.lead(pipe, key, info, index, lastIndex, null, -1);
        if (fill == null) {
            return null;
        }
        Block block = fill.next(index);
        noteSource(fill.source(index));
        return block;
    }

    /** A read from a slower layer on the pipeline's layer-reading threads (see SLOWER_LAYER_READERS). */
    private ByteBuffer fromSlowerLayer(GuardedLayer layer, String blockKey, IntFunction<ByteBuffer> allocate) {
        Future<ByteBuffer> read = pipe.slowerLayerReaders.submit(() -> layer.get(blockKey, allocate));
        try {
            return read.get(FOLLOW_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            read.cancel(false); // never interrupt it: an interrupted FileChannel closes under the whole disk store
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            read.cancel(false);
            LOG.warn(
                    "reading block {} of {} from the {} layer failed, a miss: {}",
                    blockKey,
                    key,
                    layer.name(),
                    e.toString());
        }
        // the buffer may still be written by a read that did not stop: never hand it on
        throw new LayerReadAbandoned();
    }

    /** A slower layer's read was given up while it may still write into the block's buffer. */
    private static final class LayerReadAbandoned extends RuntimeException {
        private static final long serialVersionUID = 1L;

        LayerReadAbandoned() {
            super(null, null, false, false);
        }
    }

    /** Waits for a block another reader is fetching; null when that reader gave up on it or it was stored. */
    private Block follow(Flight flight, long index) {
        if (followed != flight.fill()) {
            if (followed != null) {
                followed.leave();
            }
            followed = flight.fill();
            followed.join();
        }
        try {
            // a block already handed over and being stored is in memory: no origin wait for this reader
            boolean waited = !flight.block().isDone();
            if (waited) {
                pipe.metrics.blockWait();
            }
            Block block = flight.block().get(FOLLOW_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (!block.tryRetain()) {
                return null; // stored and given back meanwhile: the layers have it
            }
            noteSource(waited ? LayerProxy.ORIGIN : "memory");
            return block;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Flights.Abandoned) {
                return null;
            }
            if (e.getCause() instanceof OriginException oe) {
                throw oe.rethrown();
            }
            throw new OriginException(OriginException.Kind.UNAVAILABLE, "fill of " + key + " failed", e.getCause());
        } catch (TimeoutException e) {
            throw new OriginException(
                    OriginException.Kind.TIMEOUT,
                    "block " + index + " of " + key + " did not arrive in " + FOLLOW_TIMEOUT_SECONDS + " s",
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OriginException(OriginException.Kind.UNAVAILABLE, "interrupted waiting for " + key, e);
        }
    }

    private void stopFilling() {
        if (fill != null) {
            fill.abandon();
            fill = null;
        }
    }

    private void closeQuietly(InputStream body) {
        try {
            body.close();
        } catch (IOException e) {
            LOG.debug("closing an unused origin stream for {}: {}", key, e.toString());
        }
    }

    private void noteSource(String layer) {
        if (firstLayer == null) {
            firstLayer = layer;
        }
    }
}

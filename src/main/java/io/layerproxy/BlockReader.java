package io.layerproxy;

import io.layerproxy.Flights.Fill;
import io.layerproxy.Flights.Flight;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.regex.Pattern;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a span of one version block by block: each block from the fastest layer holding it, else from a fill
 * another reader already has in flight (single flight), else by leading a fill: one streaming ranged origin read
 * from this block to the end of the span (or to the first block someone else is fetching), cut into blocks as
 * bytes arrive, each stored and handed to the followers before it is written to this reader's client.
 *
 * <p>Only the block being handed over is held, so memory does not grow with the object. A leader whose client
 * goes away keeps filling while others follow, and abandons the fill (its followers then fetch for themselves)
 * when nobody does.
 */
final class BlockReader implements ObjectBody {
    private static final Logger LOG = LoggerFactory.getLogger(BlockReader.class);
    /** How long a follower waits for one block of someone else's fill; the leader's socket timeout is shorter. */
    private static final long FOLLOW_TIMEOUT_SECONDS = 60;
    /** A block read from a slower layer is copied into a faster one only if that one holds this many such blocks. */
    static final int PROMOTE_MIN_FIT = 64;

    private final LayerProxy proxy;
    private final ObjectKey key;
    private final ObjectInfo info;
    private final long start;
    private final long end;
    private final int blockSize;
    private final long firstIndex;
    private final long lastIndex;

    private byte[] firstBlock;
    private String firstLayer;
    private ReadAhead originStream;
    private long originNextIndex;
    /** Blocks this reader registered as leader and has not read yet, by index. */
    private final TreeMap<Long, Flight> leading = new TreeMap<>();
    private Fill leadFill;
    private Fill followed;
    /** Whether this reader holds one of the proxy's block buffer permits (it holds a block). */
    private boolean holdsBuffer;
    /** A fill reading a whole single-part object: its MD5 is checked against the ETag before its last block leaves. */
    private boolean verifiesWhole;

    /** Opens {@code [start, end)} of the version, reading its first block before it returns. */
    BlockReader(LayerProxy proxy, ObjectKey key, ObjectInfo info, long start, long end) {
        this(proxy, key, info, start, end, null);
        readFirstBlock();
    }

    /**
     * A reader of the whole object leading a fill with {@code body}, an already open origin stream of all of this
     * version's bytes (a miss that got metadata and body from one GET). Its blocks are registered as in flight
     * before this returns, so readers that arrive next follow this stream instead of asking the origin; nothing
     * is read until {@link #readFirstBlock()}. Should a fill of block 0 be in flight already, the stream is closed
     * and the reader follows that fill like any other.
     */
    static BlockReader leading(LayerProxy proxy, ObjectKey key, ObjectInfo info, InputStream body) {
        return new BlockReader(proxy, key, info, 0, info.size(), body);
    }

    private BlockReader(LayerProxy proxy, ObjectKey key, ObjectInfo info, long start, long end, InputStream body) {
        this.proxy = proxy;
        this.key = key;
        this.info = info;
        this.start = start;
        this.end = end;
        this.blockSize = proxy.blockSize();
        this.firstIndex = start / blockSize;
        this.lastIndex = end == start ? firstIndex - 1 : (end - 1) / blockSize;
        if (body != null && (lastIndex < firstIndex || !lead(firstIndex, body))) {
            closeQuietly(body);
        }
    }

    /** Reads the first block (from a layer, a fill in flight or the origin), so errors come before any header. */
    void readFirstBlock() {
        if (end > start && firstBlock == null) {
            boolean opened = false;
            try {
                firstBlock = fetch(firstIndex);
                opened = true;
            } finally {
                if (!opened) {
                    close();
                }
            }
        }
    }

    @Override
    public String firstLayer() {
        return firstLayer;
    }

    @Override
    public void writeTo(OutputStream out) throws IOException {
        for (long index = firstIndex; index <= lastIndex; index++) {
            byte[] block = index == firstIndex && firstBlock != null ? firstBlock : fetch(index);
            firstBlock = null;
            long blockStart = index * blockSize;
            int from = (int) (Math.max(start, blockStart) - blockStart);
            int to = (int) (Math.min(end, blockStart + block.length) - blockStart);
            try {
                out.write(block, from, to - from);
            } catch (IOException clientGone) {
                finishForFollowers();
                throw clientGone;
            } finally {
                releaseBuffer();
            }
        }
    }

    /**
     * Takes one of the proxy's block buffer permits before allocating a block, so the blocks held across all
     * concurrent downloads stay within the bound (a quarter of the heap by default); waits when it is reached.
     */
    private void acquireBuffer() {
        if (holdsBuffer) {
            return;
        }
        // the untimed tryAcquire barges past the fair queue: on a hit there is almost always a permit, and the
        // fair, timed path costs a lock handoff (and an unpark) per block
        if (proxy.blockBuffers().tryAcquire()) {
            holdsBuffer = true;
            return;
        }
        try {
            if (!proxy.blockBuffers().tryAcquire(FOLLOW_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new OriginException(OriginException.Kind.TIMEOUT, "no block buffer free for " + key + " in "
                        + FOLLOW_TIMEOUT_SECONDS + " s: too many downloads at once");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OriginException(OriginException.Kind.UNAVAILABLE, "interrupted waiting for a buffer", e);
        }
        holdsBuffer = true;
    }

    private void releaseBuffer() {
        if (holdsBuffer) {
            holdsBuffer = false;
            proxy.blockBuffers().release();
        }
    }

    @Override
    public void close() {
        firstBlock = null;
        releaseBuffer();
        stopLeading();
        if (followed != null) {
            followed.leave();
            followed = null;
        }
    }

    /**
     * The block, held until it is written. Reading it from a layer or the origin allocates it, so that takes a
     * buffer permit; following someone else's fill shares their bytes and takes none (and so never holds a permit
     * its leader may be waiting for).
     */
    private byte[] fetch(long index) {
        if (originStream != null && originNextIndex == index) {
            acquireBuffer();
            return readFromOrigin(index);
        }
        String blockKey = proxy.blockKey(key, info, index);
        while (true) {
            acquireBuffer();
            byte[] cached = fromLayers(index, blockKey);
            if (cached != null) {
                return cached;
            }
            Flight flight = proxy.flights().get(blockKey);
            if (flight != null) {
                releaseBuffer();
                byte[] handed = follow(flight, index);
                if (handed != null) {
                    return handed;
                }
                continue; // abandoned: look again, then lead
            }
            if (lead(index, null)) {
                return readFromOrigin(index);
            }
        }
    }

    private byte[] fromLayers(long index, String blockKey) {
        int expected = expectedLength(index);
        var layers = proxy.layers();
        for (int i = 0; i < layers.size(); i++) {
            GuardedLayer layer = layers.get(i);
            byte[] block = layer.get(blockKey);
            if (block == null) {
                continue;
            }
            if (block.length != expected) {
                // a block of the wrong length can only be damage: never serve it
                LOG.warn("dropping block {} of {} from the {} layer: {} bytes, expected {}", index, key,
                        layer.name(), block.length, expected);
                layer.remove(blockKey);
                continue;
            }
            for (int j = 0; j < i; j++) {
                // a faster layer that holds only a handful of such blocks would evict one per hit: no promotion
                if ((long) block.length * PROMOTE_MIN_FIT <= layers.get(j).capacity()) {
                    store(layers.get(j), blockKey, block);
                }
            }
            noteSource(layer.name());
            return block;
        }
        return null;
    }

    /** Waits for a block another reader is fetching; null when that reader gave up on it. */
    private byte[] follow(Flight flight, long index) {
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
                proxy.metrics().blockWait();
            }
            byte[] block = flight.block().get(FOLLOW_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            noteSource(waited ? LayerProxy.ORIGIN : "memory");
            return block;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Flights.Abandoned) {
                return null;
            }
            if (e.getCause() instanceof OriginException oe) {
                throw new OriginException(oe.kind(), oe.getMessage(), oe);
            }
            throw new OriginException(OriginException.Kind.UNAVAILABLE, "fill of " + key + " failed", e.getCause());
        } catch (TimeoutException e) {
            throw new OriginException(OriginException.Kind.TIMEOUT, "block " + index + " of " + key
                    + " did not arrive in " + FOLLOW_TIMEOUT_SECONDS + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OriginException(OriginException.Kind.UNAVAILABLE, "interrupted waiting for " + key, e);
        }
    }

    /**
     * Registers blocks from {@code index} up to the end of the span or the first block already in flight, and
     * opens one origin read for them, or reads them from {@code opened} (a stream from {@code index}'s first byte)
     * when given. False when another reader registered {@code index} first.
     */
    private boolean lead(long index, InputStream opened) {
        stopLeading();
        Fill fill = new Fill();
        for (long i = index; i <= lastIndex; i++) {
            Flight flight = proxy.flights().register(proxy.blockKey(key, info, i), fill);
            if (flight == null) {
                break;
            }
            leading.put(i, flight);
        }
        if (leading.isEmpty()) {
            return false;
        }
        long first = index * blockSize;
        long last = Math.min(info.size(), (leading.lastKey() + 1) * blockSize) - 1;
        long objectLastIndex = (info.size() - 1) / blockSize;
        MessageDigest md5 = index == 0 && leading.lastKey() == objectLastIndex
                && MD5_ETAG.matcher(info.etag()).matches() ? newMd5() : null;
        try {
            InputStream body = opened != null ? opened : proxy.origin().read(key, info, first, last);
            originStream = new ReadAhead(body, index, leading.lastKey(), this::expectedLength,
                    proxy.readAheadThreads(), md5);
        } catch (OriginException e) {
            failLeading(e);
            if (e.kind() == OriginException.Kind.CHANGED) {
                proxy.dropVersion(key, info);
            }
            throw e;
        } catch (RuntimeException e) {
            failLeading(new OriginException(OriginException.Kind.UNAVAILABLE, "origin read failed", e));
            throw e;
        }
        verifiesWhole = md5 != null;
        leadFill = fill;
        originNextIndex = index;
        return true;
    }

    private static final Pattern MD5_ETAG = Pattern.compile("\"[0-9a-f]{32}\"");

    private static MessageDigest newMd5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            return null; // every JDK has MD5; without it the check is skipped, not the read
        }
    }

    /**
     * A single-part object's ETag is the MD5 of its bytes: a whole-object fill whose bytes do not hash to it read
     * something else (an overwrite in place, a corrupt origin). Its last block is withheld, so the client's
     * response is aborted rather than completed wrong, and whatever was stored of it is dropped. The digest is
     * computed by the read-ahead thread as the bytes arrive, off this client's path.
     */
    private void verifyWhole(long index) {
        if (!verifiesWhole || index != (info.size() - 1) / blockSize) {
            return;
        }
        verifiesWhole = false;
        String actual = "\"" + originStream.md5Hex() + "\"";
        if (!actual.equals(info.etag())) {
            OriginException failure = new OriginException(OriginException.Kind.BAD_RESPONSE, "bytes of " + key
                    + " do not match their ETag " + info.etag());
            failLeading(failure);
            proxy.dropVersion(key, info);
            proxy.storeInBackground(() -> proxy.dropVersion(key, info)); // after the block writes queued before
            throw failure;
        }
    }

    private byte[] readFromOrigin(long index) {
        int expected = expectedLength(index);
        byte[] block;
        try {
            block = originStream.next(FOLLOW_TIMEOUT_SECONDS);
        } catch (IOException e) {
            boolean silent = e instanceof java.net.SocketTimeoutException
                    || e.getCause() instanceof java.net.SocketTimeoutException;
            OriginException failure = new OriginException(
                    silent ? OriginException.Kind.TIMEOUT : OriginException.Kind.UNAVAILABLE,
                    "origin stream for " + key + (silent ? " stalled" : " failed") + " in block " + index, e);
            failLeading(failure);
            throw failure;
        }
        if (block.length != expected) {
            OriginException failure = new OriginException(OriginException.Kind.BAD_RESPONSE, "origin body for "
                    + key + " ended " + block.length + " bytes into block " + index + " of " + expected + " bytes");
            failLeading(failure);
            throw failure;
        }
        verifyWhole(index);
        originNextIndex = index + 1;
        String blockKey = proxy.blockKey(key, info, index);
        Flight flight = leading.remove(index);
        if (flight != null) {
            proxy.flights().handOver(flight, block);
        }
        // the layers are written off this client's path; the flight stays findable until the block is stored
        proxy.storeInBackground(() -> {
            for (GuardedLayer layer : proxy.layers()) {
                store(layer, blockKey, block);
            }
            if (flight != null) {
                proxy.flights().retire(blockKey, flight);
            }
        });
        noteSource(LayerProxy.ORIGIN);
        return block;
    }

    /** This reader's client is gone: keep filling the blocks it registered while anyone follows them. */
    private void finishForFollowers() {
        try {
            while (leadFill != null && !leading.isEmpty() && leadFill.followed()) {
                readFromOrigin(leading.firstKey());
            }
        } catch (OriginException e) {
            LOG.debug("fill of {} for followers failed: {}", key, e.getMessage());
        }
    }

    /** Hands any registered, unread block back (its waiters fetch it themselves) and closes the origin read. */
    private void stopLeading() {
        failLeading(Flights.ABANDONED);
    }

    /** Ends this reader's fill: every registered, unread block fails with {@code why}; the origin read is closed. */
    private void failLeading(RuntimeException why) {
        leading.forEach((index, flight) -> proxy.flights().fail(proxy.blockKey(key, info, index), flight, why));
        leading.clear();
        leadFill = null;
        closeStream();
    }

    private void closeQuietly(InputStream body) {
        try {
            body.close();
        } catch (IOException e) {
            LOG.debug("closing an unused origin stream for {}: {}", key, e.toString());
        }
    }

    private void closeStream() {
        if (originStream != null) {
            try {
                originStream.close();
            } catch (IOException e) {
                LOG.debug("closing the origin stream for {}: {}", key, e.toString());
            }
            originStream = null;
        }
    }

    /** Objects larger than a layer are not stored in it: they would only evict everything else and themselves. */
    private void store(GuardedLayer layer, String blockKey, byte[] block) {
        if (info.size() <= layer.capacity()) {
            layer.put(blockKey, block);
        }
    }

    private int expectedLength(long index) {
        return (int) Math.min(blockSize, info.size() - index * blockSize);
    }

    private void noteSource(String layer) {
        if (firstLayer == null) {
            firstLayer = layer;
        }
    }
}

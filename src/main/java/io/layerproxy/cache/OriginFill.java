package io.layerproxy.cache;

import io.layerproxy.LayerProxy;
import io.layerproxy.ObjectInfo;
import io.layerproxy.ObjectKey;
import io.layerproxy.Origin;
import io.layerproxy.OriginException;
import io.layerproxy.cache.Flights.Fill;
import io.layerproxy.cache.Flights.Flight;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One leader's origin read: a run of consecutive blocks registered as in flight, one streaming ranged GET for
 * them, cut into budget blocks by a {@link ReadAhead}; each block is handed to the followers, queued for the store
 * and returned to the leader, in that order.
 */
final class OriginFill {
    /** A block a fleet peer served is kept in the memory layer too with this odds' inverse. */
    static final int HOT_COPY_ONE_IN = 8;

    private static final Logger LOG = LoggerFactory.getLogger(OriginFill.class);
    private static final Pattern MD5_ETAG = Pattern.compile("\"[0-9a-f]{32}\"");

    private final BlockPipeline pipe;
    private final ObjectKey key;
    private final ObjectInfo info;
    /** Registered blocks not read yet, by index. */
    private final TreeMap<Long, Flight> leading;

    private final Fill fill;
    private final long lastIndex;
    /** The store queue's epoch when this fill started: its writes are skipped if the version is condemned later. */
    private final long mark;
    /** Whether the version's blocks may be stored at all (not no-store, cache=off, or past max-object-size). */
    private final boolean stores;

    private ReadAhead stream;
    /** The origin body's account of which bytes a fleet peer served; null when S3 served them all. */
    private Origin.FromPeers peers;

    private long nextIndex;
    /** Reading a whole single-part object: its MD5 is checked against the ETag before its last block leaves. */
    private boolean verifiesWhole;

    private OriginFill(
            BlockPipeline pipe,
            ObjectKey key,
            ObjectInfo info,
            TreeMap<Long, Flight> leading,
            Fill fill,
            boolean stores) {
        this.pipe = pipe;
        this.key = key;
        this.info = info;
        this.leading = leading;
        this.fill = fill;
        this.nextIndex = leading.firstKey();
        this.lastIndex = leading.lastKey();
        this.mark = pipe.store.mark();
        this.stores = stores;
    }

    /**
     * Registers blocks from {@code index} up to {@code spanLast}, the end of its part, or the first block already in
     * flight, and opens one origin read for them, or reads them from {@code opened} (a stream from {@code index}'s
     * first byte up to block {@code openedLast}) when given. Null when another reader registered {@code index} first
     * (then {@code opened} is the caller's to close).
     */
    static OriginFill lead(
            BlockPipeline pipe,
            ObjectKey key,
            ObjectInfo info,
            long index,
            long spanLast,
            InputStream opened,
            long openedLast) {
        boolean stores = pipe.policy.storesBlocks(key, info);
        // a run stops at its part's end: the next part is read in parallel, another member's, or cached already
        long runLast = pipe.runLast(index, spanLast, stores);
        return lead(
                pipe,
                key,
                info,
                index,
                opened == null ? runLast : Math.min(runLast, openedLast),
                opened,
                false,
                stores);
    }

    /**
     * A fill of blocks {@code first..last} nobody is waiting for yet (a part read ahead): it stops before the first
     * block some other fill has stored since the caller looked. Null when there is nothing to read.
     */
    static OriginFill ahead(BlockPipeline pipe, ObjectKey key, ObjectInfo info, long first, long last) {
        return lead(pipe, key, info, first, last, null, true, pipe.policy.storesBlocks(key, info));
    }

    private static OriginFill lead(
            BlockPipeline pipe,
            ObjectKey key,
            ObjectInfo info,
            long index,
            long runLast,
            InputStream opened,
            boolean stopAtStored,
            boolean stores) {
        Fill fill = new Fill();
        TreeMap<Long, Flight> leading = new TreeMap<>();
        for (long i = index; i <= runLast; i++) {
            String blockKey = pipe.blockKey(key, info, i);
            Flight flight = pipe.flights.register(blockKey, fill);
            if (flight == null) {
                break;
            }
            // registered first, looked in the layers after: a fill stores a block before it retires its flight, so
            // a block retired just before this registration is found here, and is not read twice
            if (stopAtStored && pipe.inSomeLayer(blockKey)) {
                pipe.flights.fail(blockKey, flight, Flights.ABANDONED);
                break;
            }
            leading.put(i, flight);
        }
        if (leading.isEmpty()) {
            return null;
        }
        OriginFill lead = new OriginFill(pipe, key, info, leading, fill, stores);
        lead.open(opened);
        return lead;
    }

    private void open(InputStream opened) {
        int blockSize = pipe.blockSize;
        long first = nextIndex * blockSize;
        long last = Math.min(info.size(), (lastIndex + 1) * blockSize) - 1;
        MessageDigest md5 = nextIndex == 0
                        && lastIndex == pipe.blockCount(info) - 1
                        && MD5_ETAG.matcher(info.etag()).matches()
                ? newMd5()
                : null;
        try {
            InputStream body = opened != null ? opened : pipe.origin.read(key, info, first, last);
            peers = body instanceof Origin.FromPeers fromPeers ? fromPeers : null;
            stream = new ReadAhead(
                    body,
                    nextIndex,
                    lastIndex,
                    index -> pipe.blockLength(info, index),
                    pipe.blockDeadline,
                    pipe.budget,
                    pipe.readAheadThreads,
                    md5,
                    key);
        } catch (OriginException e) {
            fail(e);
            if (e.kind() == OriginException.Kind.CHANGED) {
                pipe.dropVersion(key, info);
            }
            throw e;
        } catch (RuntimeException e) {
            fail(new OriginException(OriginException.Kind.UNAVAILABLE, "origin read failed", e));
            throw e;
        }
        verifiesWhole = md5 != null;
    }

    /**
     * How many layers (from the fastest) keep block {@code index}: all of them, unless a fleet peer served it; then
     * its owner keeps it, and this node keeps one block in {@link #HOT_COPY_ONE_IN} in its memory layer, so a block
     * read again and again here soon stays here too (groupcache's hot cache, sampled the same way).
     */
    private int storeBelow(long index) {
        if (!stores) {
            return 0;
        }
        long first = index * pipe.blockSize;
        if (peers == null || !peers.fromPeer(first, first + pipe.blockLength(info, index) - 1)) {
            return pipe.layers.size();
        }
        return java.util.concurrent.ThreadLocalRandom.current().nextInt(HOT_COPY_ONE_IN) == 0 ? 1 : 0;
    }

    /** Where block {@code index}, delivered already, came from: {@link LayerProxy#PEER} or the origin. */
    String source(long index) {
        long first = index * pipe.blockSize;
        return peers != null && peers.fromPeer(first, first + pipe.blockLength(info, index) - 1)
                ? LayerProxy.PEER
                : LayerProxy.ORIGIN;
    }

    /** Whether {@code index} is the next block this fill's stream delivers. */
    boolean serves(long index) {
        return stream != null && index == nextIndex && index <= lastIndex;
    }

    /** Block {@code index} (see {@link #serves}), owned by the caller; followers and the store got theirs. */
    Block next(long index) {
        int expected = pipe.blockLength(info, index);
        Block block;
        try {
            block = stream.next(BlockReader.FOLLOW_TIMEOUT_SECONDS);
        } catch (IOException e) {
            boolean silent = e instanceof SocketTimeoutException || e.getCause() instanceof SocketTimeoutException;
            throw fail(new OriginException(
                    silent ? OriginException.Kind.TIMEOUT : OriginException.Kind.UNAVAILABLE,
                    "origin stream for " + key + (silent ? " stalled" : " failed") + " in block " + index,
                    e));
        } catch (OriginException e) {
            throw fail(e);
        }
        if (block.length() != expected) {
            block.release();
            throw fail(new OriginException(
                    OriginException.Kind.BAD_RESPONSE,
                    "origin body for " + key + " ended " + block.length() + " bytes into block " + index + " of "
                            + expected + " bytes"));
        }
        if (verifiesWhole && index == lastIndex) {
            verifiesWhole = false;
            String actual = "\"" + stream.md5Hex() + "\"";
            if (!actual.equals(info.etag())) {
                // the ETag of a single-part object is its MD5: these bytes are something else (an overwrite in
                // place, a corrupt origin). The last block is withheld, so the client's response is aborted rather
                // than completed wrong, and nothing of this version stays stored.
                block.release();
                OriginException failure = fail(new OriginException(
                        OriginException.Kind.BAD_RESPONSE,
                        "bytes of " + key + " do not match their ETag " + info.etag()));
                pipe.dropVersion(key, info);
                throw failure;
            }
        }
        nextIndex = index + 1;
        Flight flight = leading.remove(index);
        if (flight != null) {
            pipe.flights.handOver(flight, block);
        }
        pipe.store(block, key, info, index, mark, storeBelow(index), flight);
        return block;
    }

    /** The leader's client is gone: keep filling the registered blocks while anyone follows them. */
    void finishForFollowers() {
        try {
            while (!leading.isEmpty() && fill.followed() && serves(leading.firstKey())) {
                next(leading.firstKey()).release();
            }
        } catch (OriginException e) {
            LOG.debug("fill of {} for followers failed: {}", key, e.getMessage());
        }
    }

    /** Hands any registered, unread block back (its waiters fetch it themselves) and closes the origin read. */
    void abandon() {
        fail(Flights.ABANDONED);
    }

    /** Ends the fill: every registered, unread block fails with {@code why}; the origin read is closed. */
    private <E extends RuntimeException> E fail(E why) {
        leading.forEach((index, flight) -> pipe.flights.fail(pipe.blockKey(key, info, index), flight, why));
        leading.clear();
        if (stream != null) {
            try {
                stream.close();
            } catch (IOException e) {
                LOG.debug("closing the origin stream for {}: {}", key, e.toString());
            }
            stream = null;
        }
        return why;
    }

    private static MessageDigest newMd5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            return null; // every JDK has MD5; without it the check is skipped, not the read
        }
    }
}

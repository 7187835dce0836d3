package io.layerproxy.cache;

import io.layerproxy.LayerProxy;
import io.layerproxy.ObjectInfo;
import io.layerproxy.ObjectKey;
import io.layerproxy.Origin;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;

/**
 * What every {@link BlockReader} shares: the layers, the origin, the memory budget, the single-flight table and the
 * ordered store queue, and the block key scheme. Readers use this, not the {@link LayerProxy} facade.
 */
final class BlockPipeline implements AutoCloseable {
    /** A block read from a slower layer is copied into a faster one only if that one holds this many such blocks. */
    static final int PROMOTE_MIN_FIT = 64;
    /** A fill of an object larger than this share of a layer goes only to a slower layer that holds it. */
    static final int SCAN_SHARE = 8;
    /**
     * Threads that read from layers below the first. Ehcache's disk tier reads each value into a heap array through a
     * temporary direct buffer of the value's size that the JDK then keeps for the reading thread: read on request
     * threads, a few hundred clients pinned a block of direct memory each, past -XX:MaxDirectMemorySize (measured:
     * OutOfMemoryError at -Xmx64m with 100 clients). On these threads, at most this many such buffers exist.
     */
    static final int SLOWER_LAYER_READERS = 8;

    final List<GuardedLayer> layers;
    final Origin origin;
    final int blockSize;
    /** How long one block may take from the origin once its read began (the origin timeout): see ReadAhead. */
    final Duration blockDeadline;

    final BlockBudget budget;
    final StoreQueue store;
    final Flights flights = new Flights();
    final ProxyMetrics metrics;
    final ExecutorService slowerLayerReaders =
            Executors.newFixedThreadPool(SLOWER_LAYER_READERS, daemon("layerproxy-layer-read"));
    /** Threads reading origin bodies a block ahead of their readers (one per origin read in progress). */
    final ExecutorService readAheadThreads = Executors.newCachedThreadPool(daemon("layerproxy-read-ahead"));

    /** Most blocks one origin read fills, aligned to multiples of it (a fleet's span); 0: to the span's end. */
    final int runBlocks;

    /** How a large cold version is read: {@code parallel} ranged GETs of {@code bytes} each at most (1: one GET). */
    record Parts(int parallel, long bytes) {}

    /** Background part reads at once, over all readers: a bound on the threads and connections they take. */
    static final int MAX_PARTS_AHEAD = 32;

    /** Blocks per part of a parallel read; 0 when parts are off (one GET to the end of what a reader wants). */
    private final int partBlocks;

    final PartsAhead ahead;

    /** Which versions' blocks may be stored at all (no-store, cache=off, max-object-size). */
    final CachePolicy policy;

    /** Bounds the readers waiting on the origin for their first block. */
    final OriginWaits originWaits;

    BlockPipeline(
            List<GuardedLayer> layers,
            Origin origin,
            int blockSize,
            long budgetBytes,
            Duration blockDeadline,
            OriginWaits originWaits,
            int runBlocks,
            Parts parts,
            CachePolicy policy,
            ProxyMetrics metrics) {
        this.policy = policy;
        // alone, a part is whole blocks of at least the part size; in a fleet, a span (what one member owns)
        this.partBlocks = parts.parallel() <= 1
                ? 0
                : runBlocks != 0 ? runBlocks : (int) Math.max(1, (parts.bytes() + blockSize - 1) / blockSize);
        this.ahead = new PartsAhead(this, parts.parallel(), MAX_PARTS_AHEAD);
        this.originWaits = originWaits;
        this.runBlocks = runBlocks;
        this.layers = layers;
        this.origin = origin;
        this.blockSize = blockSize;
        this.blockDeadline = blockDeadline;
        this.budget = new BlockBudget(budgetBytes, blockSize);
        // half the budget may wait for the store; the rest keeps reads flowing past a slow disk
        this.store = new StoreQueue(budget.bytes() / 2, 1000);
        this.metrics = metrics;
    }

    int partBlocks() {
        return partBlocks;
    }

    /**
     * The last block one origin read from {@code index} covers: up to {@code spanLast} (what its reader wants), cut
     * at the end of {@code index}'s part when the version is stored (the next parts are read in parallel, or are a
     * fleet member's), or of its fleet span.
     */
    long runLast(long index, long spanLast, boolean stored) {
        int run = runBlocks != 0 ? runBlocks : stored ? partBlocks : 0;
        return run == 0 ? spanLast : Math.min(spanLast, (index / run + 1) * run - 1);
    }

    /** How many bytes a miss's GET asks for: its first part, or all when parts are off (a fleet asks by span). */
    long firstFetchBytes() {
        return runBlocks != 0 || partBlocks == 0 ? Long.MAX_VALUE : (long) partBlocks * blockSize;
    }

    /** Whether some layer probably holds the block (a hint: see {@link io.layerproxy.Layer#contains}). */
    boolean inSomeLayer(String blockKey) {
        for (GuardedLayer layer : layers) {
            if (layer.contains(blockKey)) {
                return true;
            }
        }
        return false;
    }

    String blockKey(ObjectKey key, ObjectInfo info, long index) {
        return "b:" + blockSize + ":" + index + ":" + version(key, info);
    }

    /** One version of one object, as the store queue condemns it. */
    static String version(ObjectKey key, ObjectInfo info) {
        return info.etag() + ":" + InfoCodec.name(key);
    }

    /** The length of block {@code index} of the version: the block size, less for the last block. */
    int blockLength(ObjectInfo info, long index) {
        return (int) Math.min(blockSize, info.size() - index * blockSize);
    }

    long blockCount(ObjectInfo info) {
        return (info.size() + blockSize - 1) / blockSize;
    }

    /**
     * Queues a write of {@code block} into every layer above {@code belowLayer} that {@link #admits} it (a fill
     * passes the layer count, a promotion the index of the layer the block was found in),
     * then retires {@code flight} (if any): until then readers follow the flight instead of missing. A write the
     * queue has no room for is skipped, and the flight retired at once.
     */
    void store(
            Block block, ObjectKey key, ObjectInfo info, long index, long mark, int belowLayer, Flights.Flight flight) {
        String blockKey = blockKey(key, info, index);
        if (belowLayer == 0) { // stored nowhere: a block for this client and its followers only
            if (flight != null) {
                flights.retire(blockKey, flight);
            }
            return;
        }
        boolean queued = store.write(block, version(key, info), mark, () -> {
            boolean promotion = belowLayer < layers.size();
            for (int i = 0; i < belowLayer; i++) {
                if (admits(i, info, block.length(), promotion)) {
                    layers.get(i).put(blockKey, block.bytes());
                }
            }
        });
        if (flight != null) {
            if (queued) {
                store.run(() -> flights.retire(blockKey, flight));
            } else {
                flights.retire(blockKey, flight);
            }
        }
    }

    /**
     * Whether layer {@code i} takes a block of {@code info}. Objects larger than a layer are not stored in it (they
     * would evict everything else and themselves). Blocks are promoted only into a layer that holds
     * {@link #PROMOTE_MIN_FIT} of them (a smaller one would evict a block per hit). A fill of an object larger than
     * {@link #SCAN_SHARE} of a layer skips it when a slower layer holds the object: the object enters the faster
     * layer when read again (a promotion), so one read of a large object neither pushes a large share of the hot
     * blocks out nor pays the copies of the put and of each eviction it causes (a fifth of a cold stream's CPU,
     * BENCHMARKS.md).
     */
    private boolean admits(int i, ObjectInfo info, int blockLength, boolean promotion) {
        long capacity = layers.get(i).capacity();
        if (info.size() > capacity) {
            return false;
        }
        if (promotion) {
            return (long) blockLength * PROMOTE_MIN_FIT <= capacity;
        }
        return info.size() <= capacity / SCAN_SHARE
                || layers.subList(i + 1, layers.size()).stream().noneMatch(slower -> info.size() <= slower.capacity());
    }

    /**
     * The object is no longer {@code old}: no block of that version is stored from now on (queued writes of fills
     * that started before are skipped), what is stored is removed now, and again after the queued writes.
     */
    void dropVersion(ObjectKey key, ObjectInfo old) {
        store.condemn(version(key, old));
        removeBlocks(key, old);
        store.run(() -> removeBlocks(key, old));
    }

    private void removeBlocks(ObjectKey key, ObjectInfo old) {
        for (long i = 0, n = blockCount(old); i < n; i++) {
            GuardedLayer.removeEverywhere(layers, blockKey(key, old, i));
        }
    }

    @Override
    public void close() {
        readAheadThreads.shutdownNow();
        slowerLayerReaders.shutdownNow();
        store.close();
    }

    /** Background threads that never keep the JVM alive. */
    static ThreadFactory daemon(String name) {
        return runnable -> {
            Thread t = new Thread(runnable, name);
            t.setDaemon(true);
            return t;
        };
    }
}

package io.layerproxy.cache;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Blocks being read from the origin right now (single flight): a reader that misses a block another reader is
 * already fetching waits for those bytes instead of asking the origin again. A block leaves the table once it is
 * stored in the layers, so the table holds no bytes beyond those being handed over or written.
 */
final class Flights {
    /** One origin read: a span of blocks fetched by one leading reader and followed by any number of others. */
    static final class Fill {
        private final AtomicInteger followers = new AtomicInteger();

        void join() {
            followers.incrementAndGet();
        }

        void leave() {
            followers.decrementAndGet();
        }

        /** Whether anyone is waiting on this fill: a leader whose own client left keeps going only then. */
        boolean followed() {
            return followers.get() > 0;
        }
    }

    /**
     * One block of a fill: complete once the leader has read it. The flight holds a reference to the block from
     * then until it is retired (stored), so a follower that takes it with {@link Block#tryRetain} gets live bytes.
     */
    record Flight(Fill fill, CompletableFuture<Block> block) {}

    /** The leader stopped before this block and nobody followed it: the waiter fetches it itself. */
    static final class Abandoned extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Abandoned() {
            super("fill abandoned", null, false, false);
        }
    }

    static final Abandoned ABANDONED = new Abandoned();

    private final ConcurrentHashMap<String, Flight> flights = new ConcurrentHashMap<>();

    Flight get(String blockKey) {
        return flights.get(blockKey);
    }

    /** Registers a new flight for the block; null when another reader got there first. */
    Flight register(String blockKey, Fill fill) {
        Flight mine = new Flight(fill, new CompletableFuture<>());
        return flights.putIfAbsent(blockKey, mine) == null ? mine : null;
    }

    /** Gives the bytes to everyone waiting; the flight stays findable until {@link #retire} (it is being stored). */
    void handOver(Flight flight, Block block) {
        flight.block().complete(block.retain());
    }

    /** The block is in the layers now (or will not be stored): later readers look there. */
    void retire(String blockKey, Flight flight) {
        flights.remove(blockKey, flight);
        Block block = flight.block().getNow(null);
        if (block != null) {
            block.release();
        }
    }

    void fail(String blockKey, Flight flight, RuntimeException why) {
        flights.remove(blockKey, flight);
        flight.block().completeExceptionally(why);
    }

    /** Blocks in flight now (for tests and metrics). */
    int size() {
        return flights.size();
    }
}

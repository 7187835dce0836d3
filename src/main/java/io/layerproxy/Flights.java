package io.layerproxy;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Blocks being read from the origin right now (single flight): a reader that misses a block another reader is
 * already fetching waits for those bytes instead of asking the origin again. A block leaves the table as soon as
 * it is complete (it is in the layers by then), so the table holds no bytes beyond those being handed over.
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

    /** One block of a fill: complete once the leader has read it and stored it. */
    record Flight(Fill fill, CompletableFuture<byte[]> block) {
    }

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

    void complete(String blockKey, Flight flight, byte[] block) {
        flights.remove(blockKey, flight);
        flight.block().complete(block);
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

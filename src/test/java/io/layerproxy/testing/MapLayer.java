package io.layerproxy.testing;

import io.layerproxy.Layer;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * A layer on a map, for fast core tests. Its writes can be stalled ({@link #stallWrites}) until {@link #resume}:
 * a disk that stops keeping up.
 */
public final class MapLayer implements Layer {
    private final String name;
    private final long capacity;
    private final Map<String, byte[]> values = new ConcurrentHashMap<>();
    private final Set<String> blockReaders = ConcurrentHashMap.newKeySet();
    private volatile CountDownLatch gate = new CountDownLatch(0);
    private final CountDownLatch firstStalledWrite = new CountDownLatch(1);

    public MapLayer(String name, long capacity) {
        this.name = name;
        this.capacity = capacity;
    }

    /** From now on every block write waits until {@link #resume} (metadata writes, from the caller, do not). */
    public MapLayer stallWrites() {
        gate = new CountDownLatch(1);
        return this;
    }

    public void resume() {
        gate.countDown();
    }

    /** Waits until a write is held by the stall. */
    public boolean awaitStalledWrite(long seconds) throws InterruptedException {
        return firstStalledWrite.await(seconds, TimeUnit.SECONDS);
    }

    /** The threads that have read blocks from this layer. */
    public Set<String> blockReaderThreads() {
        return Set.copyOf(blockReaders);
    }

    public Set<String> keys() {
        return Set.copyOf(values.keySet());
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long capacity() {
        return capacity;
    }

    @Override
    public ByteBuffer get(String key, IntFunction<ByteBuffer> allocate) {
        if (key.startsWith("b:")) {
            blockReaders.add(Thread.currentThread().getName() + "#"
                    + Thread.currentThread().getId());
        }
        byte[] value = values.get(key);
        if (value == null) {
            return null;
        }
        ByteBuffer into = allocate.apply(value.length);
        int start = into.position();
        into.put(value);
        return into.limit(into.position()).position(start);
    }

    @Override
    public void put(String key, ByteBuffer value) {
        CountDownLatch stall = gate;
        if (stall.getCount() > 0 && key.startsWith("b:")) {
            firstStalledWrite.countDown();
            try {
                stall.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        byte[] bytes = new byte[value.remaining()];
        value.duplicate().get(bytes);
        values.put(key, bytes);
    }

    @Override
    public void remove(String key) {
        values.remove(key);
    }

    @Override
    public void close() {
        resume();
    }
}

package io.layerproxy.layer;

import java.nio.ByteBuffer;
import java.util.function.IntFunction;
import java.util.zip.CRC32C;
import org.ehcache.spi.serialization.Serializer;

/**
 * Ehcache's view of a layer value: the bytes of a {@link ByteBuffer}, copied out of the store straight into the
 * buffer the reader supplied (a pooled block buffer), so a hit copies once and allocates nothing of its own.
 *
 * <p>The checksummed form (disk) stores each value behind its length and CRC32C and reads back {@link #DAMAGED}
 * when they do not match: Ehcache's disk store returns whatever the file holds, and after a crash, a full disk or
 * a flipped bit that is wrong bytes, which a cache must never serve.
 */
final class BufferSerializer implements Serializer<ByteBuffer> {
    /** What {@link #read} returns for a value that does not verify; compared by identity. */
    static final ByteBuffer DAMAGED = ByteBuffer.allocate(0);

    private static final int HEADER = Integer.BYTES * 2;
    /** Values at least this large are framed in a per-thread staging buffer instead of a new array each time. */
    private static final int STAGE_FROM = 64 << 10;
    /** Where the value read by this thread's {@code Cache.get} goes; a new heap buffer when unset. */
    private static final ThreadLocal<IntFunction<ByteBuffer>> TARGET = new ThreadLocal<>();

    private static final ThreadLocal<ByteBuffer> STAGING = new ThreadLocal<>();

    private final boolean checksummed;

    BufferSerializer(boolean checksummed) {
        this.checksummed = checksummed;
    }

    /** Runs {@code read} (a {@code Cache.get}) with its value copied into a buffer from {@code allocate}. */
    static <T> T readingInto(IntFunction<ByteBuffer> allocate, java.util.function.Supplier<T> read) {
        IntFunction<ByteBuffer> before = TARGET.get();
        TARGET.set(allocate);
        try {
            return read.get();
        } finally {
            if (before == null) {
                TARGET.remove(); // nothing of ours stays on a container's request thread after undeploy
            } else {
                TARGET.set(before);
            }
        }
    }

    @Override
    public ByteBuffer serialize(ByteBuffer value) {
        if (!checksummed) {
            return value.duplicate(); // the off-heap store copies it before put returns
        }
        int length = value.remaining();
        // disk writes are synchronous (SynchronousWrites), so the staging buffer is free again when put returns
        ByteBuffer out = length >= STAGE_FROM ? staging(HEADER + length) : ByteBuffer.allocate(HEADER + length);
        out.putInt(length).putInt(crc(value.duplicate())).put(value.duplicate());
        return out.flip();
    }

    private static ByteBuffer staging(int capacity) {
        ByteBuffer buffer = STAGING.get();
        if (buffer == null || buffer.capacity() < capacity) {
            buffer = ByteBuffer.allocateDirect(capacity);
            STAGING.set(buffer);
        }
        return buffer.clear();
    }

    @Override
    public ByteBuffer read(ByteBuffer binary) {
        int length = binary.remaining();
        if (checksummed) {
            if (binary.remaining() < HEADER) {
                return DAMAGED;
            }
            length = binary.getInt();
            int expected = binary.getInt();
            if (length != binary.remaining() || crc(binary.duplicate()) != expected) {
                return DAMAGED;
            }
        }
        IntFunction<ByteBuffer> target = TARGET.get();
        ByteBuffer into = target == null ? ByteBuffer.allocate(length) : target.apply(length);
        int start = into.position();
        into.put(binary);
        return into.limit(into.position()).position(start);
    }

    @Override
    public boolean equals(ByteBuffer value, ByteBuffer binary) {
        ByteBuffer stored = readingInto(null, () -> read(binary));
        return stored != DAMAGED && value.equals(stored);
    }

    private static int crc(ByteBuffer bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        return (int) crc.getValue();
    }
}

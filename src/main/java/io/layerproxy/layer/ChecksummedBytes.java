package io.layerproxy.layer;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;
import org.ehcache.spi.serialization.Serializer;

/**
 * Stores each disk value with its length and CRC32C, and reads back {@link #DAMAGED} when they do not match. Ehcache's
 * disk store returns whatever the file holds: after a crash, a full disk or a flipped bit it hands back wrong bytes,
 * and a cache must never serve wrong bytes.
 */
final class ChecksummedBytes implements Serializer<byte[]> {
    /** What {@link #read} returns for a value that does not verify; compared by identity. */
    static final byte[] DAMAGED = new byte[0];
    private static final int HEADER = Integer.BYTES * 2;

    @Override
    public ByteBuffer serialize(byte[] value) {
        ByteBuffer out = ByteBuffer.allocate(HEADER + value.length);
        out.putInt(value.length).putInt(crc(ByteBuffer.wrap(value))).put(value);
        return out.flip();
    }

    @Override
    public byte[] read(ByteBuffer binary) {
        if (binary.remaining() < HEADER) {
            return DAMAGED;
        }
        int length = binary.getInt();
        int expected = binary.getInt();
        if (length != binary.remaining() || crc(binary.duplicate()) != expected) {
            return DAMAGED;
        }
        byte[] value = new byte[length];
        binary.get(value);
        return value;
    }

    @Override
    public boolean equals(byte[] value, ByteBuffer binary) {
        byte[] stored = read(binary);
        return stored != DAMAGED && java.util.Arrays.equals(value, stored);
    }

    private static int crc(ByteBuffer bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        return (int) crc.getValue();
    }
}

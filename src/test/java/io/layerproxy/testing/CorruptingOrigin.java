package io.layerproxy.testing;

import io.layerproxy.ObjectInfo;
import io.layerproxy.ObjectKey;
import io.layerproxy.Origin;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/** A fault-injecting origin: bodies have the right length, but the byte at {@code offset} of each read is flipped. */
public final class CorruptingOrigin extends ForwardingOrigin {
    private final long offset;

    public CorruptingOrigin(Origin origin, long offset) {
        super(origin);
        this.offset = offset;
    }

    @Override
    public InputStream read(ObjectKey key, ObjectInfo version, long first, long last) {
        return new FilterInputStream(origin.read(key, version, first, last)) {
            private long position;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n > 0 && offset >= position && offset < position + n) {
                    b[off + (int) (offset - position)] ^= 0x5A;
                }
                position += Math.max(n, 0);
                return n;
            }
        };
    }
}

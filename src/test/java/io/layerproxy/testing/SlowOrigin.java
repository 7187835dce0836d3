package io.layerproxy.testing;

import io.layerproxy.ObjectInfo;
import io.layerproxy.ObjectKey;
import io.layerproxy.Origin;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicInteger;

/** A fault-injecting origin: bodies arrive slowly (a pause per read), and early closes are counted. */
public final class SlowOrigin extends ForwardingOrigin {
    private final long pauseMillis;
    private final AtomicInteger closedEarly = new AtomicInteger();

    public SlowOrigin(Origin origin, long pauseMillis) {
        super(origin);
        this.pauseMillis = pauseMillis;
    }

    /** Bodies closed before their last byte: fills that were cancelled. */
    public int closedEarly() {
        return closedEarly.get();
    }

    @Override
    public InputStream read(ObjectKey key, ObjectInfo version, long first, long last) {
        long length = last - first + 1;
        return new FilterInputStream(origin.read(key, version, first, last)) {
            private long remaining = length;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                try {
                    Thread.sleep(pauseMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException(e);
                }
                int n = super.read(b, off, Math.min(len, 16 * 1024));
                if (n > 0) {
                    remaining -= n;
                }
                return n;
            }

            @Override
            public void close() throws IOException {
                if (remaining > 0) {
                    closedEarly.incrementAndGet();
                }
                super.close();
            }
        };
    }
}

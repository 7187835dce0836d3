package io.layerproxy.testing;

import io.layerproxy.ObjectInfo;
import io.layerproxy.ObjectKey;
import io.layerproxy.Origin;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/** A fault-injecting origin: bodies arrive slowly (a pause per read), and early closes are counted. */
public final class SlowOrigin implements Origin {
    private final Origin origin;
    private final long pauseMillis;
    private final AtomicInteger closedEarly = new AtomicInteger();

    public SlowOrigin(Origin origin, long pauseMillis) {
        this.origin = origin;
        this.pauseMillis = pauseMillis;
    }

    /** Bodies closed before their last byte: fills that were cancelled. */
    public int closedEarly() {
        return closedEarly.get();
    }

    @Override
    public ObjectInfo head(ObjectKey key) {
        return origin.head(key);
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

    @Override
    public void list(String bucket, String prefix, Consumer<Listed> each) {
        origin.list(bucket, prefix, each);
    }

    @Override
    public void close() {
        origin.close();
    }
}

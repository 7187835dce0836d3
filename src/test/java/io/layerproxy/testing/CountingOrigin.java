package io.layerproxy.testing;

import io.layerproxy.ObjectInfo;
import io.layerproxy.ObjectKey;
import io.layerproxy.Origin;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicInteger;

/** Counts the requests a real origin receives; it passes every call through unchanged. */
public final class CountingOrigin implements Origin {
    private final Origin origin;
    private final AtomicInteger heads = new AtomicInteger();
    private final AtomicInteger reads = new AtomicInteger();

    public CountingOrigin(Origin origin) {
        this.origin = origin;
    }

    public int heads() {
        return heads.get();
    }

    public int reads() {
        return reads.get();
    }

    public int requests() {
        return heads() + reads();
    }

    @Override
    public ObjectInfo head(ObjectKey key) {
        heads.incrementAndGet();
        return origin.head(key);
    }

    @Override
    public InputStream read(ObjectKey key, String etag, long first, long last) {
        reads.incrementAndGet();
        return origin.read(key, etag, first, last);
    }

    @Override
    public void close() {
        origin.close();
    }
}

package io.layerproxy.testing;

import io.layerproxy.ObjectInfo;
import io.layerproxy.ObjectKey;
import io.layerproxy.Origin;
import java.io.InputStream;
import org.apache.commons.io.input.BoundedInputStream;

/** A fault-injecting origin: every body read from the real origin ends after {@code limit} bytes. */
public final class TruncatingOrigin implements Origin {
    private final Origin origin;
    private final long limit;

    public TruncatingOrigin(Origin origin, long limit) {
        this.origin = origin;
        this.limit = limit;
    }

    @Override
    public ObjectInfo head(ObjectKey key) {
        return origin.head(key);
    }

    @Override
    public InputStream read(ObjectKey key, ObjectInfo version, long first, long last) {
        try {
            return BoundedInputStream.builder().setInputStream(origin.read(key, version, first, last))
                    .setMaxCount(limit).get();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public void list(String bucket, String prefix, java.util.function.Consumer<Listed> each) {
        origin.list(bucket, prefix, each);
    }

    @Override
    public void close() {
        origin.close();
    }
}

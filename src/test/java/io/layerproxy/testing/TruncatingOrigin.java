package io.layerproxy.testing;

import io.layerproxy.ObjectInfo;
import io.layerproxy.ObjectKey;
import io.layerproxy.Origin;
import java.io.InputStream;
import org.apache.commons.io.input.BoundedInputStream;

/** A fault-injecting origin: every body read from the real origin ends after {@code limit} bytes. */
public final class TruncatingOrigin extends ForwardingOrigin {
    private final long limit;

    public TruncatingOrigin(Origin origin, long limit) {
        super(origin);
        this.limit = limit;
    }

    @Override
    public InputStream read(ObjectKey key, ObjectInfo version, long first, long last) {
        try {
            return BoundedInputStream.builder()
                    .setInputStream(origin.read(key, version, first, last))
                    .setMaxCount(limit)
                    .get();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}

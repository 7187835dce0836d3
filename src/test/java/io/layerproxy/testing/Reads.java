package io.layerproxy.testing;

import io.layerproxy.CachedObject;
import io.layerproxy.LayerProxy;
import io.layerproxy.ObjectBody;
import io.layerproxy.ObjectKey;
import io.layerproxy.ReadSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/** A whole object or a range read through the library API into an array, as the core tests compare them. */
public final class Reads {
    private Reads() {}

    /** A plain GET: {@link ReadSpec#WHOLE}, the body the metadata came with when it was a miss. */
    public static byte[] whole(LayerProxy proxy, ObjectKey key) {
        try (CachedObject object = proxy.read(key, ReadSpec.WHOLE);
                ObjectBody body = object.openWhole()) {
            return bytes(body);
        }
    }

    /** Bytes {@code [start, end)} of the current version, its metadata read first. */
    public static byte[] range(LayerProxy proxy, ObjectKey key, long start, long end) {
        try (CachedObject object = proxy.read(key, ReadSpec.METADATA);
                ObjectBody body = object.open(start, end)) {
            return bytes(body);
        }
    }

    private static byte[] bytes(ObjectBody body) {
        var out = new ByteArrayOutputStream();
        try {
            body.writeTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // cannot happen: the sink never fails
        }
        return out.toByteArray();
    }
}

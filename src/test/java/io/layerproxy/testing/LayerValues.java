package io.layerproxy.testing;

import io.layerproxy.Layer;
import java.nio.ByteBuffer;

/** Array-valued access to a {@link Layer}, for tests that store and compare whole values. */
public final class LayerValues {
    private LayerValues() {}

    public static byte[] get(Layer layer, String key) {
        ByteBuffer value = layer.get(key, ByteBuffer::allocate);
        if (value == null) {
            return null;
        }
        byte[] bytes = new byte[value.remaining()];
        value.get(bytes);
        return bytes;
    }

    public static void put(Layer layer, String key, byte[] value) {
        layer.put(key, ByteBuffer.wrap(value));
    }
}

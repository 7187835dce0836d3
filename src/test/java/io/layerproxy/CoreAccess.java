package io.layerproxy;

import io.layerproxy.cache.ReadCore;

/** The core behind a {@link LayerProxy}, for tests of the core's internals in {@code io.layerproxy.cache}. */
public final class CoreAccess {
    private CoreAccess() {}

    public static ReadCore core(LayerProxy proxy) {
        return proxy.core();
    }
}

package io.layerproxy.testing;

import io.layerproxy.ObjectInfo;
import io.layerproxy.ObjectKey;
import io.layerproxy.Origin;
import java.io.InputStream;
import java.util.function.Consumer;

/**
 * An origin that passes every call to a real one; the fault-injecting and counting origins override a few.
 * {@link #fetch} is not passed on: Origin's default sends it through this origin's own {@link #head} and
 * {@link #read}, so the faults a subclass injects there apply to the one-GET misses too.
 */
public abstract class ForwardingOrigin implements Origin {
    protected final Origin origin;

    protected ForwardingOrigin(Origin origin) {
        this.origin = origin;
    }

    @Override
    public ObjectInfo head(ObjectKey key) {
        return origin.head(key);
    }

    @Override
    public ObjectInfo revalidate(ObjectKey key, ObjectInfo cached) {
        return origin.revalidate(key, cached);
    }

    @Override
    public InputStream read(ObjectKey key, ObjectInfo version, long first, long last) {
        return origin.read(key, version, first, last);
    }

    @Override
    public void list(String bucket, String prefix, Consumer<Listed> each) {
        origin.list(bucket, prefix, each);
    }

    @Override
    public ListPage listPage(ListRequest request) {
        return origin.listPage(request);
    }

    @Override
    public void close() {
        origin.close();
    }
}

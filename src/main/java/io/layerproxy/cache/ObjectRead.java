package io.layerproxy.cache;

import io.layerproxy.CachedObject;
import io.layerproxy.ObjectBody;
import io.layerproxy.ObjectInfo;
import io.layerproxy.ObjectKey;
import io.layerproxy.OriginException;
import io.layerproxy.ReadSpec;

/**
 * One read's answer ({@link CachedObject}): the metadata lookup's result and, for a {@link ReadSpec#WHOLE} read of
 * uncached metadata, the body of the GET that brought it. Opening bytes and the changed-version retry happen here,
 * so HTTP code never sees a half-open lookup.
 */
final class ObjectRead implements CachedObject {
    private final ReadCore core;
    private final ObjectKey key;
    private final ObjectInfo info;
    private final String source;
    private final boolean stale;
    private final boolean refreshing;
    /** The whole body fetched with the metadata, until {@link #openWhole()} takes it or {@link #close()} drops it. */
    private BlockReader body;

    ObjectRead(ReadCore core, ObjectKey key, ObjectInfo info, String source, boolean stale, BlockReader body) {
        this(core, key, info, source, stale, body, false);
    }

    ObjectRead(
            ReadCore core,
            ObjectKey key,
            ObjectInfo info,
            String source,
            boolean stale,
            BlockReader body,
            boolean refreshing) {
        this.refreshing = refreshing;
        this.core = core;
        this.key = key;
        this.info = info;
        this.source = source;
        this.stale = stale;
        this.body = body;
    }

    static ObjectRead missing(ReadCore core, ObjectKey key, String source) {
        return new ObjectRead(core, key, null, source, false, null);
    }

    @Override
    public boolean found() {
        return info != null;
    }

    @Override
    public ObjectInfo info() {
        if (info == null) {
            throw new IllegalStateException(key + " was not found");
        }
        return info;
    }

    @Override
    public String source() {
        return source;
    }

    @Override
    public boolean stale() {
        return stale;
    }

    @Override
    public java.time.Duration age() {
        return info == null ? java.time.Duration.ZERO : core.age(info);
    }

    @Override
    public boolean refreshing() {
        return refreshing;
    }

    @Override
    public ObjectBody open(long start, long end) {
        return core.open(key, info(), start, end);
    }

    @Override
    public ObjectBody openWhole() {
        if (body != null) {
            BlockReader taken = body;
            body = null;
            taken.readFirstBlock(); // after the metadata's flight ended: its waiters follow this fill by now
            return taken;
        }
        try {
            return open(0, info().size());
        } catch (OriginException e) {
            if (e.kind() != OriginException.Kind.CHANGED) {
                throw e;
            }
        }
        // the fill dropped the old version; whoever asks next gets the new one, once
        try (CachedObject again = core.read(key, ReadSpec.METADATA)) {
            return again.found() ? again.open(0, again.info().size()) : null;
        }
    }

    @Override
    public void close() {
        if (body != null) {
            body.close();
            body = null;
        }
    }
}

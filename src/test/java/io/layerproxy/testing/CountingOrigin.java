package io.layerproxy.testing;

import io.layerproxy.ObjectInfo;
import io.layerproxy.ObjectKey;
import io.layerproxy.Origin;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/** Counts the requests a real origin receives; it passes every call through unchanged. */
public final class CountingOrigin extends ForwardingOrigin {
    private final AtomicInteger heads = new AtomicInteger();
    private final AtomicInteger reads = new AtomicInteger();
    private final AtomicInteger fetches = new AtomicInteger();
    private final AtomicInteger lists = new AtomicInteger();
    private final AtomicInteger revalidations = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicLong bytesAsked = new java.util.concurrent.atomic.AtomicLong();

    public CountingOrigin(Origin origin) {
        super(origin);
    }

    public int heads() {
        return heads.get();
    }

    public int reads() {
        return reads.get();
    }

    /** GETs of a whole object with its metadata (a miss), apart from {@link #reads()} of a known version. */
    public int fetches() {
        return fetches.get();
    }

    /** Conditional HEADs, a part of {@link #heads()}. */
    public int revalidations() {
        return revalidations.get();
    }

    /** Bytes asked of the origin by ranged reads and whole-object fetches, summed. */
    public long bytesAsked() {
        return bytesAsked.get();
    }

    public int lists() {
        return lists.get();
    }

    /** HEADs (plain and conditional) and GETs of both kinds; listings are counted apart. */
    public int requests() {
        return heads() + reads() + fetches();
    }

    @Override
    public Fetched fetch(ObjectKey key, long firstBytes) {
        fetches.incrementAndGet();
        Fetched fetched = origin.fetch(key, firstBytes);
        if (fetched != null) {
            bytesAsked.addAndGet(fetched.length());
        }
        return fetched;
    }

    @Override
    public Fetched fetch(ObjectKey key) {
        fetches.incrementAndGet();
        Fetched fetched = origin.fetch(key);
        if (fetched != null) {
            bytesAsked.addAndGet(fetched.info().size());
        }
        return fetched;
    }

    @Override
    public ObjectInfo head(ObjectKey key) {
        heads.incrementAndGet();
        return origin.head(key);
    }

    @Override
    public ObjectInfo revalidate(ObjectKey key, ObjectInfo cached) {
        heads.incrementAndGet();
        revalidations.incrementAndGet();
        return origin.revalidate(key, cached);
    }

    @Override
    public void list(String bucket, String prefix, Consumer<Listed> each) {
        lists.incrementAndGet();
        origin.list(bucket, prefix, each);
    }

    @Override
    public ListPage listPage(ListRequest request) {
        lists.incrementAndGet();
        return origin.listPage(request);
    }

    @Override
    public InputStream read(ObjectKey key, ObjectInfo version, long first, long last) {
        reads.incrementAndGet();
        bytesAsked.addAndGet(last - first + 1);
        return origin.read(key, version, first, last);
    }
}

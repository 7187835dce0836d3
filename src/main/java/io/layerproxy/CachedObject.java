package io.layerproxy;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The answer of one {@link LayerProxy#read}: the object's metadata, or that it does not exist; where that came
 * from; whether it is a stale copy; and its bytes, opened on demand. Close it in all cases: a
 * {@link ReadSpec#WHOLE} read may hold an open origin body that nobody asked for (an empty object, a precondition
 * that failed).
 */
public interface CachedObject extends AutoCloseable {
    /** False when the object (or its bucket) does not exist, or its bucket is outside the allowlist. */
    boolean found();

    /** The version found; only when {@link #found()}. */
    ObjectInfo info();

    /**
     * Where the metadata (or the "does not exist") came from: a layer's name, {@link LayerProxy#ORIGIN}, or
     * {@link LayerProxy#ALLOWLIST} for a bucket the proxy does not serve.
     */
    String source();

    /** True when {@link #source()} is a local layer (a cache hit). */
    default boolean hit() {
        return !LayerProxy.ORIGIN.equals(source()) && !LayerProxy.ALLOWLIST.equals(source());
    }

    /**
     * A copy past its freshness, served because the origin failed to revalidate it (stale-if-error) or while it
     * is being revalidated in the background ({@link #refreshing()}, stale-while-revalidate).
     */
    boolean stale();

    /**
     * How long ago the origin last confirmed the version (RFC 9111 §5.1's {@code Age} of a cached answer), by the
     * proxy's clock; zero for one the origin answered just now.
     */
    default Duration age() {
        return Duration.ZERO;
    }

    /** A stale copy served at once while one background revalidation refreshes it (stale-while-revalidate). */
    default boolean refreshing() {
        return false;
    }

    /**
     * Bytes {@code [start, end)} of exactly the version {@link #info()} describes, its first block read before this
     * returns (errors come before any header). Throws {@link OriginException} of kind
     * {@link OriginException.Kind#CHANGED} when the object changed since: a range of the old version cannot be
     * answered with bytes of the new one.
     */
    ObjectBody open(long start, long end);

    /**
     * The whole object, its first block read: the body the metadata came with when there was one, else a new read.
     * When the object changed since its metadata was read, the read starts over once with the new version
     * ({@link ObjectBody#info()} says which). Null when the object was deleted meanwhile.
     */
    @Nullable
    ObjectBody openWhole();

    /** Closes a body opened with the metadata and not taken by {@link #openWhole()}; harmless twice. */
    @Override
    void close();
}

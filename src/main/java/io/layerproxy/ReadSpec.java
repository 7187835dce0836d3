package io.layerproxy;

/**
 * What a {@link LayerProxy#read} is for, so the core can pick the cheapest origin requests.
 *
 * @param wholeBody the whole object's bytes are wanted whatever its metadata says (a plain GET: no range, no
 *                  precondition): when the metadata is not cached, one origin GET answers both, and the
 *                  {@link CachedObject#openWhole()} body is that GET's. Otherwise (HEAD, ranges, conditional
 *                  requests) the metadata is read first and bytes only if {@link CachedObject#open} asks.
 * @param revalidate a cached version, fresh or not, is confirmed with the origin first (a client's
 *                  {@code Cache-Control: no-cache}); concurrent revalidations of a key share one request
 */
public record ReadSpec(boolean wholeBody, boolean revalidate) {
    public ReadSpec(boolean wholeBody) {
        this(wholeBody, false);
    }

    /** The same read, confirming a cached version with the origin first. */
    public ReadSpec revalidating() {
        return new ReadSpec(wholeBody, true);
    }

    /** The metadata first; bytes later, if at all (HEAD, ranges, conditional requests, listings). */
    public static final ReadSpec METADATA = new ReadSpec(false);
    /** The whole object (an unconditional GET without a range). */
    public static final ReadSpec WHOLE = new ReadSpec(true);
}

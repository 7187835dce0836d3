package io.layerproxy;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * What S3 said about one version of an object: its size, its ETag (the version's identity in block keys),
 * and the headers a client receives with it.
 *
 * @param size         length in bytes
 * @param etag         the ETag exactly as S3 returned it, quotes included
 * @param lastModified S3's Last-Modified, or null when S3 sent none
 * @param contentType  S3's Content-Type, or null when S3 sent none
 * @param headers      the other headers passed through as S3 returned them ({@code Cache-Control},
 *                     {@code Content-Encoding}, {@code Content-Disposition}, {@code Content-Language},
 *                     {@code Expires}, {@code x-amz-meta-*}); names as sent to clients
 * @param validatedAt  when the origin last confirmed this version; metadata older than max-age is revalidated
 */
public record ObjectInfo(
        long size,
        String etag,
        @Nullable Instant lastModified,
        @Nullable String contentType,
        Map<String, String> headers,
        Instant validatedAt) {
    public ObjectInfo {
        if (size < 0) {
            throw new IllegalArgumentException("size must be >= 0, was: " + size);
        }
        Objects.requireNonNull(etag, "etag");
        Objects.requireNonNull(validatedAt, "validatedAt");
        headers = java.util.Collections.unmodifiableMap(new TreeMap<>(headers));
    }

    /** The same version, confirmed by the origin at {@code when}. */
    public ObjectInfo validatedAt(Instant when) {
        return new ObjectInfo(size, etag, lastModified, contentType, headers, when);
    }

    /** True when both describe the same bytes: same ETag and same size. */
    public boolean sameVersionAs(@Nullable ObjectInfo other) {
        return other != null && etag.equals(other.etag) && size == other.size;
    }
}

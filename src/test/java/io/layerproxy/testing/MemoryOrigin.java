package io.layerproxy.testing;

import io.layerproxy.ObjectInfo;
import io.layerproxy.ObjectKey;
import io.layerproxy.Origin;
import io.layerproxy.OriginException;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * An origin held in memory, for fast core tests: single-part ETags (the MD5 of the bytes, as S3 gives them), reads
 * of exactly the asked version ({@code CHANGED} otherwise), and counts of what was asked.
 */
public final class MemoryOrigin implements Origin {
    private final Map<ObjectKey, byte[]> objects = new ConcurrentHashMap<>();
    private final AtomicInteger heads = new AtomicInteger();
    private final AtomicInteger reads = new AtomicInteger();

    public MemoryOrigin put(ObjectKey key, byte[] bytes) {
        objects.put(key, bytes.clone());
        return this;
    }

    /** The object is deleted. */
    public MemoryOrigin remove(ObjectKey key) {
        objects.remove(key);
        return this;
    }

    public static String etag(byte[] bytes) {
        try {
            return "\""
                    + HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes)) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public ObjectInfo head(ObjectKey key) {
        heads.incrementAndGet();
        byte[] bytes = objects.get(key);
        return bytes == null
                ? null
                : new ObjectInfo(
                        bytes.length, etag(bytes), Instant.EPOCH, "application/octet-stream", Map.of(), Instant.now());
    }

    @Override
    public InputStream read(ObjectKey key, ObjectInfo version, long first, long last) {
        reads.incrementAndGet();
        byte[] bytes = objects.get(key);
        if (bytes == null || !etag(bytes).equals(version.etag())) {
            throw new OriginException(OriginException.Kind.CHANGED, key + " is no longer " + version.etag());
        }
        return new ByteArrayInputStream(bytes, (int) first, (int) (last - first + 1));
    }

    /** HEADs asked (a cold GET asks one HEAD and one read here: this origin keeps the default fetch). */
    public int heads() {
        return heads.get();
    }

    /** Ranged reads of bytes asked. */
    public int reads() {
        return reads.get();
    }

    @Override
    public void list(String bucket, String prefix, Consumer<Listed> each) {
        objects.keySet().stream()
                .filter(k -> k.versionId() == null
                        && k.bucket().equals(bucket)
                        && k.key().startsWith(prefix))
                .sorted(java.util.Comparator.comparing(ObjectKey::key))
                .forEach(k -> each.accept(new Listed(k, etag(objects.get(k)), objects.get(k).length)));
    }

    @Override
    public void close() {}
}

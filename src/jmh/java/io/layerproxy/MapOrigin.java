package io.layerproxy;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/** An origin held in memory, for benchmarks of the layers' hit path (which never reaches it once warm). */
final class MapOrigin implements Origin {
    private final Map<ObjectKey, byte[]> objects = new ConcurrentHashMap<>();

    MapOrigin put(ObjectKey key, byte[] bytes) {
        objects.put(key, bytes);
        return this;
    }

    @Override
    public ObjectInfo head(ObjectKey key) {
        byte[] bytes = objects.get(key);
        return bytes == null
                ? null
                : new ObjectInfo(
                        bytes.length,
                        "\"v1-" + key.key() + "\"",
                        Instant.EPOCH,
                        "application/octet-stream",
                        Map.of("Cache-Control", "max-age=60"),
                        Instant.now());
    }

    @Override
    public InputStream read(ObjectKey key, ObjectInfo version, long first, long last) {
        return new ByteArrayInputStream(objects.get(key), (int) first, (int) (last - first + 1));
    }

    @Override
    public void list(String bucket, String prefix, Consumer<Listed> each) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void close() {}
}

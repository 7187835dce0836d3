package io.layerproxy.cache;

import io.layerproxy.ObjectInfo;
import io.layerproxy.ObjectKey;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** Serializes {@link ObjectInfo} for layers, which store bytes. A value that does not decode is a miss. */
final class InfoCodec {
    private static final int FORMAT = 0x4C500001; // "LP" + format version 1
    private static final int MISSING = 0x4C50004E; // "LP" + 'N': the key did not exist at a time

    private InfoCodec() {}

    static byte[] encode(ObjectInfo info) {
        var bytes = new ByteArrayOutputStream(256);
        try (var out = new DataOutputStream(bytes)) {
            out.writeInt(FORMAT);
            out.writeLong(info.size());
            out.writeUTF(info.etag());
            out.writeLong(
                    info.lastModified() == null
                            ? Long.MIN_VALUE
                            : info.lastModified().toEpochMilli());
            out.writeBoolean(info.contentType() != null);
            if (info.contentType() != null) {
                out.writeUTF(info.contentType());
            }
            out.writeInt(info.headers().size());
            for (Map.Entry<String, String> h : info.headers().entrySet()) {
                out.writeUTF(h.getKey());
                out.writeUTF(h.getValue());
            }
            out.writeLong(info.validatedAt().toEpochMilli());
        } catch (IOException e) {
            throw new UncheckedIOException(e); // cannot happen writing to memory
        }
        return bytes.toByteArray();
    }

    /**
     * When a negative entry was recorded, or null when the bytes are not one. Only disk stores of earlier versions
     * hold them: "does not exist" now lives in {@link NegativeCache}, outside the layers.
     */
    static Instant decodeMissing(byte[] bytes) {
        if (bytes.length != 12) {
            return null;
        }
        var buffer = java.nio.ByteBuffer.wrap(bytes);
        return buffer.getInt() == MISSING ? Instant.ofEpochMilli(buffer.getLong()) : null;
    }

    /** The decoded info, or null when the bytes are not a complete value of this format. */
    static ObjectInfo decode(byte[] bytes) {
        try (var in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            if (in.readInt() != FORMAT) {
                return null;
            }
            long size = in.readLong();
            String etag = in.readUTF();
            long modified = in.readLong();
            String type = in.readBoolean() ? in.readUTF() : null;
            int count = in.readInt();
            if (count < 0 || count > 1000) {
                return null;
            }
            Map<String, String> headers = new LinkedHashMap<>();
            for (int i = 0; i < count; i++) {
                headers.put(in.readUTF(), in.readUTF());
            }
            Instant validatedAt = Instant.ofEpochMilli(in.readLong());
            if (in.read() != -1) {
                return null;
            }
            return new ObjectInfo(
                    size,
                    etag,
                    modified == Long.MIN_VALUE ? null : Instant.ofEpochMilli(modified),
                    type,
                    headers,
                    validatedAt);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    static String metaKey(ObjectKey key) {
        return "m:" + name(key);
    }

    /**
     * The object's name in the layers' keys: a version id goes behind a control character, which no S3 key holds,
     * so key {@code a?versionId=1} and version 1 of {@code a} never share an entry.
     */
    static String name(ObjectKey key) {
        String name = key.bucket() + "/" + key.key();
        return key.versionId() == null ? name : name + '\u0001' + key.versionId();
    }

    static String unquote(String etag) {
        return etag.length() >= 2 && etag.startsWith("\"") && etag.endsWith("\"")
                ? etag.substring(1, etag.length() - 1)
                : etag;
    }
}

package io.layerproxy.http;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where a reader writes block bytes. A stream that is a sink itself (the access log's counting stream), or a
 * servlet output stream that takes a {@link ByteBuffer} (Jetty's {@code HttpOutput}, Tomcat's
 * {@code CoyoteOutputStream}; Servlet 6.1 makes it standard) gets the pooled direct buffer as it is, so a hit is
 * copied once, from the layer into the buffer that goes to the socket. Any other stream gets the bytes through a
 * small array of the sink's own, 16 KiB at a time. Internal, not API.
 */
public interface BufferSink {
    /** Writes the remaining bytes of {@code bytes}. */
    void write(ByteBuffer bytes) throws IOException;

    /** Each output stream class's public {@code write(ByteBuffer)}, or null when it has none. */
    static MethodHandle bufferWriter(Class<?> type) {
        return Writers.FOUND.computeIfAbsent(type, Writers::find).orElse(null);
    }

    /**
     * The lookups, cached in a map of our own: a {@code ClassValue} stores its value on the container's class, which
     * would keep a webapp's classes alive after it is undeployed.
     */
    final class Writers {
        private static final Map<Class<?>, Optional<MethodHandle>> FOUND = new ConcurrentHashMap<>();

        private Writers() {}

        /**
         * Looked up on the class or its nearest public superclass: a lookup on a non-public class fails, which once
         * sent every hit through the array copies unnoticed.
         */
        private static Optional<MethodHandle> find(Class<?> type) {
            for (Class<?> c = type; c != null; c = c.getSuperclass()) {
                if (!java.lang.reflect.Modifier.isPublic(c.getModifiers())) {
                    continue;
                }
                try {
                    return Optional.of(MethodHandles.publicLookup()
                            .findVirtual(c, "write", MethodType.methodType(void.class, ByteBuffer.class))
                            .asType(MethodType.methodType(void.class, OutputStream.class, ByteBuffer.class)));
                } catch (NoSuchMethodException | IllegalAccessException e) {
                    return Optional.empty();
                }
            }
            return Optional.empty();
        }
    }

    static BufferSink of(OutputStream out) {
        if (out instanceof BufferSink sink) {
            return sink;
        }
        MethodHandle writer = bufferWriter(out.getClass());
        if (writer != null) {
            return bytes -> {
                try {
                    writer.invokeExact(out, bytes);
                } catch (IOException | RuntimeException | Error e) {
                    throw e;
                } catch (Throwable e) {
                    throw new IOException(e);
                }
            };
        }
        byte[] chunk = new byte[16 << 10];
        return bytes -> {
            while (bytes.hasRemaining()) {
                int n = Math.min(chunk.length, bytes.remaining());
                bytes.get(chunk, 0, n);
                out.write(chunk, 0, n);
            }
        };
    }
}

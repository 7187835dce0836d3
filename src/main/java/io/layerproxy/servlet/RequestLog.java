package io.layerproxy.servlet;

import io.layerproxy.http.BufferSink;
import io.layerproxy.ops.StatusPage;
import io.layerproxy.ops.TopKeys;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What each request the filter served did: the meters {@code layerproxy.requests} (by route, status and the layer
 * the first byte came from) and {@code layerproxy.served.bytes} (by layer), and one access-log line at INFO on the
 * logger {@code io.layerproxy.access}: remote address, method, target, status, bytes, layer, milliseconds.
 */
final class RequestLog {
    static final Logger ACCESS = LoggerFactory.getLogger("io.layerproxy.access");
    /** Routes whose requests are counted but logged only at DEBUG (scrapes and probes would drown the rest). */
    static final String OPS = "ops";

    private final MeterRegistry registry;
    /** Meters per tag combination, so a request costs a map lookup, not a meter registration. */
    private final ConcurrentHashMap<Tags, Counter> requests = new ConcurrentHashMap<>();

    private final ConcurrentHashMap<String, Counter> served = new ConcurrentHashMap<>();

    private record Tags(String route, int status, String layer) {}

    /** The request attribute naming the layer the answer's first byte came from. */
    private static final String LAYER = RequestLog.class.getName() + ".layer";

    /** Notes where the answer's first byte (or, without a body, its metadata) came from, for the log and meters. */
    static void noteLayer(HttpServletRequest req, String layer) {
        req.setAttribute(LAYER, layer);
    }

    /** Answers below this many bytes are sampled into the top objects (see {@link #record}). */
    static final int SMALL_ANSWER = 16 << 10;

    static final int SAMPLE_SMALL = 16;

    /** The objects that cost the most bytes served (a bounded sketch), for the status page. */
    private final TopKeys servedKeys = new TopKeys();

    RequestLog(MeterRegistry registry) {
        this.registry = registry;
    }

    TopKeys servedKeys() {
        return servedKeys;
    }

    /** The requests counted so far, from this log's own counters. */
    StatusPage.Requests stats() {
        long total = 0;
        Map<String, Long> byClass = new TreeMap<>();
        for (String klass : new String[] {"2xx", "3xx", "4xx", "5xx"}) {
            byClass.put(klass, 0L);
        }
        for (Map.Entry<Tags, Counter> counted : requests.entrySet()) {
            long n = (long) counted.getValue().count();
            total += n;
            byClass.merge(counted.getKey().status() / 100 + "xx", n, Long::sum);
        }
        Map<String, Long> servedByLayer = new TreeMap<>();
        served.forEach((layer, counter) -> servedByLayer.put(layer, (long) counter.count()));
        return new StatusPage.Requests(total, byClass, servedByLayer);
    }

    /** A response that counts the body bytes written through it. */
    static final class CountingResponse extends HttpServletResponseWrapper {
        private CountingStream stream;

        CountingResponse(HttpServletResponse response) {
            super(response);
        }

        @Override
        public ServletOutputStream getOutputStream() throws IOException {
            if (stream == null) {
                stream = new CountingStream(super.getOutputStream());
            }
            return stream;
        }

        long bytes() {
            return stream == null ? 0 : stream.count;
        }
    }

    void record(String route, HttpServletRequest req, CountingResponse resp, long startNanos) {
        String uri = req.getRequestURI();
        record(
                new Done(
                        route,
                        resp.getStatus(),
                        req.getAttribute(LAYER) instanceof String noted ? noted : "none",
                        resp.bytes(),
                        uri,
                        Math.min(uri.length(), req.getContextPath().length() + 1)),
                startNanos,
                () -> new String[] {req.getRemoteAddr(), req.getMethod(), req.getQueryString(), req.getProtocol()});
    }

    /**
     * One request done, however it was served: {@code uri} as sent, the object's path in it from {@code keyFrom}.
     */
    record Done(String route, int status, String layer, long bytes, String uri, int keyFrom) {}

    /** {@code who}: remote address, method, query (or null) and protocol, asked only for a log line. */
    void record(Done done, long startNanos, java.util.function.Supplier<String[]> who) {
        requests.computeIfAbsent(
                        new Tags(done.route(), done.status(), done.layer()),
                        t -> Counter.builder("layerproxy.requests")
                                .description("requests served, by route, status and the layer the first byte came from")
                                .tag("route", t.route())
                                .tag("status", String.valueOf(t.status()))
                                .tag("layer", t.layer())
                                .register(registry))
                .increment();
        long bytes = done.bytes();
        if (bytes > 0 && "object".equals(done.route())) {
            // small answers are many and each weighs little: one in SAMPLE_SMALL is counted, SAMPLE_SMALL times (an
            // unbiased estimate), which kept the sketch's lock off hot 4 KiB hits (15 % of their rate, measured)
            boolean small = bytes < SMALL_ANSWER;
            if (!small || java.util.concurrent.ThreadLocalRandom.current().nextInt(SAMPLE_SMALL) == 0) {
                servedKeys.add(done.uri().substring(done.keyFrom()), small ? bytes * SAMPLE_SMALL : bytes);
            }
        }
        if (bytes > 0) {
            served.computeIfAbsent(
                            done.layer(),
                            l -> Counter.builder("layerproxy.served.bytes")
                                    .baseUnit("bytes")
                                    .description(
                                            "body bytes sent to clients, by the layer the response's first byte came from")
                                    .tag("layer", l)
                                    .register(registry))
                    .increment(bytes);
        }
        boolean ops = OPS.equals(done.route());
        if (ops ? ACCESS.isDebugEnabled() : ACCESS.isInfoEnabled()) {
            String[] w = who.get();
            String line = String.format(
                    java.util.Locale.ROOT,
                    "%s \"%s %s%s %s\" %d %d %s %.1fms",
                    w[0],
                    w[1],
                    done.uri(),
                    w[2] == null ? "" : "?" + w[2],
                    w[3],
                    done.status(),
                    bytes,
                    done.layer(),
                    (System.nanoTime() - startNanos) / (double) TimeUnit.MILLISECONDS.toNanos(1));
            if (ops) {
                ACCESS.debug(line);
            } else {
                ACCESS.info(line);
            }
        }
    }

    /** Counts what goes through; a {@link BufferSink} so pooled block buffers pass through as they are. */
    static final class CountingStream extends ServletOutputStream implements BufferSink {
        private final ServletOutputStream out;
        /** The container's own write(ByteBuffer): without it, every block went through 16 KiB array copies. */
        private final BufferSink buffers;

        private long count;

        CountingStream(ServletOutputStream out) {
            this.out = out;
            this.buffers = BufferSink.of(out);
        }

        /** The block bytes as they are (a pooled direct buffer), to the container's buffer write. */
        @Override
        public void write(ByteBuffer bytes) throws IOException {
            int n = bytes.remaining();
            buffers.write(bytes);
            count += n;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }

        @Override
        public void close() throws IOException {
            out.close();
        }

        @Override
        public boolean isReady() {
            return out.isReady();
        }

        @Override
        public void setWriteListener(WriteListener listener) {
            out.setWriteListener(listener);
        }
    }
}

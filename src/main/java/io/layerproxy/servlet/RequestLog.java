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
        int status = resp.getStatus();
        String layer = req.getAttribute(LAYER) instanceof String noted ? noted : "none";
        long bytes = resp.bytes();
        requests.computeIfAbsent(
                        new Tags(route, status, layer),
                        t -> Counter.builder("layerproxy.requests")
                                .description("requests served, by route, status and the layer the first byte came from")
                                .tag("route", t.route())
                                .tag("status", String.valueOf(t.status()))
                                .tag("layer", t.layer())
                                .register(registry))
                .increment();
        if (bytes > 0 && "object".equals(route)) {
            // small answers are many and each weighs little: one in SAMPLE_SMALL is counted, SAMPLE_SMALL times (an
            // unbiased estimate), which kept the sketch's lock off hot 4 KiB hits (15 % of their rate, measured)
            boolean small = bytes < SMALL_ANSWER;
            if (!small || java.util.concurrent.ThreadLocalRandom.current().nextInt(SAMPLE_SMALL) == 0) {
                String uri = req.getRequestURI();
                int from = Math.min(uri.length(), req.getContextPath().length() + 1);
                servedKeys.add(uri.substring(from), small ? bytes * SAMPLE_SMALL : bytes);
            }
        }
        if (bytes > 0) {
            served.computeIfAbsent(
                            layer,
                            l -> Counter.builder("layerproxy.served.bytes")
                                    .baseUnit("bytes")
                                    .description(
                                            "body bytes sent to clients, by the layer the response's first byte came from")
                                    .tag("layer", l)
                                    .register(registry))
                    .increment(bytes);
        }
        boolean ops = OPS.equals(route);
        if (ops ? ACCESS.isDebugEnabled() : ACCESS.isInfoEnabled()) {
            String query = req.getQueryString();
            String line = String.format(
                    java.util.Locale.ROOT,
                    "%s \"%s %s%s %s\" %d %d %s %.1fms",
                    req.getRemoteAddr(),
                    req.getMethod(),
                    req.getRequestURI(),
                    query == null ? "" : "?" + query,
                    req.getProtocol(),
                    status,
                    bytes,
                    layer,
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

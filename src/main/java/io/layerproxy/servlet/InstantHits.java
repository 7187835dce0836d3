package io.layerproxy.servlet;

import io.layerproxy.LayerProxy;
import io.layerproxy.ObjectInfo;
import io.layerproxy.ObjectKey;
import io.layerproxy.fleet.Fleet;
import io.micrometer.core.instrument.Counter;
import java.nio.ByteBuffer;
import java.util.concurrent.RejectedExecutionException;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.MimeTypes;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The standalone server's shortcut for hot small objects, a Jetty core handler in front of the servlet context (so
 * only for Jetty; other containers never load it). A plain GET or HEAD of an object whose metadata is held fresh on
 * the heap and whose bytes, at most {@link #MAX_BYTES}, are one block of the memory layer is answered on the
 * connection's I/O thread ({@link LayerProxy#instantHit}): no hand-off to a request thread, no servlet layer. That
 * hand-off and layer were most of a hot 4 KiB hit's cost: a 4 KiB answer took 50 us of CPU from a servlet filter
 * and 18 us from a non-blocking core handler (bench/shapes.sh). Everything else (ranges, conditionals, client
 * cache-control, queries, fleet peers, misses, larger objects, other methods) goes on a request thread to the
 * filter, unchanged. The headers, meters and access-log line are the filter's own ({@link Responses},
 * {@link RequestLog}).
 */
public final class InstantHits extends Handler.Wrapper {
    /** Bodies that fit a socket's send buffer at once, as for {@link AsyncBodyWriter#SMALL_BODY}. */
    static final int MAX_BYTES = (int) AsyncBodyWriter.SMALL_BODY;

    /** Request headers that ask for more than the whole current object: such requests go to the filter. */
    private static final HttpHeader[] NOT_PLAIN = {
        HttpHeader.RANGE,
        HttpHeader.IF_RANGE,
        HttpHeader.IF_MATCH,
        HttpHeader.IF_NONE_MATCH,
        HttpHeader.IF_MODIFIED_SINCE,
        HttpHeader.IF_UNMODIFIED_SINCE,
        HttpHeader.CACHE_CONTROL,
        HttpHeader.PRAGMA,
        HttpHeader.EXPECT
    };

    private static final Logger LOG = LoggerFactory.getLogger(InstantHits.class);

    private final LayerProxy proxy;
    private final LayerProxyFilter filter;
    private final MimeTypes mimeTypes;
    private final Counter answered;

    /**
     * In front of {@code context}, where {@code filter} serves {@code proxy} at the root ({@code /*}): the filter's
     * meters and in-flight count are shared once it is initialized; until then every request goes to it.
     */
    public InstantHits(LayerProxy proxy, LayerProxyFilter filter, ServletContextHandler context) {
        super(context);
        this.proxy = proxy;
        this.filter = filter;
        this.mimeTypes = context.getMimeTypes();
        this.answered = Counter.builder("layerproxy.instant.hits")
                .description("hits of small objects answered on the connection's I/O thread, without a request thread")
                .register(proxy.meterRegistry());
    }

    /** Jetty calls {@link #handle} on the I/O thread; what cannot be answered at once is handed to a thread. */
    @Override
    public InvocationType getInvocationType() {
        return InvocationType.NON_BLOCKING;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        long start = System.nanoTime();
        RequestLog log = filter.requestLog();
        ObjectKey key = null;
        LayerProxy.InstantHit hit = null;
        try {
            key = log == null ? null : plainObjectRead(request);
            hit = key == null ? null : proxy.instantHit(key, MAX_BYTES);
        } catch (RuntimeException e) {
            LOG.warn(
                    "instant answer of {} failed, left to the filter: {}",
                    request.getHttpURI().getPath(),
                    e.toString());
        }
        if (key == null || hit == null) {
            dispatch(request, response, callback);
        } else {
            answer(request, response, callback, key, hit, log, start);
        }
        return true;
    }

    private void answer(
            Request request,
            Response response,
            Callback callback,
            ObjectKey key,
            LayerProxy.InstantHit hit,
            RequestLog log,
            long start) {
        ObjectInfo info = hit.info();
        HttpFields.Mutable headers = response.getHeaders();
        headers.put(HttpHeader.CONTENT_TYPE, Responses.contentType(info, key, mimeTypes::getMimeByExtension));
        Responses.storedHeaders(headers::put, info);
        Responses.cacheHeaders(headers::put, false, false, hit.layer());
        headers.put(HttpHeader.AGE, String.valueOf(hit.age().toSeconds()));
        headers.put(HttpHeader.CONTENT_LENGTH, info.size());
        boolean head = "HEAD".equals(request.getMethod());
        String path = request.getHttpURI().getPath();
        var inFlight = filter.inFlight();
        inFlight.enter();
        answered.increment();
        ByteBuffer body = head ? BufferUtil.EMPTY_BUFFER : hit.body();
        response.write(true, body, new Callback.Nested(callback) {
            @Override
            public void completed() {
                inFlight.exit();
                log.record(
                        new RequestLog.Done("object", HttpStatus.OK_200, hit.layer(), head ? 0 : info.size(), path, 1),
                        start,
                        () -> new String[] {
                            Request.getRemoteAddr(request),
                            request.getMethod(),
                            null,
                            request.getConnectionMetaData().getProtocol()
                        });
            }
        });
    }

    /** The filter, on a request thread, as without this handler. */
    private void dispatch(Request request, Response response, Callback callback) {
        try {
            request.getComponents().getExecutor().execute(() -> {
                try {
                    if (!InstantHits.super.handle(request, response, callback)) {
                        Response.writeError(request, response, callback, HttpStatus.NOT_FOUND_404);
                    }
                } catch (Throwable failure) {
                    Response.writeError(request, response, callback, failure);
                }
            });
        } catch (RejectedExecutionException e) {
            Response.writeError(request, response, callback, HttpStatus.SERVICE_UNAVAILABLE_503);
        }
    }

    /**
     * The key of a GET or HEAD of {@code /bucket/key} with nothing but the whole current object asked: no query, none
     * of {@link #NOT_PLAIN}, not from a fleet peer, and a path the filter would read as it is (unreserved
     * characters only, nothing it refuses or treats apart); null for anything else.
     */
    static ObjectKey plainObjectRead(Request request) {
        String method = request.getMethod();
        if (!"GET".equals(method) && !"HEAD".equals(method)) {
            return null;
        }
        if (request.getHttpURI().getQuery() != null) {
            return null;
        }
        HttpFields headers = request.getHeaders();
        for (HttpHeader name : NOT_PLAIN) {
            if (headers.contains(name)) {
                return null;
            }
        }
        if (headers.contains(Fleet.PEER_HEADER)) {
            return null;
        }
        return plainPath(request.getHttpURI().getPath());
    }

    /** {@code /bucket/key} in unreserved characters, with no empty or dot segment and no trailing slash; else null. */
    static ObjectKey plainPath(String path) {
        int n = path == null ? 0 : path.length();
        if (n < 4 || path.charAt(0) != '/' || path.charAt(1) == '_' || path.charAt(n - 1) == '/') {
            return null; // /_many, /_layerproxy/...: the filter's own routes
        }
        for (int i = 1; i < n; i++) {
            char c = path.charAt(i);
            boolean unreserved = (c >= 'a' && c <= 'z')
                    || (c >= 'A' && c <= 'Z')
                    || (c >= '0' && c <= '9')
                    || c == '-'
                    || c == '.'
                    || c == '_'
                    || c == '~';
            if (!unreserved && (c != '/' || path.charAt(i - 1) == '/')) {
                return null;
            }
        }
        int slash = path.indexOf('/', 1);
        if (slash < 0 || LayerProxyFilter.hasDotSegment(path)) {
            return null;
        }
        try {
            return new ObjectKey(path.substring(1, slash), path.substring(slash + 1));
        } catch (IllegalArgumentException e) {
            return null; // the filter answers it with its message
        }
    }
}

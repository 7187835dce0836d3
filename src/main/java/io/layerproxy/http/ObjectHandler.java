package io.layerproxy.http;

import io.layerproxy.LayerProxy;
import io.layerproxy.LayerProxy.Lookup;
import io.layerproxy.ObjectBody;
import io.layerproxy.ObjectInfo;
import io.layerproxy.ObjectKey;
import io.layerproxy.OriginException;
import io.layerproxy.config.LayerProxyConfig;
import io.layerproxy.http.ByteRanges.Range;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Collections;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers GET and HEAD of one object path ({@code /bucket/key}): preconditions (RFC 9110 §13), ranges (§14),
 * the fallback key, and errors in the client's language (S3 XML for S3 clients).
 */
final class ObjectHandler {
    private static final Logger LOG = LoggerFactory.getLogger(ObjectHandler.class);

    private final LayerProxy proxy;
    private final ObjectKey fallback;
    private final int fallbackStatus;

    ObjectHandler(LayerProxy proxy, LayerProxyConfig config) {
        this.proxy = proxy;
        this.fallback = config.onDne();
        this.fallbackStatus = config.onDneStatus();
    }

    void handle(String path, HttpServletRequest req, HttpServletResponse resp) throws IOException {
        ObjectKey key;
        try {
            key = parse(path);
        } catch (IllegalArgumentException e) {
            Responses.error(req, resp, HttpServletResponse.SC_BAD_REQUEST, null, e.getMessage(), null);
            return;
        }
        String method = req.getMethod();
        boolean head = "HEAD".equals(method);
        if (!head && !"GET".equals(method)) {
            resp.setHeader("Allow", "GET, HEAD");
            Responses.error(req, resp, HttpServletResponse.SC_METHOD_NOT_ALLOWED, null,
                    method + " is not allowed; use GET or HEAD", key);
            return;
        }
        // a plain GET of a key whose metadata is not cached asks S3 once (a GET), not twice (a HEAD, then a GET)
        Lookup lookup = null;
        try {
            lookup = wholeObject(req, head) ? proxy.lookupAndOpen(key) : proxy.lookup(key);
            if (lookup.found()) {
                if (lookup.stale()) {
                    Responses.staleHeaders(resp);
                }
                serve(req, resp, key, lookup, head);
            } else {
                if (proxy.allows(key.bucket())) {
                    // where the "does not exist" came from: the negative cache (HIT) or S3 (MISS)
                    Responses.cacheHeaders(resp, lookup.layer());
                }
                notFound(req, resp, key, head);
            }
        } catch (OriginException e) {
            if (resp.isCommitted()) {
                // headers promised a length we cannot deliver: abort rather than complete short
                LOG.warn("aborting response for {}: {}", key, e.getMessage());
                throw new IOException("aborted: " + e.getMessage(), e);
            }
            if (e.kind() == OriginException.Kind.CHANGED) {
                resp.setHeader("Retry-After", "1");
            }
            Responses.error(req, resp, Responses.status(e), null, e.getMessage(), key);
        } finally {
            closeBody(lookup);
        }
    }

    /** The body a lookup opened with its metadata: unused when the object is empty; closing twice is harmless. */
    private static void closeBody(Lookup lookup) {
        if (lookup != null && lookup.body() != null) {
            lookup.body().close();
        }
    }

    /** A GET for all of the object, unconditional: the body is wanted whatever the metadata says. */
    private static boolean wholeObject(HttpServletRequest req, boolean head) {
        return !head && req.getHeader("Range") == null && req.getHeader("If-Match") == null
                && req.getHeader("If-None-Match") == null && req.getHeader("If-Modified-Since") == null
                && req.getHeader("If-Unmodified-Since") == null;
    }

    private void serve(HttpServletRequest req, HttpServletResponse resp, ObjectKey key, Lookup lookup, boolean head)
            throws IOException {
        ObjectInfo info = lookup.info();
        switch (Preconditions.evaluate(req.getMethod(), name -> header(req, name), info)) {
            case NOT_MODIFIED -> {
                Responses.notModified(resp, info, lookup.layer());
                return;
            }
            case PRECONDITION_FAILED -> {
                Responses.error(req, resp, HttpServletResponse.SC_PRECONDITION_FAILED, null,
                        "a precondition failed for " + key, key);
                return;
            }
            case PROCEED -> {
                // below
            }
        }
        String ifRange = req.getHeader("If-Range");
        ByteRanges.Parsed ranges = ifRange != null && !Preconditions.ifRange(ifRange, info)
                ? ByteRanges.parse(null, info.size())
                : ByteRanges.parse(req.getHeader("Range"), info.size());
        if (ranges.unsatisfiable()) {
            resp.setHeader("Content-Range", "bytes */" + info.size());
            Responses.error(req, resp, HttpServletResponse.SC_REQUESTED_RANGE_NOT_SATISFIABLE, null,
                    "no satisfiable range in " + info.size() + " bytes", key);
            return;
        }
        List<Range> parts = ranges.whole() ? List.of() : ranges.ranges();
        if (parts.size() > 1) {
            MultipartRanges.send(proxy, req, resp, key, lookup, parts, head);
            return;
        }
        Range range = parts.isEmpty() ? null : parts.get(0);
        send(req, resp, key, lookup, range == null ? HttpServletResponse.SC_OK : HttpServletResponse.SC_PARTIAL_CONTENT,
                range, head);
    }

    private void notFound(HttpServletRequest req, HttpServletResponse resp, ObjectKey key, boolean head)
            throws IOException {
        boolean allowed = proxy.allows(key.bucket());
        if (S3Errors.fromS3Client(req)) {
            // S3 clients get S3's answer, never a substitute page
            Responses.error(req, resp, HttpServletResponse.SC_NOT_FOUND, allowed ? "NoSuchKey" : "NoSuchBucket",
                    allowed ? "The specified key does not exist." : "The specified bucket does not exist.", key);
            return;
        }
        // the fallback answers for missing keys of allowed buckets only; it is looked up, never recursed into
        Lookup substitute = fallback == null || !allowed ? null
                : wholeObject(req, head) ? proxy.lookupAndOpen(fallback) : proxy.lookup(fallback);
        try {
            if (substitute != null && substitute.found()) {
                send(req, resp, fallback, substitute, fallbackStatus, null, head);
            } else {
                Responses.error(resp, HttpServletResponse.SC_NOT_FOUND, "no such object: " + key);
            }
        } finally {
            closeBody(substitute);
        }
    }

    /** The whole object ({@code range} null) or one range of it. */
    private void send(HttpServletRequest req, HttpServletResponse resp, ObjectKey key, Lookup lookup, int status,
                      Range range, boolean head) throws IOException {
        ObjectInfo info = lookup.info();
        long start = range == null ? 0 : range.first();
        long end = range == null ? info.size() : range.last() + 1;
        resp.setStatus(status);
        if (range != null) {
            resp.setHeader("Content-Range", "bytes " + range.first() + "-" + range.last() + "/" + info.size());
        }
        if (head || end == start) {
            Responses.objectHeaders(req, resp, key, info, lookup.layer());
            resp.setContentLengthLong(end - start);
            return;
        }
        Opened opened = range == null && lookup.body() != null ? new Opened(info, lookup.body())
                : open(key, info, start, range == null ? -1 : end);
        if (opened != null && range == null) {
            end = opened.info().size(); // the whole object: of the version actually opened
        }
        if (opened == null || (range != null && !opened.info().sameVersionAs(info))) {
            // gone, or changed under a range computed for the old version: nothing is sent yet, so say so
            if (opened != null) {
                opened.body().close();
            }
            resp.setHeader("Retry-After", "1");
            Responses.error(req, resp, HttpServletResponse.SC_SERVICE_UNAVAILABLE, "SlowDown",
                    key + " changed while being read; retry", key);
            return;
        }
        try (ObjectBody body = opened.body()) {
            Responses.objectHeaders(req, resp, key, opened.info(), body.firstLayer());
            resp.setContentLengthLong(end - start);
            body.writeTo(resp.getOutputStream());
        }
    }

    private record Opened(ObjectInfo info, ObjectBody body) {
    }

    /**
     * Opens {@code [start, end)}, {@code end} -1 for the whole object; when the object changed since its metadata
     * was read, starts over once with the new version. Null: deleted meanwhile.
     */
    private Opened open(ObjectKey key, ObjectInfo info, long start, long end) {
        try {
            return new Opened(info, proxy.open(key, info, start, end < 0 ? info.size() : end));
        } catch (OriginException e) {
            if (e.kind() != OriginException.Kind.CHANGED) {
                throw e;
            }
        }
        Lookup again = proxy.lookup(key);
        if (!again.found()) {
            return null;
        }
        ObjectInfo now = again.info();
        long newEnd = end < 0 ? now.size() : Math.min(end, now.size());
        return new Opened(now, proxy.open(key, now, Math.min(start, newEnd), newEnd));
    }

    /** A request header, repeated lines joined with commas (RFC 9110 §5.3), or null. */
    static String header(HttpServletRequest req, String name) {
        List<String> values = Collections.list(req.getHeaders(name));
        return values.isEmpty() ? null : String.join(", ", values);
    }

    /** {@code /bucket/key...} to a key; the container has already decoded and normalized the path. */
    static ObjectKey parse(String path) {
        int slash = path.indexOf('/', 1);
        if (slash < 0 || slash == path.length() - 1) {
            throw new IllegalArgumentException("expected /{bucket}/{key}, was: " + Responses.abbreviate(path));
        }
        return new ObjectKey(path.substring(1, slash), path.substring(slash + 1));
    }
}

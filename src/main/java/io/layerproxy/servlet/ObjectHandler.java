package io.layerproxy.servlet;

import io.layerproxy.CachedObject;
import io.layerproxy.LayerProxy;
import io.layerproxy.ObjectBody;
import io.layerproxy.ObjectInfo;
import io.layerproxy.ObjectKey;
import io.layerproxy.OriginException;
import io.layerproxy.ReadSpec;
import io.layerproxy.config.LayerProxyConfig;
import io.layerproxy.fleet.Fleet;
import io.layerproxy.fleet.PeerOrigin;
import io.layerproxy.http.ByteRanges;
import io.layerproxy.http.ByteRanges.Range;
import io.layerproxy.http.CacheControl;
import io.layerproxy.http.Preconditions;
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
    private final boolean honorClient;

    ObjectHandler(LayerProxy proxy, LayerProxyConfig config) {
        this.proxy = proxy;
        this.fallback = config.onDne();
        this.fallbackStatus = config.onDneStatus();
        this.honorClient = config.honorClientCacheControl();
    }

    void handle(String path, HttpServletRequest req, HttpServletResponse resp) throws IOException {
        ObjectKey key;
        try {
            key = parse(path).withVersion(S3Query.versionId(req));
        } catch (IllegalArgumentException e) {
            Responses.error(req, resp, HttpServletResponse.SC_BAD_REQUEST, null, e.getMessage(), null);
            return;
        }
        String unsupported = S3Query.unsupported(req);
        if (unsupported != null) {
            Responses.error(req, resp, HttpServletResponse.SC_NOT_IMPLEMENTED, "NotImplemented", unsupported, key);
            return;
        }
        String method = req.getMethod();
        boolean head = "HEAD".equals(method);
        if (!head && !"GET".equals(method)) {
            resp.setHeader("Allow", "GET, HEAD");
            Responses.error(
                    req,
                    resp,
                    HttpServletResponse.SC_METHOD_NOT_ALLOWED,
                    null,
                    method + " is not allowed; use GET or HEAD",
                    key);
            return;
        }
        String peerProof = req.getHeader(Fleet.PEER_HEADER);
        if (peerProof != null) {
            Fleet fleet = proxy.fleet();
            if (fleet == null || !fleet.verifyPeer(peerProof, key, req.getHeader("Range"))) {
                Responses.error(req, resp, HttpServletResponse.SC_FORBIDDEN, null, "not a member of this fleet", key);
                return;
            }
            // the owner answers from its layers or S3, never from another peer, with the request thread
            fleet.servedPeer();
            PeerOrigin.beginServingPeer();
            try {
                read(req, resp, key, head);
            } finally {
                PeerOrigin.endServingPeer();
            }
            return;
        }
        read(req, resp, key, head);
    }

    private void read(HttpServletRequest req, HttpServletResponse resp, ObjectKey key, boolean head)
            throws IOException {
        ReadSpec spec = wholeObject(req, head) ? ReadSpec.WHOLE : ReadSpec.METADATA;
        if (honorClient) {
            CacheControl.Request asked = CacheControl.request(req.getHeader("Cache-Control"), req.getHeader("Pragma"));
            if (asked.onlyIfCached() && proxy.cachedVersion(key) == null) {
                // RFC 9111 §5.2.1.7: answer from the cache or not at all
                Responses.error(req, resp, HttpServletResponse.SC_GATEWAY_TIMEOUT, null, key + " is not cached", key);
                return;
            }
            if (asked.revalidate()) {
                spec = spec.revalidating(); // a browser's force-refresh: S3 confirms (or replaces) the copy first
            }
        }
        try (CachedObject object = proxy.read(key, spec)) {
            if (object.found()) {
                serve(req, resp, key, object, head);
            } else {
                notFound(req, resp, key, object, head);
            }
        } catch (OriginException e) {
            if (resp.isCommitted()) {
                // headers promised a length we cannot deliver: abort rather than complete short
                LOG.warn("aborting response for {}: {}", key, e.getMessage());
                throw new IOException("aborted: " + e.getMessage(), e);
            }
            Responses.failure(req, resp, e, key);
        }
    }

    /** A GET for all of the object, unconditional: the body is wanted whatever the metadata says. */
    private static boolean wholeObject(HttpServletRequest req, boolean head) {
        return !head
                && req.getHeader("Range") == null
                && req.getHeader("If-Match") == null
                && req.getHeader("If-None-Match") == null
                && req.getHeader("If-Modified-Since") == null
                && req.getHeader("If-Unmodified-Since") == null;
    }

    private void serve(
            HttpServletRequest req, HttpServletResponse resp, ObjectKey key, CachedObject object, boolean head)
            throws IOException {
        ObjectInfo info = object.info();
        switch (Preconditions.evaluate(req.getMethod(), name -> header(req, name), info)) {
            case NOT_MODIFIED -> {
                Responses.notModified(req, resp, object);
                return;
            }
            case PRECONDITION_FAILED -> {
                Responses.error(
                        req,
                        resp,
                        HttpServletResponse.SC_PRECONDITION_FAILED,
                        null,
                        "a precondition failed for " + key,
                        key);
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
            Responses.error(
                    req,
                    resp,
                    HttpServletResponse.SC_REQUESTED_RANGE_NOT_SATISFIABLE,
                    null,
                    "no satisfiable range in " + info.size() + " bytes",
                    key);
            return;
        }
        List<Range> parts = ranges.whole() ? List.of() : ranges.ranges();
        if (parts.size() > 1) {
            MultipartRanges.send(req, resp, key, object, parts, head);
            return;
        }
        Range range = parts.isEmpty() ? null : parts.get(0);
        send(
                req,
                resp,
                key,
                object,
                range == null ? HttpServletResponse.SC_OK : HttpServletResponse.SC_PARTIAL_CONTENT,
                range,
                head);
    }

    private void notFound(
            HttpServletRequest req, HttpServletResponse resp, ObjectKey key, CachedObject missing, boolean head)
            throws IOException {
        boolean allowed = !LayerProxy.ALLOWLIST.equals(missing.source());
        if (allowed) {
            // where the "does not exist" came from: the negative cache (HIT) or S3 (MISS)
            Responses.cacheHeaders(req, resp, missing);
        }
        if (S3Errors.fromS3Client(req)) {
            // S3 clients get S3's answer, never a substitute page
            Responses.error(
                    req,
                    resp,
                    HttpServletResponse.SC_NOT_FOUND,
                    allowed ? "NoSuchKey" : "NoSuchBucket",
                    allowed ? "The specified key does not exist." : "The specified bucket does not exist.",
                    key);
            return;
        }
        // the fallback answers for missing keys of allowed buckets only; it is looked up, never recursed into
        if (fallback != null && allowed) {
            try (CachedObject substitute =
                    proxy.read(fallback, wholeObject(req, head) ? ReadSpec.WHOLE : ReadSpec.METADATA)) {
                if (substitute.found()) {
                    send(req, resp, fallback, substitute, fallbackStatus, null, head);
                    return;
                }
            }
        }
        Responses.error(resp, HttpServletResponse.SC_NOT_FOUND, "no such object: " + key);
    }

    /** The whole object ({@code range} null) or one range of it. */
    private void send(
            HttpServletRequest req,
            HttpServletResponse resp,
            ObjectKey key,
            CachedObject object,
            int status,
            Range range,
            boolean head)
            throws IOException {
        ObjectInfo info = object.info();
        resp.setStatus(status);
        if (range != null) {
            resp.setHeader("Content-Range", "bytes " + range.first() + "-" + range.last() + "/" + info.size());
        }
        long length = range == null ? info.size() : range.length();
        if (head || length == 0) {
            Responses.objectHeaders(req, resp, key, info, object, object.source());
            resp.setContentLengthLong(length);
            return;
        }
        // a range of a version that changed meanwhile fails (CHANGED: 503, retry); the whole object starts over
        ObjectBody opened = range == null ? object.openWhole() : object.open(range.first(), range.last() + 1);
        if (opened == null) {
            Responses.failure(
                    req,
                    resp,
                    new OriginException(OriginException.Kind.CHANGED, key + " changed while being read; retry"),
                    key);
            return;
        }
        boolean async = false;
        try {
            Responses.objectHeaders(req, resp, key, opened.info(), object, opened.firstLayer());
            resp.setContentLengthLong(range == null ? opened.info().size() : length);
            // a slow reader of a large body then holds no thread; a small one fits the socket's buffer at once
            async = length > AsyncBodyWriter.SMALL_BODY
                    && !PeerOrigin.isServingPeer()
                    && AsyncBodyWriter.start(req, resp, opened, key);
            if (!async) {
                opened.writeTo(resp.getOutputStream());
            }
        } finally {
            if (!async) {
                opened.close();
            }
        }
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

package io.layerproxy.servlet;

import io.layerproxy.CachedObject;
import io.layerproxy.LayerProxy;
import io.layerproxy.ObjectInfo;
import io.layerproxy.ObjectKey;
import io.layerproxy.OriginException;
import io.layerproxy.http.HttpDates;
import io.layerproxy.http.S3Xml;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Function;

/** Response headers for objects, and the one mapping of failures to statuses. */
final class Responses {
    private Responses() {}

    /**
     * The headers S3 returned, plus {@code X-Cache} (HIT, MISS or STALE, from {@code read}) and {@code X-Cache-Layer}
     * ({@code layer}: where the first byte came from).
     */
    static void objectHeaders(
            HttpServletRequest req,
            HttpServletResponse resp,
            ObjectKey key,
            ObjectInfo info,
            CachedObject read,
            String layer) {
        resp.setContentType(contentType(info, key, req.getServletContext()::getMimeType));
        storedHeaders(resp::setHeader, info);
        S3Query.applyOverrides(req, resp);
        cacheHeaders(resp::setHeader, read.stale(), read.refreshing(), layer);
        RequestLog.noteLayer(req, layer);
        if (read.hit()) {
            // RFC 9111 §5.1: how long ago S3 last confirmed this version
            resp.setHeader("Age", String.valueOf(read.age().toSeconds()));
        }
    }

    /** S3's Content-Type, else the one the key's extension names, else {@code application/octet-stream}. */
    static String contentType(ObjectInfo info, ObjectKey key, Function<String, String> mimeByName) {
        String type = info.contentType();
        if (type == null || type.isEmpty()) {
            type = mimeByName.apply(key.key());
        }
        return type == null ? "application/octet-stream" : type;
    }

    /**
     * What S3 said of the version (validators and the headers passed through) and {@code Accept-Ranges}: the one
     * list for the servlet path and the standalone server's instant hits ({@link InstantHits}).
     */
    static void storedHeaders(BiConsumer<String, String> header, ObjectInfo info) {
        header.accept("ETag", info.etag());
        if (info.lastModified() != null) {
            header.accept("Last-Modified", HttpDates.format(info.lastModified()));
        }
        for (Map.Entry<String, String> stored : info.headers().entrySet()) {
            header.accept(stored.getKey(), stored.getValue());
        }
        header.accept("Accept-Ranges", "bytes");
    }

    /** {@code X-Cache} and {@code X-Cache-Layer} for where a read's metadata came from (a 404's too). */
    static void cacheHeaders(HttpServletRequest req, HttpServletResponse resp, CachedObject read) {
        cacheHeaders(resp::setHeader, read.stale(), read.refreshing(), read.source());
        RequestLog.noteLayer(req, read.source());
    }

    static void cacheHeaders(BiConsumer<String, String> header, boolean stale, boolean refreshing, String layer) {
        if (stale) {
            // a copy past its freshness: S3 failed to revalidate it (RFC 5861 stale-if-error), or a refresh runs
            header.accept("X-Cache", "STALE");
            header.accept("Warning", refreshing ? "110 - \"Response is Stale\"" : "111 - \"Revalidation Failed\"");
        } else {
            // a block from a fleet peer is a miss here: this node's layers did not have it
            header.accept("X-Cache", LayerProxy.ORIGIN.equals(layer) || LayerProxy.PEER.equals(layer) ? "MISS" : "HIT");
        }
        header.accept("X-Cache-Layer", layer);
    }

    /** RFC 9110 §15.4.5: a 304 carries the validators and caching headers a 200 would have. */
    static void notModified(HttpServletRequest req, HttpServletResponse resp, CachedObject read) {
        ObjectInfo info = read.info();
        resp.setStatus(HttpServletResponse.SC_NOT_MODIFIED);
        resp.setHeader("ETag", info.etag());
        if (info.lastModified() != null) {
            resp.setHeader("Last-Modified", HttpDates.format(info.lastModified()));
        }
        for (String name : new String[] {"Cache-Control", "Expires"}) {
            String value = info.headers().get(name);
            if (value != null) {
                resp.setHeader(name, value);
            }
        }
        cacheHeaders(req, resp, read);
    }

    /**
     * The one mapping of origin failures to responses, for every handler: 403 denied, 502 unavailable or a bad
     * answer, 504 silent, the origin's own status and code when it refused the request, 503 with {@code Retry-After} when the object changed while being read or no block memory
     * was free in time; S3 XML for S3
     * clients ({@code key} may be null), a line of text otherwise.
     */
    static void failure(HttpServletRequest req, HttpServletResponse resp, OriginException e, ObjectKey key)
            throws IOException {
        failure(req, resp, e, key == null ? null : key.bucket(), key == null ? null : key.key());
    }

    /** {@link #failure(HttpServletRequest, HttpServletResponse, OriginException, ObjectKey)} for a bucket's request. */
    static void failure(HttpServletRequest req, HttpServletResponse resp, OriginException e, String bucket, String key)
            throws IOException {
        int status = switch (e.kind()) {
            case DENIED -> HttpServletResponse.SC_FORBIDDEN;
            case CHANGED, BUSY -> HttpServletResponse.SC_SERVICE_UNAVAILABLE;
            case TIMEOUT -> HttpServletResponse.SC_GATEWAY_TIMEOUT;
            case UNAVAILABLE, BAD_RESPONSE -> HttpServletResponse.SC_BAD_GATEWAY;
            case REFUSED -> e.status() >= 400 ? e.status() : HttpServletResponse.SC_BAD_REQUEST;
        };
        String code = e.kind() == OriginException.Kind.REFUSED ? e.code() : null;
        if (e.kind() == OriginException.Kind.CHANGED || e.kind() == OriginException.Kind.BUSY) {
            resp.setHeader("Retry-After", "1");
            code = "SlowDown";
        }
        error(req, resp, status, code, e.getMessage(), bucket, key);
    }

    /**
     * An error in the form the client understands: S3's XML error document for S3 clients ({@code code} null:
     * derived from the status), one line of text for everyone else.
     */
    static void error(
            HttpServletRequest req, HttpServletResponse resp, int status, String code, String message, ObjectKey key)
            throws IOException {
        error(req, resp, status, code, message, key == null ? null : key.bucket(), key == null ? null : key.key());
    }

    private static void error(
            HttpServletRequest req,
            HttpServletResponse resp,
            int status,
            String code,
            String message,
            String bucket,
            String key)
            throws IOException {
        if (S3Errors.fromS3Client(req)) {
            S3Errors.write(resp, status, code == null ? S3Xml.code(status) : code, message, bucket, key);
        } else {
            error(resp, status, message);
        }
    }

    /** Client input quoted in an error message, cut to a readable length. */
    static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    /** A short plain-text error; messages are ours and never carry credentials, paths or stack traces. */
    static void error(HttpServletResponse resp, int status, String message) throws IOException {
        resp.resetBuffer();
        resp.setStatus(status);
        resp.setContentType("text/plain;charset=utf-8");
        resp.setHeader("Cache-Control", "no-store");
        byte[] body = (status + " " + message + "\n").getBytes(StandardCharsets.UTF_8);
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }
}

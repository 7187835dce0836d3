package io.layerproxy.http;

import io.layerproxy.LayerProxy;
import io.layerproxy.ObjectInfo;
import io.layerproxy.ObjectKey;
import io.layerproxy.OriginException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;

/** Response headers for objects, and the one mapping of failures to statuses. */
final class Responses {
    /** IMF-fixdate (RFC 9110 §5.6.7): always two-digit days, always GMT. */
    static final DateTimeFormatter HTTP_DATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

    private Responses() {
    }

    /** The headers S3 returned, plus {@code X-Cache} and {@code X-Cache-Layer} for where the answer came from. */
    static void objectHeaders(HttpServletRequest req, HttpServletResponse resp, ObjectKey key, ObjectInfo info,
                              String layer) {
        String type = info.contentType();
        if (type == null || type.isEmpty()) {
            type = req.getServletContext().getMimeType(key.key());
        }
        resp.setContentType(type == null ? "application/octet-stream" : type);
        resp.setHeader("ETag", info.etag());
        if (info.lastModified() != null) {
            resp.setHeader("Last-Modified", HTTP_DATE.format(info.lastModified()));
        }
        for (Map.Entry<String, String> header : info.headers().entrySet()) {
            resp.setHeader(header.getKey(), header.getValue());
        }
        resp.setHeader("X-Cache", LayerProxy.ORIGIN.equals(layer) ? "MISS" : "HIT");
        resp.setHeader("X-Cache-Layer", layer);
    }

    static void originError(HttpServletResponse resp, OriginException e) throws IOException {
        int status = switch (e.kind()) {
            case DENIED -> HttpServletResponse.SC_FORBIDDEN;
            case CHANGED -> HttpServletResponse.SC_SERVICE_UNAVAILABLE;
            case TIMEOUT -> HttpServletResponse.SC_GATEWAY_TIMEOUT;
            case UNAVAILABLE, BAD_RESPONSE -> HttpServletResponse.SC_BAD_GATEWAY;
        };
        if (e.kind() == OriginException.Kind.CHANGED) {
            resp.setHeader("Retry-After", "1");
        }
        error(resp, status, e.getMessage());
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

package io.layerproxy.http;

import io.layerproxy.CachedObject;
import io.layerproxy.LayerProxy;
import io.layerproxy.ObjectInfo;
import io.layerproxy.ObjectKey;
import io.layerproxy.OriginException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;

/** Response headers for objects, and the one mapping of failures to statuses. */
final class Responses {
    /** IMF-fixdate (RFC 9110 §5.6.7): always two-digit days, always GMT. */
    static final DateTimeFormatter HTTP_DATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

    private static final String[] DAYS = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    private static final String[] MONTHS =
            {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

    private Responses() {
    }

    /**
     * {@link #HTTP_DATE} by hand: the formatter was in 13 of 242 JFR samples of 4 KiB hits; this is about 3x cheaper
     * (HttpRulesBenchmark). Same output for every instant from year 1 to 9999 ({@code ResponsesTest}).
     */
    static String httpDate(Instant instant) {
        LocalDateTime t = LocalDateTime.ofEpochSecond(instant.getEpochSecond(), 0, ZoneOffset.UTC);
        var b = new StringBuilder(29).append(DAYS[t.getDayOfWeek().ordinal()]).append(", ");
        twoDigits(b, t.getDayOfMonth()).append(' ').append(MONTHS[t.getMonthValue() - 1]).append(' ');
        int year = t.getYear();
        b.append(year < 1000 ? (year < 100 ? (year < 10 ? "000" : "00") : "0") : "").append(year).append(' ');
        twoDigits(b, t.getHour()).append(':');
        twoDigits(b, t.getMinute()).append(':');
        return twoDigits(b, t.getSecond()).append(" GMT").toString();
    }

    private static StringBuilder twoDigits(StringBuilder b, int n) {
        return b.append((char) ('0' + n / 10)).append((char) ('0' + n % 10));
    }

    /**
     * The headers S3 returned, plus {@code X-Cache} (HIT, MISS or STALE, from {@code read}) and {@code X-Cache-Layer}
     * ({@code layer}: where the first byte came from).
     */
    static void objectHeaders(HttpServletRequest req, HttpServletResponse resp, ObjectKey key, ObjectInfo info,
                              CachedObject read, String layer) {
        String type = info.contentType();
        if (type == null || type.isEmpty()) {
            type = req.getServletContext().getMimeType(key.key());
        }
        resp.setContentType(type == null ? "application/octet-stream" : type);
        resp.setHeader("ETag", info.etag());
        if (info.lastModified() != null) {
            resp.setHeader("Last-Modified", httpDate(info.lastModified()));
        }
        for (Map.Entry<String, String> header : info.headers().entrySet()) {
            resp.setHeader(header.getKey(), header.getValue());
        }
        resp.setHeader("Accept-Ranges", "bytes");
        cacheHeaders(req, resp, read.stale(), layer);
    }

    /** {@code X-Cache} and {@code X-Cache-Layer} for where a read's metadata came from (a 404's too). */
    static void cacheHeaders(HttpServletRequest req, HttpServletResponse resp, CachedObject read) {
        cacheHeaders(req, resp, read.stale(), read.source());
    }

    private static void cacheHeaders(HttpServletRequest req, HttpServletResponse resp, boolean stale, String layer) {
        if (stale) {
            // a copy past max-age served because S3 failed to revalidate it (RFC 5861 stale-if-error)
            resp.setHeader("X-Cache", "STALE");
            resp.setHeader("Warning", "111 - \"Revalidation Failed\"");
        } else {
            resp.setHeader("X-Cache", LayerProxy.ORIGIN.equals(layer) ? "MISS" : "HIT");
        }
        resp.setHeader("X-Cache-Layer", layer);
        RequestLog.noteLayer(req, layer);
    }

    /** RFC 9110 §15.4.5: a 304 carries the validators and caching headers a 200 would have. */
    static void notModified(HttpServletRequest req, HttpServletResponse resp, CachedObject read) {
        ObjectInfo info = read.info();
        resp.setStatus(HttpServletResponse.SC_NOT_MODIFIED);
        resp.setHeader("ETag", info.etag());
        if (info.lastModified() != null) {
            resp.setHeader("Last-Modified", httpDate(info.lastModified()));
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
     * answer, 504 silent, 503 with {@code Retry-After} when the object changed while being read; S3 XML for S3
     * clients ({@code key} may be null), a line of text otherwise.
     */
    static void failure(HttpServletRequest req, HttpServletResponse resp, OriginException e, ObjectKey key)
            throws IOException {
        failure(req, resp, e, key == null ? null : key.bucket(), key == null ? null : key.key());
    }

    /** {@link #failure(HttpServletRequest, HttpServletResponse, OriginException, ObjectKey)} for a bucket's request. */
    static void failure(HttpServletRequest req, HttpServletResponse resp, OriginException e, String bucket,
                        String key) throws IOException {
        int status = switch (e.kind()) {
            case DENIED -> HttpServletResponse.SC_FORBIDDEN;
            case CHANGED -> HttpServletResponse.SC_SERVICE_UNAVAILABLE;
            case TIMEOUT -> HttpServletResponse.SC_GATEWAY_TIMEOUT;
            case UNAVAILABLE, BAD_RESPONSE -> HttpServletResponse.SC_BAD_GATEWAY;
        };
        String code = null;
        if (e.kind() == OriginException.Kind.CHANGED) {
            resp.setHeader("Retry-After", "1");
            code = "SlowDown";
        }
        if (S3Errors.fromS3Client(req)) {
            S3Errors.write(resp, status, code == null ? S3Errors.code(status) : code, e.getMessage(), bucket, key);
        } else {
            error(resp, status, e.getMessage());
        }
    }

    /**
     * An error in the form the client understands: S3's XML error document for S3 clients ({@code code} null:
     * derived from the status), one line of text for everyone else.
     */
    static void error(HttpServletRequest req, HttpServletResponse resp, int status, String code, String message,
                      ObjectKey key) throws IOException {
        if (S3Errors.fromS3Client(req)) {
            S3Errors.write(resp, status, code == null ? S3Errors.code(status) : code, message,
                    key == null ? null : key.bucket(), key == null ? null : key.key());
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

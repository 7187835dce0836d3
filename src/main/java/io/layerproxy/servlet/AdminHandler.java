package io.layerproxy.servlet;

import io.layerproxy.LayerProxy;
import io.layerproxy.ObjectKey;
import io.layerproxy.events.EventApplier;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * State-changing endpoints under {@code /_layerproxy/}: {@code POST /_layerproxy/purge?key=bucket/key} or
 * {@code ?prefix=bucket/prefix}. They are off (404) without {@code --admin-token}, and answer 401 to a request
 * without {@code Authorization: Bearer <token>}. Purging is local: S3 is never called.
 */
final class AdminHandler {
    private static final Logger LOG = LoggerFactory.getLogger(AdminHandler.class);
    static final String PURGE = "/_layerproxy/purge";
    static final String EVENTS = "/_layerproxy/events";
    private static final int MAX_EVENT_BYTES = 1 << 20;

    private final LayerProxy proxy;
    private final byte[] token;
    private final EventApplier events;

    AdminHandler(LayerProxy proxy, String adminToken) {
        this.proxy = proxy;
        this.events = proxy.events();
        this.token = adminToken == null ? null : adminToken.getBytes(StandardCharsets.UTF_8);
    }

    void purge(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!admitted(req, resp, "purge")) {
            return;
        }
        String key = req.getParameter("key");
        String prefix = req.getParameter("prefix");
        if ((key == null) == (prefix == null)) {
            Responses.error(
                    resp,
                    HttpServletResponse.SC_BAD_REQUEST,
                    "give exactly one of key=bucket/key or prefix=bucket/prefix");
            return;
        }
        int purged;
        try {
            if (key != null) {
                purged = proxy.purge(ObjectKey.parse(key)) ? 1 : 0;
            } else {
                int slash = prefix.indexOf('/');
                String bucket = slash < 0 ? prefix : prefix.substring(0, slash);
                if (!ObjectKey.isValidBucket(bucket)) {
                    throw new IllegalArgumentException("invalid bucket name: " + Responses.abbreviate(bucket));
                }
                purged = proxy.purgePrefix(bucket, slash < 0 ? "" : prefix.substring(slash + 1));
            }
        } catch (IllegalArgumentException e) {
            Responses.error(resp, HttpServletResponse.SC_BAD_REQUEST, e.getMessage());
            return;
        }
        LOG.info("purged {} object(s) for {}", purged, key != null ? "key " + key : "prefix " + prefix);
        json(resp, "{\"purged\":" + purged + "}");
    }

    /**
     * {@code POST /_layerproxy/events}: one S3 event notification (S3's records, SNS, EventBridge, MinIO or Ceph
     * webhooks), applied as the SQS consumer applies it; {@code {"events":N,"applied":A,"ignored":I}}.
     */
    void events(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!admitted(req, resp, "events")) {
            return;
        }
        byte[] bytes = req.getInputStream().readNBytes(MAX_EVENT_BYTES + 1);
        if (bytes.length > MAX_EVENT_BYTES) {
            Responses.error(resp, HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE, "an event over 1 MiB");
            return;
        }
        EventApplier.Outcome outcome;
        try {
            outcome = events.apply(new String(bytes, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            Responses.error(resp, HttpServletResponse.SC_BAD_REQUEST, e.getMessage());
            return;
        }
        json(
                resp,
                "{\"events\":" + outcome.events() + ",\"applied\":" + outcome.applied() + ",\"ignored\":"
                        + outcome.ignored() + "}");
    }

    /** The admin endpoints' gate: on with --admin-token, the bearer token, POST. */
    private boolean admitted(HttpServletRequest req, HttpServletResponse resp, String what) throws IOException {
        if (token == null) {
            Responses.error(
                    resp,
                    HttpServletResponse.SC_NOT_FOUND,
                    "admin endpoints are off: start layerproxy with --admin-token to use them");
            return false;
        }
        if (!authorized(req.getHeader("Authorization"))) {
            resp.setHeader("WWW-Authenticate", "Bearer realm=\"layerproxy\"");
            Responses.error(resp, HttpServletResponse.SC_UNAUTHORIZED, "a valid admin token is required");
            return false;
        }
        if (!"POST".equals(req.getMethod())) {
            resp.setHeader("Allow", "POST");
            Responses.error(resp, HttpServletResponse.SC_METHOD_NOT_ALLOWED, what + " takes POST");
            return false;
        }
        return true;
    }

    private static void json(HttpServletResponse resp, String json) throws IOException {
        byte[] body = (json + "\n").getBytes(StandardCharsets.UTF_8);
        resp.setStatus(HttpServletResponse.SC_OK);
        resp.setContentType("application/json");
        resp.setHeader("Cache-Control", "no-store");
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }

    /** Constant-time comparison, so the token cannot be guessed byte by byte from response times. */
    private boolean authorized(String header) {
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return MessageDigest.isEqual(token, header.substring(7).trim().getBytes(StandardCharsets.UTF_8));
    }
}

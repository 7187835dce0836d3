package io.layerproxy.servlet;

import io.layerproxy.LayerProxy;
import io.layerproxy.ObjectKey;
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

    private final LayerProxy proxy;
    private final byte[] token;

    AdminHandler(LayerProxy proxy, String adminToken) {
        this.proxy = proxy;
        this.token = adminToken == null ? null : adminToken.getBytes(StandardCharsets.UTF_8);
    }

    void purge(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (token == null) {
            Responses.error(
                    resp,
                    HttpServletResponse.SC_NOT_FOUND,
                    "admin endpoints are off: start layerproxy with --admin-token to use them");
            return;
        }
        if (!authorized(req.getHeader("Authorization"))) {
            resp.setHeader("WWW-Authenticate", "Bearer realm=\"layerproxy\"");
            Responses.error(resp, HttpServletResponse.SC_UNAUTHORIZED, "a valid admin token is required");
            return;
        }
        if (!"POST".equals(req.getMethod())) {
            resp.setHeader("Allow", "POST");
            Responses.error(resp, HttpServletResponse.SC_METHOD_NOT_ALLOWED, "purge takes POST");
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
        byte[] body = ("{\"purged\":" + purged + "}\n").getBytes(StandardCharsets.UTF_8);
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

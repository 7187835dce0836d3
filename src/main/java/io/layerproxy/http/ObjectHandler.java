package io.layerproxy.http;

import io.layerproxy.LayerProxy;
import io.layerproxy.LayerProxy.Lookup;
import io.layerproxy.ObjectBody;
import io.layerproxy.ObjectInfo;
import io.layerproxy.ObjectKey;
import io.layerproxy.OriginException;
import io.layerproxy.config.LayerProxyConfig;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Answers GET and HEAD of one object path ({@code /bucket/key}) from the proxy. */
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
            Responses.error(resp, HttpServletResponse.SC_BAD_REQUEST, e.getMessage());
            return;
        }
        String method = req.getMethod();
        boolean head = "HEAD".equals(method);
        if (!head && !"GET".equals(method)) {
            resp.setHeader("Allow", "GET, HEAD");
            Responses.error(resp, HttpServletResponse.SC_METHOD_NOT_ALLOWED, method + " is not allowed; use GET or HEAD");
            return;
        }
        try {
            Lookup lookup = proxy.lookup(key);
            if (lookup.found()) {
                send(req, resp, key, lookup, HttpServletResponse.SC_OK, head);
                return;
            }
            // the fallback answers for missing keys of allowed buckets only; it is looked up, never recursed into
            Lookup substitute = fallback != null && proxy.allows(key.bucket()) ? proxy.lookup(fallback) : null;
            if (substitute != null && substitute.found()) {
                send(req, resp, fallback, substitute, fallbackStatus, head);
            } else {
                Responses.error(resp, HttpServletResponse.SC_NOT_FOUND, "no such object: " + key);
            }
        } catch (OriginException e) {
            if (resp.isCommitted()) {
                // headers promised a length we cannot deliver: abort rather than complete short
                LOG.warn("aborting response for {}: {}", key, e.getMessage());
                throw new IOException("aborted: " + e.getMessage(), e);
            }
            Responses.originError(resp, e);
        }
    }

    private void send(HttpServletRequest req, HttpServletResponse resp, ObjectKey key, Lookup lookup, int status,
                      boolean head) throws IOException {
        resp.setStatus(status);
        if (head || lookup.info().size() == 0) {
            Responses.objectHeaders(req, resp, key, lookup.info(), lookup.layer());
            resp.setContentLengthLong(lookup.info().size());
            return;
        }
        sendBody(req, resp, key, lookup.info());
    }

    private void sendBody(HttpServletRequest req, HttpServletResponse resp, ObjectKey key, ObjectInfo info)
            throws IOException {
        Opened opened = open(key, info);
        if (opened == null) {
            Responses.error(resp, HttpServletResponse.SC_NOT_FOUND, "no such object: " + key);
            return;
        }
        try (ObjectBody body = opened.body()) {
            Responses.objectHeaders(req, resp, key, opened.info(), body.firstLayer());
            resp.setContentLengthLong(opened.info().size());
            body.writeTo(resp.getOutputStream());
        }
    }

    private record Opened(ObjectInfo info, ObjectBody body) {
    }

    /** Opens the body; when the object changed since its metadata was read, starts over once. Null: deleted. */
    private Opened open(ObjectKey key, ObjectInfo info) {
        try {
            return new Opened(info, proxy.open(key, info, 0, info.size()));
        } catch (OriginException e) {
            if (e.kind() != OriginException.Kind.CHANGED) {
                throw e;
            }
        }
        Lookup again = proxy.lookup(key);
        if (!again.found()) {
            return null;
        }
        return new Opened(again.info(), proxy.open(key, again.info(), 0, again.info().size()));
    }

    /** {@code /bucket/key...} to a key; the container has already decoded and normalized the path. */
    static ObjectKey parse(String path) {
        int slash = path.indexOf('/', 1);
        if (slash < 0 || slash == path.length() - 1) {
            throw new IllegalArgumentException("expected /{bucket}/{key}, was: " + abbreviate(path));
        }
        return new ObjectKey(path.substring(1, slash), path.substring(slash + 1));
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}

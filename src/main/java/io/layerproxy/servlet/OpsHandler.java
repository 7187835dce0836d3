package io.layerproxy.servlet;

import io.layerproxy.LayerProxy;
import io.layerproxy.config.LayerProxyConfig;
import io.layerproxy.ops.History;
import io.layerproxy.ops.InFlight;
import io.layerproxy.ops.StatusPage;
import io.layerproxy.watch.BackgroundTasks;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Read-only endpoints for operators under {@code /_layerproxy/}: {@code health} (liveness: the process serves
 * requests), {@code ready} (readiness: S3 answers, every layer works, not shutting down), {@code metrics}
 * (Prometheus text) and {@code status} (HTML, or JSON with {@code Accept: application/json} or
 * {@code ?format=json}). None of them calls S3 except {@code ready}, at most once every few seconds.
 */
final class OpsHandler {
    static final String BASE = "/_layerproxy/";

    private final LayerProxy proxy;
    private final InFlight inFlight;
    private final StatusPage status;
    private final History history;

    OpsHandler(LayerProxy proxy, LayerProxyConfig config, InFlight inFlight, RequestLog log, BackgroundTasks tasks) {
        this.proxy = proxy;
        this.inFlight = inFlight;
        this.history = History.start(proxy, inFlight, log::stats);
        this.status = new StatusPage(proxy, config, inFlight, log::stats, tasks, history, log.servedKeys());
    }

    /** Stops sampling the status page's history. */
    void close() {
        history.close();
    }

    /** Handles {@code name} (the path after {@code /_layerproxy/}); false when it is not one of these endpoints. */
    boolean handle(String name, HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!name.equals("health") && !name.equals("ready") && !name.equals("metrics") && !name.equals("status")) {
            return false;
        }
        if (!"GET".equals(req.getMethod()) && !"HEAD".equals(req.getMethod())) {
            resp.setHeader("Allow", "GET, HEAD");
            Responses.error(resp, HttpServletResponse.SC_METHOD_NOT_ALLOWED, name + " takes GET or HEAD");
            return true;
        }
        switch (name) {
            case "health" -> send(req, resp, 200, "text/plain;charset=utf-8", "ok\n");
            case "ready" -> ready(req, resp);
            case "metrics" -> metrics(req, resp);
            default -> {
                String accept = req.getHeader("Accept");
                boolean json = "json".equals(req.getParameter("format"))
                        || accept != null && accept.contains("application/json") && !accept.contains("text/html");
                resp.setHeader("Vary", "Accept");
                if (json) {
                    send(req, resp, 200, "application/json", status.json());
                } else {
                    send(req, resp, 200, "text/html;charset=utf-8", status.html());
                }
            }
        }
        return true;
    }

    private void ready(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        Map<String, String> checks = new LinkedHashMap<>();
        checks.put("shutdown", inFlight.draining() ? "draining: shutting down" : "ok");
        String originProblem = proxy.originProblem();
        checks.put("origin", originProblem == null ? "ok" : "unreachable: " + originProblem);
        for (LayerProxy.LayerState layer : proxy.layerStates()) {
            checks.put("layer " + layer.name(), layer.stats().usable() ? "ok" : "failing: served as misses");
        }
        boolean ready = checks.values().stream().allMatch("ok"::equals);
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("ready", ready);
        answer.put("checks", checks);
        send(req, resp, ready ? 200 : 503, "application/json", StatusPage.json(answer, false));
    }

    private void metrics(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!(proxy.meterRegistry() instanceof PrometheusMeterRegistry prometheus)) {
            Responses.error(
                    resp,
                    HttpServletResponse.SC_NOT_FOUND,
                    "metrics go to the MeterRegistry this proxy was built with, not to Prometheus");
            return;
        }
        send(req, resp, 200, "text/plain; version=0.0.4; charset=utf-8", prometheus.scrape());
    }

    private static void send(HttpServletRequest req, HttpServletResponse resp, int status, String type, String body)
            throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        resp.setStatus(status);
        resp.setContentType(type);
        resp.setHeader("Cache-Control", "no-store");
        resp.setContentLength(bytes.length);
        if (!"HEAD".equals(req.getMethod())) {
            resp.getOutputStream().write(bytes);
        }
    }
}

package io.layerproxy.servlet;

import io.layerproxy.LayerProxy;
import io.layerproxy.config.ConfigParser;
import io.layerproxy.config.LayerProxyConfig;
import io.layerproxy.ops.InFlight;
import io.layerproxy.watch.BackgroundTasks;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.FilterRegistration;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Serves {@code GET|HEAD /{bucket}/{key}} below where it is mounted, from the layers of a {@link LayerProxy};
 * requests outside its url-patterns, and paths of fewer than two segments, go down the filter chain, so it can
 * sit in an existing webapp beside other servlets.
 *
 * <p>The proxy comes from, in order: the constructor (programmatic mounting); the {@link LayerProxyListener}
 * of the webapp (the WAR); else the filter builds its own from its init-params and the environment, and closes
 * it in {@link #destroy()}.
 */
public final class LayerProxyFilter implements Filter {
    private LayerProxy proxy;
    private LayerProxyConfig config;
    private LayerProxyListener.Installed owned;
    private List<String> prefixes = List.of("");
    private ObjectHandler handler;
    private ManyHandler many;
    private ListHandler list;
    private AdminHandler admin;
    private OpsHandler ops;
    private volatile RequestLog log;
    private InFlight inFlight = new InFlight();
    /** The watch loop and prefetch whose figures the status page shows; null when none runs beside this filter. */
    private BackgroundTasks tasks;

    /** For containers: the proxy is found or built in {@link #init(FilterConfig)}. */
    public LayerProxyFilter() {}

    /** For programmatic mounting: serves {@code proxy}, which the caller closes; {@code config} gives the rest. */
    public LayerProxyFilter(LayerProxy proxy, LayerProxyConfig config) {
        this(proxy, config, null);
    }

    /**
     * As {@link #LayerProxyFilter(LayerProxy, LayerProxyConfig)}, with the caller's background tasks (the watch loop,
     * prefetch; the caller closes them), whose figures the status page shows.
     */
    public LayerProxyFilter(LayerProxy proxy, LayerProxyConfig config, BackgroundTasks tasks) {
        this.proxy = proxy;
        this.config = config;
        this.tasks = tasks;
    }

    @Override
    public void init(FilterConfig filterConfig) throws ServletException {
        prefixes = mountPrefixes(filterConfig);
        if (proxy == null) {
            var installed = LayerProxyListener.installed(filterConfig.getServletContext());
            if (installed != null) {
                proxy = installed.proxy();
                config = installed.config();
                inFlight = installed.inFlight();
                tasks = installed.tasks();
            } else {
                try {
                    config = ConfigParser.parse(
                            Map.of(),
                            System.getenv(),
                            LayerProxyListener.initParams(
                                    filterConfig.getServletContext(), filterConfig.getFilterName()));
                } catch (IllegalArgumentException e) {
                    throw new ServletException("layerproxy configuration: " + e.getMessage(), e);
                }
                owned = LayerProxyListener.Installed.start(config);
                proxy = owned.proxy();
                inFlight = owned.inFlight();
                tasks = owned.tasks();
            }
        }
        handler = new ObjectHandler(proxy, config);
        many = new ManyHandler(proxy, config);
        list = new ListHandler(proxy, config.awsRegion());
        admin = new AdminHandler(proxy, config.adminToken());
        log = new RequestLog(proxy.meterRegistry());
        ops = new OpsHandler(proxy, config, inFlight, log, tasks);
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        if (!(request instanceof HttpServletRequest req) || !(response instanceof HttpServletResponse resp)) {
            chain.doFilter(request, response);
            return;
        }
        long start = System.nanoTime();
        var counting = new RequestLog.CountingResponse(resp);
        inFlight.enter();
        String[] route = {null};
        // a body written asynchronously ends the request later than this method returns
        RequestEnd end = RequestEnd.begin(req, () -> {
            inFlight.exit();
            if (route[0] != null) {
                log.record(route[0], req, counting, start);
            }
        });
        try {
            route[0] = route(req, counting);
        } finally {
            end.arrive();
        }
        if (route[0] == null) {
            chain.doFilter(request, response);
        }
    }

    /** Serves the request if it is ours and says which route took it; null when it goes down the chain. */
    private String route(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String path;
        try {
            path = RequestPath.of(req);
        } catch (IllegalArgumentException e) {
            Responses.error(req, resp, HttpServletResponse.SC_BAD_REQUEST, "InvalidURI", e.getMessage(), null);
            return "object";
        }
        for (String prefix : prefixes) {
            if (path.equals(prefix + "/_many/") || path.equals(prefix + "/_many")) {
                many.handle(req, resp);
                return "many";
            }
            if (path.equals(prefix + AdminHandler.PURGE)) {
                admin.purge(req, resp);
                return "admin";
            }
            if (path.equals(prefix + AdminHandler.EVENTS)) {
                admin.events(req, resp);
                return "admin";
            }
            if (path.startsWith(prefix + OpsHandler.BASE)
                    && ops.handle(path.substring(prefix.length() + OpsHandler.BASE.length()), req, resp)) {
                return RequestLog.OPS;
            }
            if ((path.equals(prefix + "/") || path.equals(prefix)) && S3Errors.fromS3Client(req)) {
                list.buckets(req, resp);
                return "list";
            }
            if (!path.startsWith(prefix + "/") || path.length() == prefix.length() + 1) {
                continue;
            }
            String rest = path.substring(prefix.length());
            String raw = req.getRequestURI();
            if (hasDotSegment(raw)) {
                // the container resolved them, but a key is never reached by climbing out of another one
                Responses.error(
                        req,
                        resp,
                        HttpServletResponse.SC_BAD_REQUEST,
                        "InvalidURI",
                        "dot segments (. and ..) are not allowed in object paths",
                        null);
                return "object";
            }
            if (raw.contains("%2F") || raw.contains("%2f")) {
                // S3 would read it as a slash; containers disagree on it, so it is refused rather than guessed
                Responses.error(
                        req,
                        resp,
                        HttpServletResponse.SC_BAD_REQUEST,
                        "InvalidURI",
                        "encoded slashes (%2F) are not allowed in object paths; send / as it is",
                        null);
                return "object";
            }
            if (raw.indexOf(';') >= 0) {
                // the container strips ;params, so /b/k;x would silently serve /b/k
                Responses.error(
                        req,
                        resp,
                        HttpServletResponse.SC_BAD_REQUEST,
                        "InvalidURI",
                        "path parameters (;) are not supported; percent-encode ; in keys as %3B",
                        null);
                return "object";
            }
            int slash = rest.indexOf('/', 1);
            // /{bucket} or /{bucket}/ asked by an S3 client, or with ListObjects parameters: a bucket listing
            if ((slash < 0 || slash == rest.length() - 1) && (S3Query.isListing(req) || S3Errors.fromS3Client(req))) {
                list.handle(rest.substring(1, slash < 0 ? rest.length() : slash), req, resp);
                return "list";
            }
            // ours: /{bucket}/... below the mount; the root and single segments (favicon.ico) are not
            if (slash > 0) {
                handler.handle(rest, req, resp);
                return "object";
            }
        }
        return null;
    }

    /** The filter's meters and access log; null until {@link #init}. */
    RequestLog requestLog() {
        return log;
    }

    InFlight inFlight() {
        return inFlight;
    }

    @Override
    public void destroy() {
        if (ops != null) {
            ops.close();
        }
        if (owned != null) {
            owned.close();
        }
    }

    /**
     * True when the request target, as sent, has a {@code .} or {@code ..} segment (plain or percent-encoded), with a
     * backslash counted as a separator too: S3 keys may hold backslashes, but never to climb out of a folder on an
     * S3-compatible store that keeps objects in files.
     */
    static boolean hasDotSegment(String rawPath) {
        // one pass, no copies: it runs on every object request (the replace-and-split it replaced was 2 % of a hit)
        int dots = 0;
        boolean other = false;
        for (int i = 0, n = rawPath.length(); i <= n; i++) {
            char c = i == n ? '/' : rawPath.charAt(i);
            if (c == '%' && i + 2 < n) {
                char high = rawPath.charAt(i + 1);
                char low = rawPath.charAt(i + 2);
                if (high == '2' && (low == 'e' || low == 'E')) {
                    c = '.';
                    i += 2;
                } else if (high == '5' && (low == 'c' || low == 'C')) {
                    c = '\\';
                    i += 2;
                }
            }
            if (c == '/' || c == '\\') {
                if (!other && (dots == 1 || dots == 2)) {
                    return true;
                }
                dots = 0;
                other = false;
            } else if (c == '.') {
                dots++;
            } else {
                other = true;
            }
        }
        return false;
    }

    /** The path prefixes of this filter's {@code /prefix/*} url-patterns, longest first; "" for {@code /*}. */
    private static List<String> mountPrefixes(FilterConfig filterConfig) {
        FilterRegistration registration =
                filterConfig.getServletContext().getFilterRegistration(filterConfig.getFilterName());
        List<String> found = new ArrayList<>();
        if (registration != null) {
            for (String pattern : registration.getUrlPatternMappings()) {
                if (pattern.equals("/*")) {
                    found.add("");
                } else if (pattern.startsWith("/") && pattern.endsWith("/*")) {
                    found.add(pattern.substring(0, pattern.length() - 2));
                }
            }
        }
        if (found.isEmpty()) {
            found.add("");
        }
        found.sort(Comparator.comparingInt(String::length).reversed());
        return List.copyOf(found);
    }
}

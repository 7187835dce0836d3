package io.layerproxy.servlet;

import io.layerproxy.LayerProxy;
import io.layerproxy.config.ConfigParser;
import io.layerproxy.config.LayerProxyConfig;
import io.layerproxy.config.ProxyFactory;
import io.layerproxy.ops.InFlight;
import io.layerproxy.watch.BackgroundTasks;
import jakarta.servlet.FilterRegistration;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the proxy's lifecycle in a webapp: builds it (and starts prefetch and the watch loop) when the webapp starts, from the environment, context params
 * named {@code layerproxy.<option>} (a deployment's override, e.g. Tomcat's context.xml) and the
 * {@link LayerProxyFilter}'s init-params, in that precedence; closes it when the webapp stops, so the disk
 * layer is flushed for the next start.
 */
public final class LayerProxyListener implements ServletContextListener {
    private static final Logger LOG = LoggerFactory.getLogger(LayerProxyListener.class);
    private static final String ATTRIBUTE = LayerProxyListener.class.getName() + ".installed";
    private static final String CONTEXT_PARAM_PREFIX = "layerproxy.";

    /** What the listener installed in the servlet context. */
    record Installed(LayerProxy proxy, LayerProxyConfig config, BackgroundTasks tasks, InFlight inFlight) {
        /**
         * Lets requests in flight finish (up to {@code --drain-timeout}), stops the background work, then closes
         * the proxy (flushing the disk layer).
         */
        void close() {
            if (inFlight.count() > 0) {
                LOG.info(
                        "shutting down: waiting up to {} s for {} request(s) in flight",
                        config.drainTimeout().toSeconds(),
                        inFlight.count());
            }
            int left = inFlight.drain(config.drainTimeout());
            if (left > 0) {
                LOG.warn(
                        "shutting down with {} request(s) still in flight after {} s; they are cut",
                        left,
                        config.drainTimeout().toSeconds());
            }
            tasks.close();
            proxy.close();
        }

        static Installed start(LayerProxyConfig config) {
            if (config.fleet() != null && config.fleetAdvertise() == null) {
                throw new IllegalArgumentException(
                        "fleet mode in a webapp needs fleet-advertise: this node's URL as its peers reach it, context"
                                + " path included");
            }
            LayerProxy proxy = ProxyFactory.create(config, System.getenv());
            try {
                if (config.fleetAdvertise() != null) {
                    proxy.joinFleet(config.fleetAdvertise());
                }
            } catch (Exception e) {
                proxy.close();
                throw new IllegalStateException("joining the fleet failed: " + e.getMessage(), e);
            }
            return new Installed(proxy, config, BackgroundTasks.start(proxy, config), new InFlight());
        }
    }

    @Override
    public void contextInitialized(ServletContextEvent event) {
        ServletContext context = event.getServletContext();
        String filterName = null;
        for (var registration : context.getFilterRegistrations().values()) {
            if (LayerProxyFilter.class.getName().equals(registration.getClassName())) {
                filterName = registration.getName();
            }
        }
        LayerProxyConfig config;
        try {
            config = ConfigParser.parse(Map.of(), System.getenv(), initParams(context, filterName));
        } catch (IllegalArgumentException e) {
            LOG.error("layerproxy not started: {}", e.getMessage());
            throw new IllegalStateException("layerproxy configuration: " + e.getMessage(), e);
        }
        context.setAttribute(ATTRIBUTE, Installed.start(config));
    }

    @Override
    public void contextDestroyed(ServletContextEvent event) {
        Object installed = event.getServletContext().getAttribute(ATTRIBUTE);
        event.getServletContext().removeAttribute(ATTRIBUTE);
        if (installed instanceof Installed i) {
            i.close();
            LOG.info("layerproxy stopped");
        }
    }

    static Installed installed(ServletContext context) {
        return context.getAttribute(ATTRIBUTE) instanceof Installed i ? i : null;
    }

    /** The filter's init-params overridden by {@code layerproxy.*} context params. */
    static Map<String, String> initParams(ServletContext context, String filterName) {
        Map<String, String> params = new HashMap<>();
        FilterRegistration registration = filterName == null ? null : context.getFilterRegistration(filterName);
        if (registration != null) {
            params.putAll(registration.getInitParameters());
        }
        for (String name : Collections.list(context.getInitParameterNames())) {
            if (name.startsWith(CONTEXT_PARAM_PREFIX)) {
                params.put(name.substring(CONTEXT_PARAM_PREFIX.length()), context.getInitParameter(name));
            }
        }
        return params;
    }
}

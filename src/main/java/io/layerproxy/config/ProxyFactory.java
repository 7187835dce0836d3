package io.layerproxy.config;

import io.layerproxy.LayerProxy;
import io.layerproxy.Origin;
import io.layerproxy.layer.EhcacheLayer;
import io.layerproxy.origin.S3Clients;
import io.layerproxy.origin.S3Origin;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Assembles the standard stack a configuration describes: memory, disk, S3. */
public final class ProxyFactory {
    private static final Logger LOG = LoggerFactory.getLogger(ProxyFactory.class);

    private ProxyFactory() {}

    /** The proxy for {@code config}; {@code env} supplies AWS credentials (usually {@code System.getenv()}). */
    public static LayerProxy create(LayerProxyConfig config, Map<String, String> env) {
        return create(
                config,
                S3Origin.create(S3Clients.create(
                        config.awsRegion(), config.s3Endpoint(), config.pathStyle(), env, config.originTimeout())));
    }

    /** The configured layers in front of the given origin (e.g. a decorated {@link S3Origin}). */
    public static LayerProxy create(LayerProxyConfig config, Origin origin) {
        return builder(config, origin).build();
    }

    /** The builder {@link #create(LayerProxyConfig, Origin)} uses, for a caller that sets more (a clock). */
    public static LayerProxy.Builder builder(LayerProxyConfig config, Origin origin) {
        var builder = LayerProxy.builder()
                .blockSize(config.blockSize())
                .bufferMemory(config.bufferMemory())
                .maxAge(config.maxAge())
                .negativeTtl(config.negativeTtl())
                .staleIfError(config.staleIfError())
                .originTimeout(config.originTimeout())
                .originMaxWaiting(config.originMaxWaiting())
                .honorOriginCacheControl(config.honorOriginCacheControl())
                .staleWhileRevalidate(config.staleWhileRevalidate())
                .maxObjectSize(config.maxObjectSize())
                .originParts(config.originParallel(), config.originPartSize())
                .buckets(config.buckets());
        config.rules().forEach(builder::rule);
        if (config.fleet() != null) {
            builder.fleet(config.fleet());
        }
        // off-heap only: a heap tier smaller than the working set faults and evicts an entry on most hits, which
        // measured 2.4x slower for 4 KiB and 3x slower for 1 MiB values than no heap tier (HitPathBenchmark)
        builder.addLayer(EhcacheLayer.memory(config.cacheSize()));
        if (config.diskSize() > 0) {
            // an unusable folder is logged and retried by the layer itself: the proxy serves without it meanwhile
            builder.addLayer(EhcacheLayer.disk(config.diskDir(), config.diskSize()));
        }
        if (config.buckets().isEmpty()) {
            LOG.warn("no --buckets allowlist: every bucket the AWS credentials can read is exposed");
        }
        builder.origin(origin);
        // the JVM's own meters beside the proxy's: operators size heap and direct memory from them
        var registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        builder.meterRegistry(registry);
        // without listen: the standalone server logs where it listens, and a WAR listens where its container does
        var options = new java.util.LinkedHashMap<>(config.describe());
        options.remove("listen");
        LOG.info("layerproxy ready: {}", options);
        return builder;
    }
}

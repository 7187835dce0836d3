package io.layerproxy.cache;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.ToDoubleFunction;

/**
 * The core's meters: per layer, what it holds (read from the layer on each scrape) and its hits and misses; the
 * single-flight waits. Origin meters are {@link MeteredOrigin}'s; request meters are the HTTP layer's.
 */
final class ProxyMetrics {
    /** Counters kept per layer, so the hot path does no meter lookup. */
    record LayerMeters(Counter hits, Counter misses) {}

    private final Counter blockWaits;
    private final Counter metadataWaits;
    private final Counter partsAhead;

    private final MeterRegistry registry;

    ProxyMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.blockWaits = flightWaits(registry, "block");
        this.metadataWaits = flightWaits(registry, "metadata");
        this.partsAhead = Counter.builder("layerproxy.origin.parts.ahead")
                .description("parts of large cold objects read from the origin in parallel, ahead of their reader")
                .register(registry);
    }

    /** A part was read ahead of its reader (see PartsAhead). */
    void partAhead() {
        partsAhead.increment();
    }

    /** How many "does not exist" answers are remembered (bounded by {@link NegativeCache#MAX_ENTRIES}). */
    void registerNegatives(NegativeCache negatives) {
        Gauge.builder("layerproxy.negative.entries", negatives, NegativeCache::size)
                .description("\"does not exist\" answers remembered for the negative TTL, at most "
                        + NegativeCache.MAX_ENTRIES)
                .strongReference(true)
                .register(registry);
    }

    /** Readers that waited for another reader's request (a block or the metadata) instead of sending their own. */
    long flightWaits() {
        return (long) (blockWaits.count() + metadataWaits.count());
    }

    static LayerMeters register(MeterRegistry registry, GuardedLayer layer) {
        String name = layer.name();
        layerGauge(
                registry,
                "layerproxy.layer.entries",
                "entries held",
                null,
                layer,
                l -> l.stats().entries());
        layerGauge(
                registry,
                "layerproxy.layer.bytes",
                "bytes held",
                "bytes",
                layer,
                l -> l.stats().bytes());
        layerGauge(
                registry,
                "layerproxy.layer.capacity",
                "most bytes the layer holds",
                "bytes",
                layer,
                l -> l.capacity() == Long.MAX_VALUE ? -1 : l.capacity());
        layerGauge(
                registry,
                "layerproxy.layer.usable",
                "1 while the layer works, 0 while it is in trouble",
                null,
                layer,
                l -> l.stats().usable() ? 1 : 0);
        FunctionCounter.builder(
                        "layerproxy.layer.evictions",
                        layer,
                        l -> nonNegative(l.stats().evictions()))
                .description("entries the layer dropped to make room")
                .tag("layer", name)
                .register(registry);
        FunctionCounter.builder("layerproxy.layer.failures", layer, GuardedLayer::failures)
                .description("layer operations that failed and were served as misses")
                .tag("layer", name)
                .register(registry);
        return new LayerMeters(layerGets(registry, name, "hit"), layerGets(registry, name, "miss"));
    }

    /** The pipeline's gauges: the block budget and the store queue. */
    void registerPipeline(BlockPipeline blocks) {
        Gauge.builder("layerproxy.buffer.capacity", blocks.budget, BlockBudget::bytes)
                .baseUnit("bytes")
                .description("the memory budget for block bytes (buffer-memory)")
                .register(registry);
        Gauge.builder("layerproxy.buffer.used", blocks.budget, BlockBudget::inUse)
                .baseUnit("bytes")
                .description("block bytes held now: reads, read-ahead, blocks waiting for the store")
                .register(registry);
        Gauge.builder("layerproxy.store.queued", blocks.store, StoreQueue::queuedBytes)
                .baseUnit("bytes")
                .description("block bytes waiting to be written into the layers")
                .register(registry);
        FunctionCounter.builder("layerproxy.buffer.waits", blocks.budget, BlockBudget::waits)
                .description("reads that waited for block memory")
                .register(registry);
        FunctionCounter.builder("layerproxy.store.skipped", blocks.store, StoreQueue::skipped)
                .description("block writes skipped because the store queue stayed full (slow disk)")
                .register(registry);
        Gauge.builder("layerproxy.origin.waiting", blocks.originWaits, OriginWaits::waiting)
                .description("requests waiting on S3 now before their answer starts (origin-max-waiting bounds it)")
                .register(registry);
        FunctionCounter.builder("layerproxy.origin.waiting.refused", blocks.originWaits, OriginWaits::refused)
                .description("requests refused with 503 because origin-max-waiting requests already waited on S3")
                .register(registry);
    }

    /** A reader waited for a block another reader was fetching from the origin. */
    void blockWait() {
        blockWaits.increment();
    }

    /** A lookup waited for a HEAD another lookup had sent. */
    void metadataWait() {
        metadataWaits.increment();
    }

    private static Counter layerGets(MeterRegistry registry, String layer, String result) {
        return Counter.builder("layerproxy.layer.gets")
                .description("reads of metadata and blocks from a layer, by result")
                .tag("layer", layer)
                .tag("result", result)
                .register(registry);
    }

    private static Counter flightWaits(MeterRegistry registry, String kind) {
        return Counter.builder("layerproxy.flight.waits")
                .description("reads that waited for another reader's origin request instead of sending their own")
                .tag("kind", kind)
                .register(registry);
    }

    private static void layerGauge(
            MeterRegistry registry,
            String metric,
            String description,
            String unit,
            GuardedLayer layer,
            ToDoubleFunction<GuardedLayer> value) {
        Gauge.builder(metric, layer, l -> nonNegative(value.applyAsDouble(l)))
                .description(description)
                .baseUnit(unit)
                .tag("layer", layer.name())
                .strongReference(true)
                .register(registry);
    }

    private static double nonNegative(double value) {
        return value < 0 ? Double.NaN : value;
    }
}

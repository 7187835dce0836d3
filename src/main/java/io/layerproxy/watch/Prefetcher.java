package io.layerproxy.watch;

import io.layerproxy.LayerProxy;
import io.layerproxy.Origin.Listed;
import io.layerproxy.config.LayerProxyConfig.BucketPrefix;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads every object under some prefixes into the local layers, a bounded number at a time, logging progress
 * ({@code prefetched 1200/5000 objects, 3.1 GB}) and a summary. Requests are served meanwhile: prefetch reads go
 * through the same proxy, so a request for an object being prefetched simply finds it or reads it too.
 */
public final class Prefetcher {
    private static final Logger LOG = LoggerFactory.getLogger(Prefetcher.class);
    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(5);

    private final LayerProxy proxy;
    private final List<BucketPrefix> prefixes;
    private final ExecutorService workers;
    private final int concurrency;
    private final Clock clock;
    private final java.util.function.Consumer<String> progress;
    /** For metrics and the status page: objects listed, loaded and failed, bytes loaded, and 1 while running. */
    private final AtomicLong listedObjects = new AtomicLong();

    private final AtomicLong loadedObjects = new AtomicLong();
    private final AtomicLong failedObjects = new AtomicLong();
    private final AtomicLong loadedBytes = new AtomicLong();
    private final AtomicLong running = new AtomicLong();

    /** What a prefetch did. */
    public record Summary(int objects, long bytes, int failed) {}

    /** Where a prefetch stands: objects listed, loaded and failed so far, bytes loaded. */
    public record Stats(boolean running, long listed, long loaded, long failed, long bytes) {
        /** No prefetch. */
        public static final Stats NONE = new Stats(false, 0, 0, 0, 0);
    }

    public Stats stats() {
        return new Stats(
                running.get() > 0, listedObjects.get(), loadedObjects.get(), failedObjects.get(), loadedBytes.get());
    }

    /** Logs progress and the summary at INFO. */
    public Prefetcher(
            LayerProxy proxy, List<BucketPrefix> prefixes, ExecutorService workers, int concurrency, Clock clock) {
        this(proxy, prefixes, workers, concurrency, clock, LOG::info);
    }

    /** Reports progress and the summary lines to {@code progress}. */
    public Prefetcher(
            LayerProxy proxy,
            List<BucketPrefix> prefixes,
            ExecutorService workers,
            int concurrency,
            Clock clock,
            java.util.function.Consumer<String> progress) {
        this.proxy = proxy;
        this.prefixes = List.copyOf(prefixes);
        this.workers = workers;
        this.concurrency = concurrency;
        this.clock = clock;
        this.progress = progress;
        MeterRegistry registry = proxy.meterRegistry();
        gauge(registry, "layerproxy.prefetch.objects", "state", "listed", listedObjects);
        gauge(registry, "layerproxy.prefetch.objects", "state", "loaded", loadedObjects);
        gauge(registry, "layerproxy.prefetch.objects", "state", "failed", failedObjects);
        gauge(registry, "layerproxy.prefetch.bytes", null, null, loadedBytes);
        gauge(registry, "layerproxy.prefetch.running", null, null, running);
    }

    private static void gauge(MeterRegistry registry, String name, String tag, String value, AtomicLong number) {
        var builder = Gauge.builder(name, number, AtomicLong::get)
                .description("prefetch progress")
                .strongReference(true);
        if (tag != null) {
            builder.tag(tag, value);
        }
        builder.register(registry);
    }

    /** Lists, then loads; returns when every object was loaded or failed. */
    public Summary run() throws InterruptedException {
        running.set(1);
        try {
            return load();
        } finally {
            running.set(0);
        }
    }

    private Summary load() throws InterruptedException {
        Instant started = clock.instant();
        List<Listed> objects = new ArrayList<>();
        long total = 0;
        for (BucketPrefix prefix : prefixes) {
            try {
                proxy.list(prefix.bucket(), prefix.prefix(), objects::add);
            } catch (RuntimeException e) {
                LOG.warn("prefetch: listing {} failed, skipping it: {}", prefix, e.getMessage());
            }
        }
        for (Listed o : objects) {
            total += o.size();
        }
        listedObjects.set(objects.size());
        progress.accept("prefetch: " + objects.size() + " objects, " + human(total) + " under " + prefixes);
        var permits = new Semaphore(concurrency);
        var done = new AtomicInteger();
        var failed = new AtomicInteger();
        var bytes = new AtomicLong();
        var lastReport = new java.util.concurrent.atomic.AtomicReference<>(started);
        for (Listed o : objects) {
            permits.acquire();
            workers.execute(() -> {
                try {
                    long size = proxy.warm(o.key());
                    if (size >= 0) {
                        bytes.addAndGet(size);
                        loadedBytes.addAndGet(size);
                    }
                    loadedObjects.incrementAndGet();
                } catch (RuntimeException e) {
                    failed.incrementAndGet();
                    failedObjects.incrementAndGet();
                    LOG.warn("prefetch: {} failed: {}", o.key(), e.getMessage());
                } finally {
                    int n = done.incrementAndGet();
                    Instant now = clock.instant();
                    Instant last = lastReport.get();
                    if (now.isAfter(last.plus(PROGRESS_EVERY)) && lastReport.compareAndSet(last, now)) {
                        progress.accept("prefetched " + n + "/" + objects.size() + " objects, " + human(bytes.get()));
                    }
                    permits.release();
                }
            });
        }
        permits.acquire(concurrency); // every task has finished
        permits.release(concurrency);
        Summary summary = new Summary(done.get() - failed.get(), bytes.get(), failed.get());
        progress.accept("prefetched " + summary.objects() + "/" + objects.size() + " objects, "
                + human(summary.bytes()) + " in "
                + Duration.between(started, clock.instant()).toSeconds() + " s ("
                + summary.failed() + " failed)");
        return summary;
    }

    /** Decimal units, one decimal: 3.1 GB. */
    static String human(long bytes) {
        String[] units = {"B", "kB", "MB", "GB", "TB"};
        double value = bytes;
        int unit = 0;
        while (value >= 1000 && unit < units.length - 1) {
            value /= 1000;
            unit++;
        }
        return unit == 0 ? bytes + " B" : String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }
}

package io.layerproxy.watch;

import io.layerproxy.LayerProxy;
import io.layerproxy.Origin.Listed;
import io.layerproxy.config.LayerProxyConfig.BucketPrefix;
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

    /** What a prefetch did. */
    public record Summary(int objects, long bytes, int failed) {
    }

    /** Logs progress and the summary at INFO. */
    public Prefetcher(LayerProxy proxy, List<BucketPrefix> prefixes, ExecutorService workers, int concurrency,
                      Clock clock) {
        this(proxy, prefixes, workers, concurrency, clock, LOG::info);
    }

    /** Reports progress and the summary lines to {@code progress}. */
    public Prefetcher(LayerProxy proxy, List<BucketPrefix> prefixes, ExecutorService workers, int concurrency,
                      Clock clock, java.util.function.Consumer<String> progress) {
        this.proxy = proxy;
        this.prefixes = List.copyOf(prefixes);
        this.workers = workers;
        this.concurrency = concurrency;
        this.clock = clock;
        this.progress = progress;
    }

    /** Lists, then loads; returns when every object was loaded or failed. */
    public Summary run() throws InterruptedException {
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
                    }
                } catch (RuntimeException e) {
                    failed.incrementAndGet();
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
                + human(summary.bytes()) + " in " + Duration.between(started, clock.instant()).toSeconds() + " s ("
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

package io.layerproxy.watch;

import io.layerproxy.LayerProxy;
import io.layerproxy.config.LayerProxyConfig;
import io.layerproxy.events.SqsEvents;
import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's background work: prefetch at start, then the watch loop every {@code --watch} seconds. Owned by
 * whoever owns the proxy (the webapp's listener, the standalone runner) and closed before it.
 */
public final class BackgroundTasks implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BackgroundTasks.class);
    /** Objects loaded at once by prefetch and by watch re-fetches. */
    static final int FETCH_CONCURRENCY = 8;

    private final ScheduledExecutorService scheduler;
    private final ExecutorService fetchers;
    private volatile @Nullable Prefetcher prefetcher;
    private volatile @Nullable Watcher watcher;
    private volatile @Nullable SqsEvents sqs;

    /** The watch loop's and the prefetch's figures; zeros for what is off. */
    public record Stats(Watcher.Stats watch, Prefetcher.Stats prefetch) {
        /** No background tasks at all (a filter mounted without them). */
        public static final Stats NONE = new Stats(Watcher.Stats.NONE, Prefetcher.Stats.NONE);
    }

    private BackgroundTasks(ScheduledExecutorService scheduler, ExecutorService fetchers) {
        this.scheduler = scheduler;
        this.fetchers = fetchers;
    }

    public Stats stats() {
        Watcher w = watcher;
        Prefetcher p = prefetcher;
        return new Stats(w == null ? Watcher.Stats.NONE : w.stats(), p == null ? Prefetcher.Stats.NONE : p.stats());
    }

    /** Starts prefetch (if any prefixes) and the watch loop (if {@code --watch} > 0); returns at once. */
    public static BackgroundTasks start(LayerProxy proxy, LayerProxyConfig config) {
        var scheduler = Executors.newSingleThreadScheduledExecutor(daemon("layerproxy-watch"));
        var fetchers = Executors.newFixedThreadPool(FETCH_CONCURRENCY, daemon("layerproxy-fetch"));
        var tasks = new BackgroundTasks(scheduler, fetchers);
        if (!config.prefetch().isEmpty()) {
            var prefetcher = new Prefetcher(proxy, config.prefetch(), fetchers, FETCH_CONCURRENCY, Clock.systemUTC());
            tasks.prefetcher = prefetcher;
            scheduler.execute(() -> {
                try {
                    prefetcher.run();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (RuntimeException e) {
                    LOG.warn("prefetch failed: {}", e.toString());
                }
            });
        }
        long seconds = config.watch().toSeconds();
        if (seconds > 0) {
            var watcher = new Watcher(proxy, config.prefetch(), fetchers);
            tasks.watcher = watcher;
            scheduler.scheduleWithFixedDelay(watcher::pollSafely, seconds, seconds, TimeUnit.SECONDS);
            LOG.info("watch: polling S3 every {} s", seconds);
        }
        if (config.eventsSqs() != null) {
            tasks.sqs = SqsEvents.start(
                    config.eventsSqs(),
                    config.eventsSqsEndpoint(),
                    config.awsRegion(),
                    System.getenv(),
                    proxy.events());
        }
        return tasks;
    }

    @Override
    public void close() {
        SqsEvents consumer = sqs;
        if (consumer != null) {
            consumer.close();
        }
        scheduler.shutdownNow();
        fetchers.shutdownNow();
        try {
            if (!scheduler.awaitTermination(5, TimeUnit.SECONDS) || !fetchers.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warn("background tasks did not stop within 5 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static ThreadFactory daemon(String name) {
        var count = new AtomicInteger();
        return runnable -> {
            var thread = new Thread(runnable, name + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}

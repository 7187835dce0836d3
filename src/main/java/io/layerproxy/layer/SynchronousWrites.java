package io.layerproxy.layer;

import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.ehcache.core.spi.service.ExecutionService;
import org.ehcache.impl.internal.executor.OnDemandExecutionService;
import org.ehcache.spi.service.Service;
import org.ehcache.spi.service.ServiceProvider;

/**
 * Makes Ehcache's disk tier write in the caller. By default it queues every write (holding a full copy of the
 * value) on an unbounded queue of its own threads, so a disk slower than the fills grows the heap without bound.
 * Written in the caller — the proxy's one store thread — a slow disk slows the store queue instead, which is
 * bounded and inside the memory budget. Scheduled and unordered work is left to Ehcache's own service.
 */
final class SynchronousWrites implements ExecutionService {
    private final OnDemandExecutionService others = new OnDemandExecutionService();

    @Override
    public ScheduledExecutorService getScheduledExecutor(String poolAlias) {
        return others.getScheduledExecutor(poolAlias);
    }

    @Override
    public ExecutorService getOrderedExecutor(String poolAlias, BlockingQueue<Runnable> queue) {
        return new CallerRuns();
    }

    @Override
    public ExecutorService getUnorderedExecutor(String poolAlias, BlockingQueue<Runnable> queue) {
        return others.getUnorderedExecutor(poolAlias, queue);
    }

    @Override
    public void start(ServiceProvider<Service> serviceProvider) {
        others.start(serviceProvider);
    }

    @Override
    public void stop() {
        others.stop();
    }

    /** Runs each task in the thread that submits it. */
    private static final class CallerRuns extends AbstractExecutorService {
        private volatile boolean shutdown;

        @Override
        public void execute(Runnable command) {
            command.run();
        }

        @Override
        public void shutdown() {
            shutdown = true;
        }

        @Override
        public List<Runnable> shutdownNow() {
            shutdown = true;
            return List.of();
        }

        @Override
        public boolean isShutdown() {
            return shutdown;
        }

        @Override
        public boolean isTerminated() {
            return shutdown;
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) {
            return true;
        }
    }
}

package io.layerproxy.layer;

import io.layerproxy.Layer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The disk layer, kept working through disk trouble: a read that fails is a miss (and the entry is dropped), a write
 * that fails is skipped, so a full or read-only disk costs hits, never requests. A folder that cannot be opened, or
 * disappears while in use, is tried again every few seconds and used again as soon as it can be. Trouble is logged
 * once when it starts and once when it ends.
 *
 * <p>Ehcache maps its files into memory, so a write to a full disk can also surface as an {@link InternalError} (a
 * SIGBUS on the mapping): that is a failure of this layer like any other. A failing store is not closed and
 * reopened: Ehcache keeps its folder lock when a close fails, so a reopen in this JVM would fail until restart.
 */
final class RecoveringDiskLayer implements Layer {
    private static final Logger LOG = LoggerFactory.getLogger(RecoveringDiskLayer.class);
    /** How often a working store's folder is checked for having disappeared. */
    private static final long CHECK_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** How often a folder that could not be opened is tried again. */
    private static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final Path dir;
    private final long bytes;
    private final long checkNanos;
    private final long retryNanos;
    /** True from the first failure until a write succeeds again. */
    private final AtomicBoolean troubled = new AtomicBoolean();

    private volatile EhcacheLayer store;
    private volatile long nextCheckNanos;
    private boolean closed;

    RecoveringDiskLayer(Path dir, long bytes) {
        this(dir, bytes, RETRY_NANOS);
    }

    /** With a shorter retry period, for tests that watch it recover. */
    RecoveringDiskLayer(Path dir, long bytes, long retryNanos) {
        this.dir = dir;
        this.bytes = bytes;
        this.retryNanos = retryNanos;
        this.checkNanos = Math.min(CHECK_NANOS, retryNanos);
        synchronized (this) {
            reopen();
            nextCheckNanos = System.nanoTime() + (store == null ? retryNanos : checkNanos);
        }
    }

    @Override
    public String name() {
        return "disk";
    }

    @Override
    public long capacity() {
        return bytes;
    }

    /** Whether the store is open and its last operation succeeded. */
    boolean usable() {
        return current() != null && !troubled.get();
    }

    @Override
    public Stats stats() {
        EhcacheLayer s = store;
        if (s == null) {
            return new Stats(0, 0, 0, false);
        }
        try {
            Stats inner = s.stats();
            return new Stats(inner.entries(), inner.bytes(), inner.evictions(), !troubled.get());
        } catch (RuntimeException | InternalError e) {
            return new Stats(-1, -1, -1, false);
        }
    }

    @Override
    public boolean contains(String key) {
        try {
            EhcacheLayer s = current();
            return s != null && s.contains(key);
        } catch (RuntimeException | InternalError e) {
            failed("read", e);
            return false;
        }
    }

    @Override
    public ByteBuffer get(String key, IntFunction<ByteBuffer> allocate) {
        // current() inside the try: the InternalError of a fault in a mapped file (a full disk) is raised wherever
        // the compiled code happens to be next, which may be the check inlined here
        EhcacheLayer s = null;
        try {
            s = current();
            return s == null ? null : s.get(key, allocate);
        } catch (RuntimeException | InternalError e) {
            failed("read", e);
            try {
                if (s != null) {
                    s.remove(key); // an unreadable entry would fail the same way on every read
                }
            } catch (RuntimeException | InternalError ignored) {
                // already counted as trouble
            }
            return null;
        }
    }

    @Override
    public void put(String key, ByteBuffer value) {
        try {
            EhcacheLayer s = current();
            if (s == null) {
                return;
            }
            s.put(key, value);
            if (troubled.get() && troubled.compareAndSet(true, false)) {
                LOG.info("disk layer in {} is usable again", dir);
            }
        } catch (RuntimeException | InternalError e) {
            failed("write", e);
        }
    }

    @Override
    public void remove(String key) {
        try {
            EhcacheLayer s = current();
            if (s == null) {
                return;
            }
            s.remove(key);
        } catch (RuntimeException | InternalError e) {
            failed("remove", e);
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        EhcacheLayer s = store;
        store = null;
        if (s != null) {
            try {
                s.close();
            } catch (RuntimeException | InternalError e) {
                LOG.warn(
                        "disk layer in {} could not be closed cleanly ({}); it starts empty next time",
                        dir,
                        EhcacheLayer.rootMessage(e));
            }
        }
    }

    private EhcacheLayer current() {
        if (System.nanoTime() - nextCheckNanos >= 0) {
            check();
        }
        return store;
    }

    private synchronized void check() {
        long now = System.nanoTime();
        if (now - nextCheckNanos < 0 || closed) {
            return;
        }
        EhcacheLayer s = store;
        if (s != null && !Files.isDirectory(dir)) {
            // its files are unlinked: writes would fill invisible files that no restart can read
            store = null;
            try {
                s.close();
            } catch (RuntimeException | InternalError e) {
                LOG.debug("closing the disk store of a deleted folder: {}", e.toString());
            }
            failed("its folder disappeared;", null);
        }
        if (store == null) {
            reopen();
        }
        nextCheckNanos = now + (store == null ? retryNanos : checkNanos);
    }

    private void reopen() {
        try {
            Files.createDirectories(dir);
            store = EhcacheLayer.openDisk(dir, bytes);
        } catch (IOException | RuntimeException | InternalError e) {
            failed("open", e);
        }
    }

    private void failed(String what, Throwable e) {
        String why = e == null ? what : what + " failed: " + EhcacheLayer.rootMessage(e);
        if (troubled.compareAndSet(false, true)) {
            LOG.warn(
                    "disk layer in {} is in trouble ({}); its reads are misses and its writes are skipped until it"
                            + " works again (further failures are logged at debug)",
                    dir,
                    why);
        } else {
            LOG.debug("disk layer in {}: {}", dir, why);
        }
    }
}

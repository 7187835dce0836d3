package io.layerproxy;

import io.layerproxy.layer.EhcacheLayer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.commons.io.file.PathUtils;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The hit path without HTTP: metadata lookup, block read and the write of every byte to a sink, from a memory or
 * a disk layer, for a small and a large object, over {@code keys} keys (more keys than the memory layer's heap
 * entries, as a real working set).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 1,
        jvmArgs = {"-Xmx1g", "-XX:MaxDirectMemorySize=1g"})
public class HitPathBenchmark {
    @Param({"memory", "disk"})
    public String layer;

    @Param({"4096", "1048576"})
    public int size;

    @Param({"256"})
    public int keys;

    /** Entries the memory layer keeps on heap in front of its off-heap tier (ProxyFactory picks up to 64). */
    @Param({"64"})
    public int hot;

    private LayerProxy proxy;
    private Path dir;
    private ObjectKey[] objectKeys;
    private int next;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        var origin = new MapOrigin();
        objectKeys = new ObjectKey[keys];
        var random = new Random(1);
        for (int i = 0; i < keys; i++) {
            byte[] bytes = new byte[size];
            random.nextBytes(bytes);
            objectKeys[i] = new ObjectKey("bench", "k/" + i);
            origin.put(objectKeys[i], bytes);
        }
        dir = Files.createTempDirectory("layerproxy-jmh");
        long bytes = Math.max(64L << 20, 2L * keys * size);
        var builder = LayerProxy.builder().origin(origin).maxAge(Duration.ofDays(1));
        if (layer.equals("memory")) {
            builder.addLayer(EhcacheLayer.memory(bytes));
        } else {
            builder.addLayer(EhcacheLayer.disk(dir, bytes));
        }
        proxy = builder.build();
        for (ObjectKey key : objectKeys) {
            proxy.warm(key);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        proxy.close();
        PathUtils.deleteDirectory(dir);
    }

    @Benchmark
    public void lookupAndWrite(Blackhole blackhole) throws IOException {
        ObjectKey key = objectKeys[next++ % keys];
        CachedObject lookup = proxy.read(key, ReadSpec.METADATA);
        try (ObjectBody body = lookup.open(0, lookup.info().size())) {
            body.writeTo(new BlackholeStream(blackhole));
            blackhole.consume(body.firstLayer());
        }
    }

    /** The response's output stream, minus the socket. */
    private static final class BlackholeStream extends OutputStream {
        private final Blackhole blackhole;

        BlackholeStream(Blackhole blackhole) {
            this.blackhole = blackhole;
        }

        @Override
        public void write(int b) {
            blackhole.consume(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            blackhole.consume(b);
            blackhole.consume(len);
        }
    }
}

package io.layerproxy;

import io.layerproxy.layer.EhcacheLayer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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

/**
 * One layer alone: puts of fresh 1 MiB blocks (what a cold stream costs the store thread) and gets of stored ones
 * (what a hit costs), for the memory and the disk layer. Throughput in blocks per second: MB/s, near enough.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 4, time = 2)
@Fork(
        value = 1,
        jvmArgs = {"-Xmx1g", "-XX:MaxDirectMemorySize=1g", "-XX:G1HeapRegionSize=4m"})
public class LayerBenchmark {
    private static final int BLOCK = 1 << 20;
    private static final int STORED = 128;

    @Param({"memory", "disk"})
    public String layer;

    private Layer store;
    private Path dir;
    private byte[] block;
    private long puts;
    private int gets;
    private final java.nio.ByteBuffer into = java.nio.ByteBuffer.allocateDirect(BLOCK);

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("layerproxy-jmh");
        store = layer.equals("memory") ? EhcacheLayer.memory(256L << 20) : EhcacheLayer.disk(dir, 512L << 20);
        block = new byte[BLOCK];
        new Random(1).nextBytes(block);
        for (int i = 0; i < STORED; i++) {
            store.put("stored-" + i, java.nio.ByteBuffer.wrap(block));
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        store.close();
        PathUtils.deleteDirectory(dir);
    }

    @Benchmark
    public void putFreshBlock() {
        store.put("fresh-" + puts++, java.nio.ByteBuffer.wrap(block));
    }

    @Benchmark
    public java.nio.ByteBuffer getStoredBlock() {
        return store.get("stored-" + (gets++ % STORED), n -> into.clear());
    }
}

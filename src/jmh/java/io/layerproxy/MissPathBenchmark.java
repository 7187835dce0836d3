package io.layerproxy;

import io.layerproxy.layer.EhcacheLayer;
import io.layerproxy.origin.S3Clients;
import io.layerproxy.origin.S3Origin;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.commons.io.file.PathUtils;
import org.gaul.s3proxy.junit.S3ProxyJunitCore;
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
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The cold-miss path without the client's HTTP hop, against a real S3Proxy (filesystem backend) on this machine:
 * what one SDK GetObject costs, what the old miss shape (HeadObject, then GetObject) cost, and what a whole miss
 * of the proxy costs (metadata and blocks purged before each one, then the lookup, the GET and every byte written
 * to a sink). The gap between {@code proxyMiss} and {@code sdkGet} is the proxy's own work on a miss.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 1,
        jvmArgs = {"-Xmx1g", "-XX:MaxDirectMemorySize=1g"})
public class MissPathBenchmark {
    private static final int KEYS = 512;

    @Param({"4096"})
    public int size;

    /** The proxy's layers (proxyMiss only): memory alone, or memory and disk as the standalone server runs. */
    @Param({"memory", "memory+disk"})
    public String layers;

    private S3ProxyJunitCore s3proxy;
    private S3Origin origin;
    private LayerProxy proxy;
    private Path dir;
    private final ObjectKey[] keys = new ObjectKey[KEYS];
    private int next;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        s3proxy = new S3ProxyJunitCore.Builder().build();
        s3proxy.beforeEach();
        byte[] bytes = new byte[size];
        new Random(1).nextBytes(bytes);
        try (S3Client seeder = S3Client.builder()
                .endpointOverride(s3proxy.getUri())
                .forcePathStyle(true)
                .region(Region.US_EAST_1)
                .credentialsProvider(AnonymousCredentialsProvider.create())
                .build()) {
            seeder.createBucket(b -> b.bucket("bench"));
            for (int i = 0; i < KEYS; i++) {
                keys[i] = new ObjectKey("bench", "k/" + i);
                String key = keys[i].key();
                seeder.putObject(b -> b.bucket("bench").key(key), RequestBody.fromBytes(bytes));
            }
        }
        origin = newOrigin();
        var builder = LayerProxy.builder()
                .origin(newOrigin())
                .addLayer(EhcacheLayer.memory(64L << 20))
                .maxAge(Duration.ofDays(1));
        if (layers.contains("disk")) {
            dir = Files.createTempDirectory("layerproxy-jmh");
            builder.addLayer(EhcacheLayer.disk(dir, 256L << 20));
        }
        proxy = builder.build();
    }

    private S3Origin newOrigin() {
        return S3Origin.create(S3Clients.create(
                "us-east-1",
                s3proxy.getUri(),
                true,
                Map.of("AWS_ACCESS_KEY_ID", "access", "AWS_SECRET_ACCESS_KEY", "secret"),
                Duration.ofSeconds(30)));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        proxy.close();
        origin.close();
        s3proxy.afterEach();
        if (dir != null) {
            try {
                PathUtils.deleteDirectory(dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private ObjectKey nextKey() {
        return keys[next++ % KEYS];
    }

    /** One GetObject, body read to the end: the floor for a miss. */
    @Benchmark
    public long sdkGet() throws IOException {
        try (InputStream body = origin.fetch(nextKey()).body()) {
            return body.transferTo(OutputStream.nullOutputStream());
        }
    }

    /** HeadObject, then a GetObject of that version: how misses were answered before GET-first. */
    @Benchmark
    public long sdkHeadThenGet() throws IOException {
        ObjectKey key = nextKey();
        ObjectInfo info = origin.head(key);
        try (InputStream body = origin.read(key, info, 0, info.size() - 1)) {
            return body.transferTo(OutputStream.nullOutputStream());
        }
    }

    /** The key the next {@link #proxyMiss} reads, purged from the proxy first so that it misses. */
    @State(Scope.Thread)
    public static class ColdKey {
        ObjectKey key;

        @Setup(Level.Invocation)
        public void purge(MissPathBenchmark bench) {
            key = bench.nextKey();
            bench.proxy.purge(key);
        }
    }

    /** A whole miss as a plain GET makes it: lookup, one GetObject, blocks stored, every byte written. */
    @Benchmark
    public long proxyMiss(ColdKey cold) throws IOException {
        try (CachedObject object = proxy.read(cold.key, ReadSpec.WHOLE);
                ObjectBody body = object.openWhole()) {
            body.writeTo(OutputStream.nullOutputStream());
            return body.info().size();
        }
    }
}

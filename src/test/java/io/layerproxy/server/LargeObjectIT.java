package io.layerproxy.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.testing.Forked;
import io.layerproxy.testing.S3Fixture;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * An object four times the heap of the proxy's JVM streams through it intact, cold and warm. Timings and the GC
 * log's largest heap are printed for the record, never asserted (this machine is shared).
 */
class LargeObjectIT {
    private static final String JAR = System.getProperty("layerproxy.jar", "target/layerproxy.jar");
    /** 256 MiB in CI; {@code -Dlayerproxy.large.mib=1024} for the 1 GiB measurement. */
    private static final long SIZE = Long.getLong("layerproxy.large.mib", 256) << 20;
    /** {@code -Dlayerproxy.large.nodisk=true} turns the disk layer off: every read is then an uncached stream. */
    private static final boolean NO_DISK = Boolean.getBoolean("layerproxy.large.nodisk");

    private static final Pattern LISTENING = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)/");
    private static final Pattern GC_HEAP = Pattern.compile("(\\d+)M->(\\d+)M\\((\\d+)M\\)");

    @RegisterExtension
    final S3ProxyExtension S3 = S3Fixture.authenticatedServer();

    @TempDir
    Path work;

    private record Read(String sha256, long bytes, long firstByteNanos, long totalNanos) {}

    private static Read read(InputStream in, long started) throws Exception {
        var digest = MessageDigest.getInstance("SHA-256");
        byte[] buffer = new byte[1 << 16];
        long total = 0;
        long firstByte = -1;
        for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
            if (firstByte < 0) {
                firstByte = System.nanoTime() - started;
            }
            digest.update(buffer, 0, n);
            total += n;
        }
        return new Read(HexFormat.of().formatHex(digest.digest()), total, firstByte, System.nanoTime() - started);
    }

    @Test
    void objectFourTimesTheHeap_streamsIntact_coldAndWarm() throws Exception {
        Path file = work.resolve("big.bin");
        var digest = MessageDigest.getInstance("SHA-256");
        try (OutputStream out = new DigestOutputStream(Files.newOutputStream(file), digest)) {
            var random = new Random(11);
            byte[] chunk = new byte[1 << 20];
            for (long written = 0; written < SIZE; written += chunk.length) {
                random.nextBytes(chunk);
                out.write(chunk);
            }
        }
        String expected = HexFormat.of().formatHex(digest.digest());
        try (var s3 = new S3Fixture(S3).bucket("large")) {
            s3.client().putObject(b -> b.bucket("large").key("big.bin"), RequestBody.fromFile(file));
            Files.delete(file);
            s3.put("large", "warm-up", S3Fixture.bytes(1 << 20, 3));

            long directStart = System.nanoTime();
            Read direct;
            try (InputStream in = s3.client().getObject(b -> b.bucket("large").key("big.bin"))) {
                direct = read(in, directStart);
            }

            Path gcLog = work.resolve("gc.log");
            var builder = Forked.java(
                    "-Xmx64m",
                    "-Xlog:gc:file=" + gcLog,
                    "-jar",
                    JAR,
                    "run",
                    "--listen",
                    "127.0.0.1:0",
                    "--s3-endpoint",
                    S3.getUri().toString(),
                    "--path-style",
                    "--disk-dir",
                    work.resolve("cache").toString(),
                    "--cache-size",
                    "16m",
                    "--disk-size",
                    NO_DISK ? "0" : String.valueOf(2 * SIZE));
            builder.environment().keySet().removeIf(k -> k.startsWith("LAYERPROXY_") || k.startsWith("AWS_"));
            builder.environment().putAll(S3Fixture.credentialsEnv());
            builder.environment().put("AWS_EC2_METADATA_DISABLED", "true");
            Process proxy = builder.start();
            try {
                var seen = new StringBuilder();
                String port = Forked.awaitLine(proxy, LISTENING, seen);
                assertNotNull(port, seen.toString());
                var http = HttpClient.newHttpClient();
                // a first, unrelated cold read warms the proxy's JVM so the timing below is of the cold path itself
                http.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/large/warm-up"))
                                .build(),
                        HttpResponse.BodyHandlers.discarding());
                var get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/large/big.bin"))
                        .build();
                Read cold = null;
                Read warm = null;
                for (int i = 0; i < 2; i++) {
                    long started = System.nanoTime();
                    HttpResponse<InputStream> r = http.send(get, HttpResponse.BodyHandlers.ofInputStream());
                    assertEquals(200, r.statusCode());
                    try (InputStream in = r.body()) {
                        Read read = read(in, started);
                        assertEquals(SIZE, read.bytes());
                        assertEquals(expected, read.sha256(), i == 0 ? "cold" : "warm");
                        if (i == 0) {
                            cold = read;
                        } else {
                            warm = read;
                            assertEquals(
                                    NO_DISK ? "origin" : "disk",
                                    r.headers().firstValue("X-Cache-Layer").orElseThrow(),
                                    "larger than the memory layer: kept on disk only, or nowhere without one");
                        }
                    }
                }
                assertTrue(proxy.isAlive(), "the proxy survived with -Xmx64m");
                int maxHeapMb = 0;
                for (String gc : Files.readAllLines(gcLog)) {
                    Matcher m = GC_HEAP.matcher(gc);
                    if (m.find()) {
                        maxHeapMb = Math.max(maxHeapMb, Integer.parseInt(m.group(1)));
                    }
                }
                System.out.printf(
                        "LargeObjectIT: " + (SIZE >> 20) + " MiB object, proxy -Xmx64m;"
                                + " time to first byte direct %.1f ms,"
                                + " cold %.1f ms, warm %.1f ms; transfer direct %.2f s, cold %.2f s, warm %.2f s;"
                                + " largest heap before a GC %d MB%n",
                        direct.firstByteNanos() / 1e6,
                        cold.firstByteNanos() / 1e6,
                        warm.firstByteNanos() / 1e6,
                        direct.totalNanos() / 1e9,
                        cold.totalNanos() / 1e9,
                        warm.totalNanos() / 1e9,
                        maxHeapMb);
                assertEquals(expected, direct.sha256(), "the direct read, the measurement's baseline");
            } finally {
                proxy.destroy();
                proxy.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }
}

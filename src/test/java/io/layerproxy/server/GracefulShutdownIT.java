package io.layerproxy.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.testing.Forked;
import io.layerproxy.testing.S3Fixture;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM to {@code java -jar layerproxy.jar} during a large download: the download completes with the right bytes
 * (drained, within --drain-timeout), the process exits, and the next start serves the object from its disk layer
 * with S3 unreachable. The access log has the download's line. After {@code kill -9} instead, the next start
 * serves only correct bytes.
 */
class GracefulShutdownIT {
    private static final String JAR = System.getProperty("layerproxy.jar", "target/layerproxy.jar");
    private static final Pattern LISTENING = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)/");
    private static final int SIZE = 48 << 20;

    @RegisterExtension
    final S3ProxyExtension S3 = S3Fixture.authenticatedServer();

    @TempDir
    Path work;

    @Test
    void sigtermDuringADownload_drainsIt_andTheDiskLayerReopensIntact() throws Exception {
        byte[] object = S3Fixture.bytes(SIZE, 7);
        try (var s3 = new S3Fixture(S3)) {
            s3.bucket("drain").put("drain", "model.bin", object);
        }
        byte[] expected = MessageDigest.getInstance("SHA-256").digest(object);
        Path disk = work.resolve("disk");
        HttpClient client = HttpClient.newHttpClient();

        Path log1 = work.resolve("first.log");
        Process first = start(disk, log1, S3.getUri());
        int port = awaitPort(first, log1);
        HttpResponse<InputStream> download = client.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/drain/model.bin"))
                        .build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, download.statusCode());
        var digest = MessageDigest.getInstance("SHA-256");
        long received = 0;
        boolean signalled = false;
        try (InputStream in = download.body()) {
            byte[] buffer = new byte[64 << 10];
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                digest.update(buffer, 0, n);
                received += n;
                if (!signalled && received >= 1 << 20) {
                    first.destroy(); // SIGTERM, with most of the object still to come
                    signalled = true;
                }
                if (signalled) {
                    Thread.sleep(1); // a slow client: the server is still sending when the signal lands
                }
            }
        }
        assertTrue(signalled);
        assertEquals(SIZE, received, "the download was drained, not cut");
        assertTrue(MessageDigest.isEqual(expected, digest.digest()), "the drained download has the right bytes");
        assertTrue(first.waitFor(60, TimeUnit.SECONDS), "the proxy exits after draining");
        String firstLog = Files.readString(log1);
        assertTrue(firstLog.contains("shutting down"), firstLog);
        assertTrue(firstLog.contains("layerproxy stopped"), firstLog);
        int accessLine = firstLog.indexOf("\"GET /drain/model.bin HTTP/1.1\" 200 " + SIZE + " origin");
        assertTrue(accessLine >= 0, "the access log line of the drained download:\n" + firstLog);
        assertTrue(
                firstLog.indexOf("shutting down") < accessLine,
                "the download was still in flight when the shutdown began:\n" + firstLog);

        Path log2 = work.resolve("second.log");
        Process second = start(disk, log2, URI.create("http://127.0.0.1:1")); // no S3: only the disk can answer
        try {
            int port2 = awaitPort(second, log2);
            HttpResponse<byte[]> again = client.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port2 + "/drain/model.bin"))
                            .build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, again.statusCode(), Files.readString(log2));
            assertEquals("disk", again.headers().firstValue("X-Cache-Layer").orElse(""));
            assertTrue(
                    MessageDigest.isEqual(
                            expected, MessageDigest.getInstance("SHA-256").digest(again.body())),
                    "the disk layer reopened with the whole object intact");
        } finally {
            second.destroy();
            assertTrue(second.waitFor(60, TimeUnit.SECONDS));
        }
    }

    @Test
    void killDashNine_theNextStartServesOnlyCorrectBytes() throws Exception {
        byte[] object = S3Fixture.bytes(SIZE / 4, 8);
        try (var s3 = new S3Fixture(S3)) {
            s3.bucket("crash").put("crash", "data.bin", object);
        }
        Path disk = work.resolve("disk");
        HttpClient client = HttpClient.newHttpClient();
        Path log1 = work.resolve("killed.log");
        Process first = start(disk, log1, S3.getUri());
        URI uri = URI.create("http://127.0.0.1:" + awaitPort(first, log1) + "/crash/data.bin");
        assertEquals(
                200,
                client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofByteArray())
                        .statusCode());
        first.destroyForcibly(); // SIGKILL: no shutdown hook, the disk store is left as it was
        assertTrue(first.waitFor(30, TimeUnit.SECONDS));

        Path log2 = work.resolve("restarted.log");
        Process second = start(disk, log2, S3.getUri());
        try {
            int port = awaitPort(second, log2);
            for (int i = 0; i < 2; i++) {
                HttpResponse<byte[]> r = client.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/crash/data.bin"))
                                .build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertEquals(200, r.statusCode(), Files.readString(log2));
                assertTrue(
                        java.util.Arrays.equals(object, r.body()),
                        "after kill -9, whatever the disk store kept or lost, the bytes are right");
            }
        } finally {
            second.destroy();
            assertTrue(second.waitFor(60, TimeUnit.SECONDS));
        }
    }

    /** The proxy with a memory layer smaller than the object, so only the disk layer holds it. */
    private Process start(Path disk, Path log, URI s3) throws Exception {
        var builder = Forked.java(
                "-Xmx256m",
                "-jar",
                JAR,
                "run",
                "--listen",
                "127.0.0.1:0",
                "--s3-endpoint",
                s3.toString(),
                "--path-style",
                "--cache-size",
                "8m",
                "--disk-dir",
                disk.toString(),
                "--disk-size",
                "256m",
                "--drain-timeout",
                "60");
        builder.environment().putAll(S3Fixture.credentialsEnv());
        builder.redirectOutput(log.toFile());
        return builder.start();
    }

    private static int awaitPort(Process process, Path log) throws Exception {
        return Integer.parseInt(Forked.awaitLogLine(process, log, LISTENING));
    }
}

package io.layerproxy.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.testing.Forked;
import io.layerproxy.testing.S3Fixture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code java -jar target/layerproxy.jar run ...} as a user runs it: a separate JVM, real flags, real env. */
class StandaloneJarIT {
    private static final String JAR = System.getProperty("layerproxy.jar", "target/layerproxy.jar");
    private static final Pattern LISTENING = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)/");

    @RegisterExtension
    final S3ProxyExtension S3 = S3Fixture.authenticatedServer();

    @TempDir
    Path disk;

    private static ProcessBuilder java(String... args) {
        List<String> command = new ArrayList<>(List.of("-jar", JAR));
        command.addAll(List.of(args));
        return Forked.java(command.toArray(String[]::new));
    }

    private static String runToEnd(ProcessBuilder builder, int expectedExit) throws Exception {
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        assertEquals(expectedExit, process.exitValue(), output);
        return output;
    }

    @Test
    void help_listsEveryOption() throws Exception {
        String help = runToEnd(java("run", "--help"), 0);
        assertTrue(help.contains("--cache-size") && help.contains("LAYERPROXY_CACHE_BYTES"), help);
        assertTrue(help.contains("--on-dne") && help.contains("--admin-token"), help);
    }

    @Test
    void badValue_exits2_namingTheOption() throws Exception {
        String output = runToEnd(java("run", "--cache-size=-1"), 2);
        assertTrue(output.contains("cache-size must be > 0, was: -1"), output);
    }

    @Test
    void jarServesObjects_fromS3WithCredentialsFromTheEnvironment() throws Exception {
        try (var s3 = new S3Fixture(S3)) {
            s3.bucket("jardemo").put("jardemo", "a/b.txt", "from the jar".getBytes(StandardCharsets.UTF_8));
        }
        ProcessBuilder builder = java(
                "run",
                "--listen",
                "127.0.0.1:0",
                "--s3-endpoint",
                S3.getUri().toString(),
                "--path-style",
                "--disk-dir",
                disk.toString(),
                "--cache-size",
                "8m",
                "--disk-size",
                "16m");
        builder.environment().put("AWS_ACCESS_KEY_ID", S3Fixture.ACCESS_KEY);
        builder.environment().put("AWS_SECRET_KEY", S3Fixture.SECRET_KEY); // the legacy name
        builder.environment().put("LAYERPROXY_BUCKETS", "jardemo");
        Process process = builder.start();
        try {
            var seen = new StringBuilder();
            String port = Forked.awaitLine(process, LISTENING, seen);
            assertNotNull(port, "the jar never logged its port:\n" + seen);
            var http = HttpClient.newHttpClient();
            HttpResponse<String> response = http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/jardemo/a/b.txt"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> outside = http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/other/a/b.txt"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());

            assertEquals(200, response.statusCode());
            assertEquals("from the jar", response.body());
            assertEquals(404, outside.statusCode());
        } finally {
            process.destroy();
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the jar stops on SIGTERM");
        }
    }
}

package io.layerproxy.servlet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.layerproxy.testing.ProxyServer;
import io.layerproxy.testing.S3Fixture;
import io.layerproxy.testing.S3Keys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real S3 tools, with their default settings for an S3-compatible endpoint, copy a bucket holding the key table
 * through the standalone proxy into trees identical to the source: the aws cli ({@code s3 cp --recursive},
 * {@code s3 ls}, {@code s3api head-object}), rclone (ListObjects v1, anonymous) and s3cmd ({@code get
 * --recursive}). .ci/run installs them; a tool that is missing skips its test.
 */
class S3ToolsIT {
    @RegisterExtension
    final S3ProxyExtension S3 = S3Fixture.authenticatedServer();

    @TempDir
    Path work;

    private S3Fixture s3;
    private ProxyServer proxy;
    private String endpoint;

    @BeforeEach
    void start() throws Exception {
        s3 = new S3Fixture(S3).bucket("tools");
        S3Keys.upload(s3, "tools");
        proxy = ProxyServer.start(s3.endpoint(), work.resolve("disk"), S3Fixture.credentialsEnv(), "buckets", "tools");
        endpoint = proxy.uri("").toString().replaceAll("/$", "");
    }

    @AfterEach
    void stop() {
        proxy.close();
        s3.close();
    }

    @Test
    void awsCli_copiesListsAndHeadsEveryKey() throws Exception {
        assumeTrue(installed("aws"), "the aws cli is not installed");
        Path into = work.resolve("aws");
        run(List.of(
                "aws",
                "s3",
                "cp",
                "s3://tools/",
                into.toString(),
                "--recursive",
                "--endpoint-url",
                endpoint,
                "--no-sign-request",
                "--only-show-errors"));
        assertIdenticalTree(into);

        String listed = run(List.of(
                "aws", "s3", "ls", "s3://tools/", "--recursive", "--endpoint-url", endpoint, "--no-sign-request"));
        for (String key : S3Keys.TABLE) {
            assertTrue(listed.contains(key), key + " not in:\n" + listed);
        }
        String buckets = run(List.of("aws", "s3", "ls", "--endpoint-url", endpoint, "--no-sign-request"));
        assertTrue(buckets.contains("tools"), buckets);
        for (String key : List.of(S3Keys.TABLE.get(0), S3Keys.TABLE.get(11), S3Keys.TABLE.get(13))) {
            String head = run(List.of(
                    "aws",
                    "s3api",
                    "head-object",
                    "--bucket",
                    "tools",
                    "--key",
                    key,
                    "--endpoint-url",
                    endpoint,
                    "--no-sign-request"));
            assertTrue(head.contains("\"ContentLength\": " + S3Keys.content(key).length), head);
        }
    }

    @Test
    void rclone_copiesTheBucket_withItsDefaultsForAnS3CompatibleProvider() throws Exception {
        assumeTrue(installed("rclone"), "rclone is not installed");
        Path into = work.resolve("rclone");
        Map<String, String> env = Map.of(
                "RCLONE_CONFIG", "/dev/null",
                "RCLONE_CONFIG_PROXY_TYPE", "s3",
                "RCLONE_CONFIG_PROXY_PROVIDER", "Other",
                "RCLONE_CONFIG_PROXY_ENDPOINT", endpoint,
                "RCLONE_CONFIG_PROXY_ENV_AUTH", "false");
        run(List.of("rclone", "copy", "proxy:tools", into.toString()), env);
        assertIdenticalTree(into);
    }

    @Test
    void s3cmd_getsTheBucketRecursively() throws Exception {
        assumeTrue(installed("s3cmd"), "s3cmd is not installed");
        Path into = work.resolve("s3cmd");
        Files.createDirectories(into);
        String host = endpoint.substring("http://".length());
        // s3cmd insists on keys; the proxy ignores clients' credentials and signs with its own
        run(List.of(
                "s3cmd",
                "--config=/dev/null",
                "--no-ssl",
                "--host=" + host,
                "--host-bucket=" + host,
                "--access_key=client",
                "--secret_key=ignored-by-the-proxy",
                "get",
                "--recursive",
                "s3://tools/",
                into + "/"));
        assertIdenticalTree(into);
    }

    /** Every key of the table under {@code root} with its bytes, and nothing else. */
    private static void assertIdenticalTree(Path root) throws IOException {
        Map<String, byte[]> found = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                found.put(root.relativize(file).toString(), Files.readAllBytes(file));
            }
        }
        assertEquals(S3Keys.TABLE.stream().sorted().toList(), List.copyOf(found.keySet()));
        for (String key : S3Keys.TABLE) {
            assertArrayEquals(S3Keys.content(key), found.get(key), key);
        }
    }

    private static boolean installed(String tool) {
        try {
            Process p = new ProcessBuilder(tool, "--version")
                    .redirectErrorStream(true)
                    .start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private String run(List<String> command) throws Exception {
        return run(command, Map.of());
    }

    private String run(List<String> command, Map<String, String> env) throws Exception {
        var builder = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true);
        builder.environment().putAll(env);
        // no user configuration of any tool: each is configured on its command line (rclone: RCLONE_CONFIG)
        builder.environment().put("AWS_CONFIG_FILE", "/dev/null");
        builder.environment().put("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
        // the proxy is plain http; a CA bundle from the machine's environment only breaks rclone's SDK
        builder.environment().remove("AWS_CA_BUNDLE");
        Process p = builder.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), command + " did not finish");
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), command + " failed:\n" + text);
        return text;
    }
}

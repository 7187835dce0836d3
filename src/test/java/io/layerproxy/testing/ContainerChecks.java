package io.layerproxy.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What every deployment must do, checked the same way in every container: a miss, a hit, and the metrics. */
public final class ContainerChecks {
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    private ContainerChecks() {}

    /** The env vars every container's layerproxy runs with: the S3 server, its credentials, small layers. */
    public static void configure(java.util.Map<String, String> env, URI s3, java.nio.file.Path disk) {
        env.putAll(S3Fixture.credentialsEnv());
        env.put("LAYERPROXY_S3_ENDPOINT", s3.toString());
        env.put("LAYERPROXY_PATH_STYLE", "true");
        env.put("LAYERPROXY_DISK_DIR", disk.toString());
        env.put("LAYERPROXY_CACHE_BYTES", "8m");
        env.put("LAYERPROXY_DISK_BYTES", "16m");
    }

    /**
     * GETs {@code base + path} twice (a MISS from S3, then a memory HIT, both with {@code expected} bytes) and
     * reads {@code base + /_layerproxy/metrics}, where the two requests must be counted.
     */
    public static void missHitAndMetrics(URI base, String path, byte[] expected) throws Exception {
        HttpResponse<byte[]> miss = get(base, path);
        assertEquals(200, miss.statusCode());
        assertEquals("MISS", miss.headers().firstValue("X-Cache").orElse(""));
        assertArrayEquals(expected, miss.body());
        HttpResponse<byte[]> hit = get(base, path);
        assertEquals(200, hit.statusCode());
        assertEquals("HIT", hit.headers().firstValue("X-Cache").orElse(""));
        assertEquals("memory", hit.headers().firstValue("X-Cache-Layer").orElse(""));
        assertArrayEquals(expected, hit.body());

        HttpResponse<byte[]> metrics = get(base, "/_layerproxy/metrics");
        assertEquals(200, metrics.statusCode());
        String text = new String(metrics.body(), StandardCharsets.UTF_8);
        assertEquals(
                1.0,
                sample(text, "layerproxy_requests_total\\{layer=\"origin\",route=\"object\",status=\"200\"}"),
                text);
        assertEquals(
                1.0,
                sample(text, "layerproxy_requests_total\\{layer=\"memory\",route=\"object\",status=\"200\"}"),
                text);
        assertEquals(expected.length, sample(text, "layerproxy_origin_bytes_total"), text);
        HttpResponse<byte[]> ready = get(base, "/_layerproxy/ready");
        assertEquals(200, ready.statusCode(), new String(ready.body(), StandardCharsets.UTF_8));
        assertTrue(new String(get(base, "/_layerproxy/status").body(), StandardCharsets.UTF_8)
                .contains("<h2>layers</h2>"));
    }

    private static HttpResponse<byte[]> get(URI base, String path) throws Exception {
        return CLIENT.send(
                HttpRequest.newBuilder(URI.create(base + path)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static double sample(String text, String nameAndLabels) {
        Matcher m = Pattern.compile("(?m)^" + nameAndLabels + " (\\S+)$").matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }
}

package io.layerproxy.testing;

import io.layerproxy.LayerProxy;
import io.layerproxy.Origin;
import io.layerproxy.config.ConfigParser;
import io.layerproxy.config.LayerProxyConfig;
import io.layerproxy.config.Option;
import io.layerproxy.config.ProxyFactory;
import io.layerproxy.origin.S3Clients;
import io.layerproxy.origin.S3Origin;
import io.layerproxy.server.StandaloneServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A layerproxy on a real Jetty on port 0, in front of a real S3-compatible endpoint, with its origin requests
 * counted. Built from the same flags a user passes.
 */
public final class ProxyServer implements AutoCloseable {
    private final StandaloneServer server;
    private final CountingOrigin origin;
    private final LayerProxy proxy;
    private final HttpClient http = HttpClient.newHttpClient();

    private ProxyServer(StandaloneServer server, CountingOrigin origin, LayerProxy proxy) {
        this.server = server;
        this.origin = origin;
        this.proxy = proxy;
    }

    /** Starts a proxy for {@code endpoint} with its disk layer in {@code diskDir}, plus extra flags. */
    public static ProxyServer start(URI endpoint, Path diskDir, Map<String, String> env, String... flagPairs)
            throws Exception {
        return start(endpoint, diskDir, env, origin -> origin, flagPairs);
    }

    /** As above, with the real S3 origin wrapped by {@code decorate} (e.g. to inject faults). */
    public static ProxyServer start(
            URI endpoint, Path diskDir, Map<String, String> env, UnaryOperator<Origin> decorate, String... flagPairs)
            throws Exception {
        return start(endpoint, diskDir, env, decorate, builder -> {}, flagPairs);
    }

    /** As above, with the builder the flags made given to {@code customize} before the proxy is built (a clock). */
    public static ProxyServer startBuilt(
            URI endpoint,
            Path diskDir,
            Map<String, String> env,
            java.util.function.Consumer<LayerProxy.Builder> customize,
            String... flagPairs)
            throws Exception {
        return start(endpoint, diskDir, env, origin -> origin, customize, flagPairs);
    }

    private static ProxyServer start(
            URI endpoint,
            Path diskDir,
            Map<String, String> env,
            UnaryOperator<Origin> decorate,
            java.util.function.Consumer<LayerProxy.Builder> customize,
            String... flagPairs)
            throws Exception {
        Map<Option, List<String>> flags = new EnumMap<>(Option.class);
        flags.put(Option.LISTEN, List.of("127.0.0.1:0"));
        flags.put(Option.S3_ENDPOINT, List.of(endpoint.toString()));
        flags.put(Option.PATH_STYLE, List.of("true"));
        flags.put(Option.DISK_DIR, List.of(diskDir.toString()));
        // Ehcache allocates the whole off-heap tier at start: keep test proxies small and quick to start
        flags.put(Option.CACHE_SIZE, List.of("32m"));
        flags.put(Option.DISK_SIZE, List.of("256m"));
        for (int i = 0; i < flagPairs.length; i += 2) {
            Option option = Option.byName(flagPairs[i]).orElseThrow();
            List<String> given = option.repeatable() ? flags.getOrDefault(option, List.of()) : List.of();
            flags.put(
                    option,
                    java.util.stream.Stream.concat(given.stream(), java.util.stream.Stream.of(flagPairs[i + 1]))
                            .toList());
        }
        LayerProxyConfig config = ConfigParser.parse(flags, Map.of(), Map.of());
        var origin = new CountingOrigin(decorate.apply(S3Origin.create(
                S3Clients.create(config.awsRegion(), config.s3Endpoint(), true, env, config.originTimeout()))));
        LayerProxy.Builder builder = ProxyFactory.builder(config, origin);
        customize.accept(builder);
        LayerProxy proxy = builder.build();
        return new ProxyServer(StandaloneServer.start(config, proxy), origin, proxy);
    }

    public CountingOrigin origin() {
        return origin;
    }

    public LayerProxy proxy() {
        return proxy;
    }

    /** An unmodified AWS SDK client pointed at this proxy: anonymous, path-style, as the README shows. */
    public software.amazon.awssdk.services.s3.S3Client anonymousS3Client() {
        return software.amazon.awssdk.services.s3.S3Client.builder()
                .endpointOverride(uri(""))
                .forcePathStyle(true)
                .region(software.amazon.awssdk.regions.Region.US_EAST_1)
                .credentialsProvider(software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider.create())
                .build();
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    public HttpResponse<byte[]> get(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri(path)).GET().build());
    }

    public HttpResponse<byte[]> head(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri(path))
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .build());
    }

    public HttpResponse<byte[]> send(HttpRequest request) throws IOException, InterruptedException {
        return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    }

    public <T> HttpResponse<T> sendStreaming(HttpRequest request, HttpResponse.BodyHandler<T> handler)
            throws IOException, InterruptedException {
        return http.send(request, handler);
    }

    @Override
    public void close() {
        server.close();
    }
}

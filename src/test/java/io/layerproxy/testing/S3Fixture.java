package io.layerproxy.testing;

import java.net.URI;
import java.util.Map;
import org.gaul.s3proxy.junit.S3ProxyExtension;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/** Seeds and changes objects in the real S3-compatible server (S3Proxy) that tests run the proxy against. */
public final class S3Fixture implements AutoCloseable {
    public static final String ACCESS_KEY = "layerproxy-test-access";
    public static final String SECRET_KEY = "layerproxy-test-secret";

    private final URI endpoint;
    private final S3Client s3;

    public S3Fixture(S3ProxyExtension server) {
        this.endpoint = server.getUri();
        var credentials = server.getAccessKey() == null
                ? AnonymousCredentialsProvider.create()
                : StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(server.getAccessKey(), server.getSecretKey()));
        this.s3 = S3Client.builder()
                .endpointOverride(endpoint)
                .forcePathStyle(true)
                .region(Region.US_EAST_1)
                .credentialsProvider(credentials)
                .build();
    }

    /** An S3Proxy requiring AWS v2/v4 signatures with {@link #ACCESS_KEY}/{@link #SECRET_KEY}. */
    public static S3ProxyExtension authenticatedServer() {
        return S3ProxyExtension.builder()
                .withCredentials(ACCESS_KEY, SECRET_KEY)
                .build();
    }

    /** The environment a proxy needs to sign requests to {@link #authenticatedServer()}. */
    public static Map<String, String> credentialsEnv() {
        return Map.of("AWS_ACCESS_KEY_ID", ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", SECRET_KEY);
    }

    public URI endpoint() {
        return endpoint;
    }

    public S3Client client() {
        return s3;
    }

    public S3Fixture bucket(String bucket) {
        s3.createBucket(b -> b.bucket(bucket));
        return this;
    }

    public S3Fixture put(String bucket, String key, byte[] body) {
        s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(body));
        return this;
    }

    public S3Fixture put(
            String bucket,
            String key,
            byte[] body,
            String contentType,
            Map<String, String> metadata,
            String cacheControl,
            String disposition) {
        s3.putObject(
                b -> b.bucket(bucket)
                        .key(key)
                        .contentType(contentType)
                        .metadata(metadata)
                        .cacheControl(cacheControl)
                        .contentDisposition(disposition),
                RequestBody.fromBytes(body));
        return this;
    }

    public void delete(String bucket, String key) {
        s3.deleteObject(b -> b.bucket(bucket).key(key));
    }

    /** Deterministic pseudo-random bytes, different for each seed. */
    public static byte[] bytes(int length, long seed) {
        byte[] out = new byte[length];
        new java.util.Random(seed).nextBytes(out);
        return out;
    }

    @Override
    public void close() {
        s3.close();
    }
}

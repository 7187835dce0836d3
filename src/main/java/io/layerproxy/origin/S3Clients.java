package io.layerproxy.origin;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProviderChain;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.s3.S3Client;

/** Builds the {@link S3Client} the origin uses, with credentials from the environment or the SDK's chain. */
public final class S3Clients {
    private static final Logger LOG = LoggerFactory.getLogger(S3Clients.class);

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** Attempts per request: S3 asks clients to retry 500 and 503 SlowDown, with backoff. */
    static final int ATTEMPTS = 3;

    /**
     * Exponential backoff with full jitter, so a fleet of proxies does not retry in step; throttling (SlowDown)
     * backs off longer. The SDK's retry token bucket also stops retries while most attempts fail.
     */
    static RetryStrategy retryStrategy() {
        return AwsRetryStrategy.standardRetryStrategy().toBuilder()
                .maxAttempts(ATTEMPTS)
                .backoffStrategy(BackoffStrategy.exponentialDelay(Duration.ofMillis(50), Duration.ofSeconds(1)))
                .throttlingBackoffStrategy(
                        BackoffStrategy.exponentialDelay(Duration.ofMillis(200), Duration.ofSeconds(5)))
                .circuitBreakerEnabled(true)
                .build();
    }

    private S3Clients() {}

    /**
     * A client for {@code region}, optionally against an S3-compatible {@code endpoint} (null for AWS), that gives
     * up on a connection or a body silent for {@code timeout}.
     * Credentials: {@code AWS_ACCESS_KEY_ID} with {@code AWS_SECRET_ACCESS_KEY} (or the legacy
     * {@code AWS_SECRET_KEY}) from {@code env}; else the SDK's default chain (profile, container and instance
     * roles...); else anonymous requests, which public buckets answer.
     */
    public static S3Client create(
            String region, URI endpoint, boolean pathStyle, Map<String, String> env, Duration timeout) {
        var builder = S3Client.builder()
                .region(Region.of(region))
                .forcePathStyle(pathStyle)
                .credentialsProvider(credentials(env))
                // S3-compatible stores (MinIO, Ceph, S3Proxy) do not all speak the newer checksum headers
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .overrideConfiguration(o -> o.retryStrategy(retryStrategy()))
                .httpClientBuilder(Apache5HttpClient.builder()
                        .maxConnections(256)
                        // the reaper is one static thread for all clients that stops asynchronously after the last
                        // client closes: Tomcat found it alive after an undeploy ("failed to stop it"). Without it,
                        // a connection S3 closed while idle fails on reuse and the SDK retries on a new one.
                        .useIdleConnectionReaper(false)
                        .connectionTimeout(timeout.compareTo(CONNECT_TIMEOUT) < 0 ? timeout : CONNECT_TIMEOUT)
                        .socketTimeout(timeout));
        if (endpoint != null) {
            builder.endpointOverride(endpoint);
        }
        return builder.build();
    }

    public static AwsCredentialsProvider credentials(Map<String, String> env) {
        String access = firstNonBlank(env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_ACCESS_KEY"));
        String secret = firstNonBlank(env.get("AWS_SECRET_ACCESS_KEY"), env.get("AWS_SECRET_KEY"));
        String token = firstNonBlank(env.get("AWS_SESSION_TOKEN"), null);
        if (access != null && secret != null) {
            LOG.info("AWS credentials: from the environment");
            return StaticCredentialsProvider.create(
                    token == null
                            ? AwsBasicCredentials.create(access, secret)
                            : AwsSessionCredentials.create(access, secret, token));
        }
        LOG.info("AWS credentials: the SDK's default chain, anonymous if it finds none");
        return AwsCredentialsProviderChain.builder()
                .credentialsProviders(
                        DefaultCredentialsProvider.builder().build(), AnonymousCredentialsProvider.create())
                .reuseLastProviderEnabled(true)
                .build();
    }

    private static String firstNonBlank(String a, String b) {
        if (a != null && !a.isBlank()) {
            return a;
        }
        return b != null && !b.isBlank() ? b : null;
    }
}

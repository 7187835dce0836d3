package io.layerproxy.config;

import io.layerproxy.ObjectKey;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * Every setting of a layerproxy instance, validated. Built by {@link ConfigParser} from flags, env vars and
 * init-params (in that precedence) or by hand for library use.
 *
 * @param listenHost  host to bind, or null for every interface (standalone only)
 * @param listenPort  port to bind, 0 for any free port (standalone only)
 * @param s3Endpoint  S3-compatible endpoint, or null for AWS
 * @param onDne       object served when a key does not exist, or null
 * @param watch       delay between watch polls; zero when off
 * @param buckets     allowed buckets; empty allows any
 * @param diskSize    disk layer bytes; zero turns the disk layer off
 * @param adminToken  bearer token for state-changing endpoints, or null when they are off
 * @param manyMaxEntries most objects in one {@code POST /_many/} zip
 * @param manyMaxBytes   most object bytes in one {@code POST /_many/} zip
 * @param originTimeout  how long S3 may stay silent before a read fails
 * @param staleIfError   how long past max-age cached metadata is still served while S3 fails; zero is off
 */
public record LayerProxyConfig(String listenHost, int listenPort, String awsRegion, URI s3Endpoint,
                               boolean pathStyle, ObjectKey onDne, int onDneStatus, long cacheSize, Path diskDir,
                               long diskSize, Duration watch, List<BucketPrefix> prefetch, Set<String> buckets,
                               Duration maxAge, int blockSize, Duration negativeTtl, String adminToken,
                               int manyMaxEntries, long manyMaxBytes, Duration originTimeout,
                               Duration staleIfError) {

    /** A bucket and a key prefix in it (possibly empty: the whole bucket). */
    public record BucketPrefix(String bucket, String prefix) {
        @Override
        public String toString() {
            return bucket + "/" + prefix;
        }
    }

    public LayerProxyConfig {
        prefetch = List.copyOf(prefetch);
        buckets = Set.copyOf(buckets);
    }

    /** The configuration with every option at its default. */
    public static LayerProxyConfig defaults() {
        return ConfigParser.parse(java.util.Map.of(), java.util.Map.of(), java.util.Map.of());
    }

    /** Never prints the admin token. */
    @Override
    public String toString() {
        return "LayerProxyConfig[listen=" + (listenHost == null ? "" : listenHost) + ":" + listenPort
                + ", aws-region=" + awsRegion + ", s3-endpoint=" + s3Endpoint + ", path-style=" + pathStyle
                + ", on-dne=" + onDne + ", on-dne-status=" + onDneStatus + ", cache-size=" + cacheSize
                + ", disk-dir=" + diskDir + ", disk-size=" + diskSize + ", watch=" + watch.toSeconds()
                + ", prefetch=" + prefetch + ", buckets=" + buckets + ", max-age=" + maxAge.toSeconds()
                + ", block-size=" + blockSize + ", negative-ttl=" + negativeTtl.toSeconds()
                + ", admin-token=" + (adminToken == null ? "(off)" : "(set)") + ", many-max-entries=" + manyMaxEntries
                + ", many-max-bytes=" + manyMaxBytes + ", origin-timeout=" + originTimeout.toSeconds()
                + ", stale-if-error=" + staleIfError.toSeconds() + "]";
    }
}

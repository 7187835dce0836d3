package io.layerproxy.config;

import io.layerproxy.CacheRule;
import io.layerproxy.ObjectKey;
import io.layerproxy.fleet.Fleet;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

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
 * @param bufferMemory   the memory budget for blocks in transit; 0 picks it from the direct memory
 * @param manyMaxEntries most objects in one {@code POST /_many/} zip
 * @param manyMaxBytes   most object bytes in one {@code POST /_many/} zip
 * @param manyMaxConcurrent most {@code POST /_many/} zips built at once
 * @param originTimeout  how long S3 may stay silent before a read fails
 * @param originMaxWaiting most requests waiting on S3 at once before their answer starts; 0 is no bound
 * @param staleIfError   how long past max-age cached metadata is still served while S3 fails; zero is off
 * @param drainTimeout   how long downloads in progress may take to finish when the proxy shuts down
 * @param fleet          how this node joins a fleet, or null when it runs alone
 * @param fleetAdvertise this node's HTTP address for its peers, or null to derive it from the listen address
 * @param staleWhileRevalidate how long past fresh a copy is served while a background revalidation runs
 * @param honorOriginCacheControl whether S3's Cache-Control and Expires decide freshness
 * @param honorClientCacheControl whether clients' no-cache and only-if-cached are followed
 * @param eventsSqs      the SQS queue URL of the buckets' event notifications, or null
 * @param eventsSqsEndpoint an SQS-compatible endpoint, or null for AWS
 * @param maxObjectSize  larger objects are streamed through uncached; {@code Long.MAX_VALUE} for no limit
 * @param rules          per-prefix policies ({@code --rule}), in the order given
 * @param originParallel ranged GETs a cold read of a large object keeps in flight; 1 reads with one GET
 * @param originPartSize bytes of one such GET
 */
public record LayerProxyConfig(
        String listenHost,
        int listenPort,
        String awsRegion,
        URI s3Endpoint,
        boolean pathStyle,
        ObjectKey onDne,
        int onDneStatus,
        long cacheSize,
        Path diskDir,
        long diskSize,
        Duration watch,
        List<BucketPrefix> prefetch,
        Set<String> buckets,
        Duration maxAge,
        int blockSize,
        long bufferMemory,
        Duration negativeTtl,
        String adminToken,
        int manyMaxEntries,
        long manyMaxBytes,
        int manyMaxConcurrent,
        Duration originTimeout,
        int originMaxWaiting,
        Duration staleIfError,
        Duration drainTimeout,
        Fleet.@Nullable Settings fleet,
        @Nullable URI fleetAdvertise,
        Duration staleWhileRevalidate,
        boolean honorOriginCacheControl,
        boolean honorClientCacheControl,
        @Nullable String eventsSqs,
        @Nullable URI eventsSqsEndpoint,
        long maxObjectSize,
        List<CacheRule> rules,
        int originParallel,
        long originPartSize) {

    /** A bucket and a key prefix in it (possibly empty: the whole bucket). */
    public record BucketPrefix(String bucket, String prefix) {
        @Override
        public String toString() {
            return bucket + "/" + prefix;
        }
    }

    public LayerProxyConfig {
        prefetch = List.copyOf(prefetch);
        rules = List.copyOf(rules);
        buckets = Set.copyOf(buckets);
    }

    /** The configuration with every option at its default. */
    public static LayerProxyConfig defaults() {
        return ConfigParser.parse(java.util.Map.of(), java.util.Map.of(), java.util.Map.of());
    }

    /** Every option by name, as it is in effect, for the status page and the start-up log; the token masked. */
    public Map<String, String> describe() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("listen", (listenHost == null ? "" : listenHost) + ":" + listenPort);
        d.put("aws-region", awsRegion);
        d.put("s3-endpoint", s3Endpoint == null ? "(AWS)" : s3Endpoint.toString());
        d.put("path-style", String.valueOf(pathStyle));
        d.put("on-dne", onDne == null ? "(none)" : onDne.toString());
        d.put("on-dne-status", String.valueOf(onDneStatus));
        d.put("cache-size", String.valueOf(cacheSize));
        d.put("disk-dir", String.valueOf(diskDir));
        d.put("disk-size", String.valueOf(diskSize));
        d.put("watch", String.valueOf(watch.toSeconds()));
        d.put("prefetch", prefetch.toString());
        d.put("buckets", buckets.isEmpty() ? "(any)" : new TreeSet<>(buckets).toString());
        d.put("max-age", String.valueOf(maxAge.toSeconds()));
        d.put("block-size", String.valueOf(blockSize));
        d.put("buffer-memory", bufferMemory == 0 ? "(auto)" : String.valueOf(bufferMemory));
        d.put("negative-ttl", String.valueOf(negativeTtl.toSeconds()));
        d.put("admin-token", adminToken == null ? "(off)" : "(set)");
        d.put("origin-timeout", String.valueOf(originTimeout.toSeconds()));
        d.put("origin-max-waiting", String.valueOf(originMaxWaiting));
        d.put("stale-if-error", String.valueOf(staleIfError.toSeconds()));
        d.put("drain-timeout", String.valueOf(drainTimeout.toSeconds()));
        d.put("many-max-entries", String.valueOf(manyMaxEntries));
        d.put("many-max-bytes", String.valueOf(manyMaxBytes));
        d.put("many-max-concurrent", String.valueOf(manyMaxConcurrent));
        d.put("stale-while-revalidate", String.valueOf(staleWhileRevalidate.toSeconds()));
        d.put("origin-cache-control", honorOriginCacheControl ? "honor" : "ignore");
        d.put("client-cache-control", honorClientCacheControl ? "honor" : "ignore");
        d.put("origin-parallel", String.valueOf(originParallel));
        d.put("origin-part-size", String.valueOf(originPartSize));
        d.put("max-object-size", maxObjectSize == Long.MAX_VALUE ? "(none)" : String.valueOf(maxObjectSize));
        d.put(
                "rule",
                rules.isEmpty()
                        ? "(none)"
                        : rules.stream().map(CacheRule::toString).collect(java.util.stream.Collectors.joining("; ")));
        if (eventsSqs != null) {
            d.put("events-sqs", eventsSqs + (eventsSqsEndpoint == null ? "" : " at " + eventsSqsEndpoint));
        }
        if (fleet != null) {
            d.put(
                    "fleet",
                    (fleet.dns() != null ? "dns " + fleet.dns() : "peers " + fleet.peers()) + ", bind "
                            + (fleet.bindHost() == null ? "" : fleet.bindHost()) + ":" + fleet.bindPort()
                            + ", span " + fleet.spanBlocks() + " blocks, secret (set)");
        }
        return d;
    }

    /** Never prints the admin token. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("LayerProxyConfig[");
        describe()
                .forEach((name, value) -> s.append(s.length() > 17 ? ", " : "")
                        .append(name)
                        .append('=')
                        .append(value));
        return s.append(']').toString();
    }
}

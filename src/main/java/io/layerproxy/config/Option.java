package io.layerproxy.config;

import java.util.Arrays;
import java.util.Optional;

/**
 * Every option of layerproxy: its flag ({@code --name}), its env var and its web.xml init-param ({@code name}).
 * This table drives the CLI, the environment, init-params and {@code --help}; DESIGN.md's table is its mirror.
 */
public enum Option {
    LISTEN(
            "listen",
            "LAYERPROXY_LISTEN",
            ":8009",
            "[HOST]:PORT",
            "Address to bind (standalone only); port 0 picks a free one."),
    AWS_REGION("aws-region", "LAYERPROXY_AWS_REGION", "us-east-1", "REGION", "S3 region."),
    S3_ENDPOINT(
            "s3-endpoint",
            "LAYERPROXY_S3_ENDPOINT",
            null,
            "URL",
            "S3-compatible endpoint (MinIO, Ceph, R2, S3Proxy); AWS when unset."),
    PATH_STYLE(
            "path-style",
            "LAYERPROXY_PATH_STYLE",
            "false",
            "BOOL",
            "Path-style bucket addressing (most S3-compatible servers need it)."),
    ON_DNE("on-dne", "LAYERPROXY_ON_DNE", null, "BUCKET/KEY", "Object served when a key does not exist."),
    ON_DNE_STATUS(
            "on-dne-status",
            "LAYERPROXY_ON_DNE_STATUS",
            "404",
            "STATUS",
            "Status sent with the --on-dne body (200 for single-page apps)."),
    CACHE_SIZE(
            "cache-size",
            "LAYERPROXY_CACHE_BYTES",
            "1000000000",
            "BYTES",
            "Memory layer size in bytes (k, m, g, t suffixes and 1e9 notation accepted)."),
    DISK_DIR("disk-dir", "LAYERPROXY_DISK_DIR", "~/.layerproxy/cache", "DIR", "Disk layer folder."),
    DISK_SIZE(
            "disk-size",
            "LAYERPROXY_DISK_BYTES",
            "10000000000",
            "BYTES",
            "Disk layer size in bytes (k, m, g, t suffixes and 1e9 notation accepted); 0 turns the disk layer off."),
    WATCH(
            "watch",
            "LAYERPROXY_WATCH_DELAY",
            "0",
            "SECONDS",
            "Seconds between polls of S3 for changed and deleted objects; 0 is off.",
            "LAYERPROXY_WATHC_DELAY"),
    PREFETCH(
            "prefetch",
            "LAYERPROXY_PREFETCH",
            null,
            "BUCKET/PREFIX",
            "Prefix to load at start; repeatable (env: comma-separated)."),
    BUCKETS(
            "buckets",
            "LAYERPROXY_BUCKETS",
            null,
            "B1,B2",
            "Allowlist of buckets; others get 404 without an S3 call. Unset: any bucket."),
    MAX_AGE("max-age", "LAYERPROXY_MAX_AGE", "60", "SECONDS", "Seconds before cached metadata is revalidated with S3."),
    BLOCK_SIZE("block-size", "LAYERPROXY_BLOCK_BYTES", "1048576", "BYTES", "Cache block size in bytes (4k to 64m)."),
    BUFFER_MEMORY(
            "buffer-memory",
            "LAYERPROXY_BUFFER_BYTES",
            "0",
            "BYTES",
            "Memory for blocks in transit (reads, read-ahead, blocks waiting for the disk), in pooled direct buffers;"
                    + " at least 4 blocks. 0: a quarter of the direct memory the memory layer leaves, at most 256m."),
    NEGATIVE_TTL("negative-ttl", "LAYERPROXY_NEGATIVE_TTL", "10", "SECONDS", "Seconds a 404 is remembered."),
    ADMIN_TOKEN(
            "admin-token",
            "LAYERPROXY_ADMIN_TOKEN",
            null,
            "TOKEN",
            "Bearer token for purge and other state-changing endpoints; unset turns them off."),
    ORIGIN_TIMEOUT(
            "origin-timeout",
            "LAYERPROXY_ORIGIN_TIMEOUT",
            "30",
            "SECONDS",
            "Seconds S3 may stay silent (connecting, or mid-body), and the longest one block may take to arrive, before"
                    + " the read fails: 504, or an aborted response."),
    STALE_IF_ERROR(
            "stale-if-error",
            "LAYERPROXY_STALE_IF_ERROR",
            "86400",
            "SECONDS",
            "Seconds past max-age a cached object is still served (X-Cache: STALE) while S3 fails; 0 is off."),
    DRAIN_TIMEOUT(
            "drain-timeout",
            "LAYERPROXY_DRAIN_TIMEOUT",
            "30",
            "SECONDS",
            "Seconds downloads in progress may take to finish on shutdown (SIGTERM, undeploy) before they are cut."),
    MANY_MAX_ENTRIES(
            "many-max-entries",
            "LAYERPROXY_MANY_MAX_ENTRIES",
            "10000",
            "COUNT",
            "Most objects one POST /_many/ zip may hold, after * expansion."),
    MANY_MAX_BYTES(
            "many-max-bytes",
            "LAYERPROXY_MANY_MAX_BYTES",
            "10g",
            "BYTES",
            "Most bytes of objects one POST /_many/ zip may hold (k, m, g, t suffixes accepted)."),
    MANY_MAX_CONCURRENT(
            "many-max-concurrent",
            "LAYERPROXY_MANY_MAX_CONCURRENT",
            "4",
            "COUNT",
            "Most POST /_many/ zips built at once; more are refused with 503 and Retry-After, so long zips and slow"
                    + " bodies never take the threads hits need."),
    ORIGIN_MAX_WAITING(
            "origin-max-waiting",
            "LAYERPROXY_ORIGIN_MAX_WAITING",
            "128",
            "COUNT",
            "Most requests waiting on S3 at once before their answer starts (misses); more get 503 SlowDown at once,"
                    + " so a stalled S3 never takes the threads hits need. 0: no bound."),
    FLEET_PEERS(
            "fleet-peers",
            "LAYERPROXY_FLEET_PEERS",
            null,
            "HOST:PORT,...",
            "Fleet mode: the members' --fleet-bind addresses (this node's may be among them); each block is then read"
                    + " from S3 by one member, its span's owner."),
    FLEET_DNS(
            "fleet-dns",
            "LAYERPROXY_FLEET_DNS",
            null,
            "NAME",
            "Fleet mode: a DNS name whose A records are the members (a Kubernetes headless service), instead of"
                    + " --fleet-peers."),
    FLEET_BIND(
            "fleet-bind",
            "LAYERPROXY_FLEET_BIND",
            ":7800",
            "[HOST]:PORT",
            "Fleet mode: where this member's JGroups channel listens."),
    FLEET_ADVERTISE(
            "fleet-advertise",
            "LAYERPROXY_FLEET_ADVERTISE",
            null,
            "URL",
            "Fleet mode: this member's HTTP address for its peers (default: from --listen; required in a WAR)."),
    FLEET_SECRET(
            "fleet-secret",
            "LAYERPROXY_FLEET_SECRET",
            null,
            "SECRET",
            "Fleet mode: the fleet's shared secret (16+ characters; required with a fleet option); members without it"
                    + " are refused, and so are their peer requests (403)."),
    FLEET_SPAN_BLOCKS(
            "fleet-span-blocks",
            "LAYERPROXY_FLEET_SPAN_BLOCKS",
            "16",
            "COUNT",
            "Fleet mode: blocks per span, the unit a member owns."),
    STALE_WHILE_REVALIDATE(
            "stale-while-revalidate",
            "LAYERPROXY_STALE_WHILE_REVALIDATE",
            "0",
            "SECONDS",
            "Seconds past its freshness a cached object is still served at once (X-Cache: STALE) while one background"
                    + " request revalidates it; 0 revalidates before answering."),
    ORIGIN_CACHE_CONTROL(
            "origin-cache-control",
            "LAYERPROXY_ORIGIN_CACHE_CONTROL",
            "honor",
            "honor|ignore",
            "honor: S3's Cache-Control (s-maxage, max-age, no-cache) and Expires decide how long a version stays"
                    + " fresh, --max-age where S3 says nothing; ignore: --max-age alone."),
    CLIENT_CACHE_CONTROL(
            "client-cache-control",
            "LAYERPROXY_CLIENT_CACHE_CONTROL",
            "honor",
            "honor|ignore",
            "honor: a client's Cache-Control: no-cache (or max-age=0, Pragma: no-cache) revalidates with S3 first,"
                    + " only-if-cached never reaches S3 (504 on a miss); ignore: to shield S3 from clients."),
    ORIGIN_PARALLEL(
            "origin-parallel",
            "LAYERPROXY_ORIGIN_PARALLEL",
            "4",
            "COUNT",
            "Ranged GETs a cold read of a large object keeps in flight ahead of its reader (parts of"
                    + " --origin-part-size); 1: one GET per read."),
    ORIGIN_PART_SIZE(
            "origin-part-size",
            "LAYERPROXY_ORIGIN_PART_BYTES",
            "8m",
            "BYTES",
            "Size of one ranged GET of a large cold object (rounded up to whole blocks; a fleet reads by span)."),
    MAX_OBJECT_SIZE(
            "max-object-size",
            "LAYERPROXY_MAX_OBJECT_BYTES",
            null,
            "BYTES",
            "Larger objects are streamed through without being stored (their metadata still is). Unset: any size"
                    + " that fits a layer."),
    RULE(
            "rule",
            "LAYERPROXY_RULES",
            null,
            "BUCKET/PREFIX:SETTINGS",
            "Per-prefix policy, e.g. 'media/video/:max-age=300,max-object-size=100m' (settings: max-age,"
                    + " negative-ttl, max-object-size, cache=on|off, stale-while-revalidate, origin-cache-control);"
                    + " the longest matching prefix wins. Repeatable (env and init-param: ';'-separated)."),
    EVENTS_SQS(
            "events-sqs",
            "LAYERPROXY_EVENTS_SQS",
            null,
            "QUEUE_URL",
            "An SQS queue receiving the buckets' S3 event notifications (directly, through SNS or EventBridge):"
                    + " changed and deleted objects are dropped from the cache within seconds."),
    EVENTS_SQS_ENDPOINT(
            "events-sqs-endpoint",
            "LAYERPROXY_EVENTS_SQS_ENDPOINT",
            null,
            "URL",
            "SQS-compatible endpoint for --events-sqs (ElasticMQ, LocalStack); AWS when unset.");

    private final String name;
    private final String env;
    private final String defaultValue;
    private final String label;
    private final String description;
    private final String legacyEnv;

    Option(String name, String env, String defaultValue, String label, String description) {
        this(name, env, defaultValue, label, description, null);
    }

    Option(String name, String env, String defaultValue, String label, String description, String legacyEnv) {
        this.name = name;
        this.env = env;
        this.defaultValue = defaultValue;
        this.label = label;
        this.description = description;
        this.legacyEnv = legacyEnv;
    }

    /** The name without dashes: the init-param name, and the flag after {@code --}. */
    public String optionName() {
        return name;
    }

    public String flag() {
        return "--" + name;
    }

    public String env() {
        return env;
    }

    /** An older, misspelled env name still read when {@link #env()} is unset, or null. */
    public String legacyEnv() {
        return legacyEnv;
    }

    /** The default as text, or null when the option has none. */
    public String defaultValue() {
        return defaultValue;
    }

    public String label() {
        return label;
    }

    public String description() {
        return description;
    }

    public boolean repeatable() {
        return this == PREFETCH || this == RULE;
    }

    public static Optional<Option> byName(String name) {
        return Arrays.stream(values()).filter(o -> o.name.equals(name)).findFirst();
    }
}

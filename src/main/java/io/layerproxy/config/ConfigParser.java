package io.layerproxy.config;

import io.layerproxy.LayerProxy;
import io.layerproxy.ObjectKey;
import io.layerproxy.config.LayerProxyConfig.BucketPrefix;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * The one parser of configuration. Each option's value is taken from the first source that has it:
 * command-line flag, then env var, then init-param, then the default; then every value is validated, and
 * the messages name the option and the value ({@code "cache-size must be > 0, was: -1"}).
 */
public final class ConfigParser {
    /** Also accepted for {@code rule} in web.xml. */
    private static final String RULES_INIT_PARAM = "rules";

    private ConfigParser() {}

    /**
     * @param flags      values given on the command line (several for a repeatable option)
     * @param env        the environment (usually {@code System.getenv()})
     * @param initParams init-params (web.xml filter init-params, context params); unknown names are rejected
     */
    public static LayerProxyConfig parse(
            Map<Option, List<String>> flags, Map<String, String> env, Map<String, String> given) {
        Map<String, String> initParams = new java.util.HashMap<>(given);
        String rules = initParams.remove(RULES_INIT_PARAM); // the plural reads better for a ';'-separated list
        if (rules != null) {
            if (initParams.containsKey(Option.RULE.optionName())) {
                throw new ConfigException("init-params 'rule' and 'rules' are the same setting: give one");
            }
            initParams.put(Option.RULE.optionName(), rules);
        }
        for (String name : initParams.keySet()) {
            if (Option.byName(name).isEmpty()) {
                throw new ConfigException("unknown init-param '" + name + "'; known: "
                        + Arrays.stream(Option.values()).map(Option::optionName).collect(Collectors.joining(", ")));
            }
        }
        var values = new Values(flags, env, initParams);

        String listen = values.single(Option.LISTEN);
        HostPort listenAt = hostPort(Option.LISTEN, listen, true, 0);
        String host = listenAt.host();
        int port = listenAt.port();

        String region = values.single(Option.AWS_REGION);
        if (!region.matches("[a-z0-9-]{2,40}")) {
            throw invalid(Option.AWS_REGION, "an AWS region name like us-east-1", region);
        }
        URI endpoint = endpoint(values.single(Option.S3_ENDPOINT));
        boolean pathStyle = bool(Option.PATH_STYLE, values.single(Option.PATH_STYLE));

        Set<String> buckets = new LinkedHashSet<>();
        for (String bucket : values.list(Option.BUCKETS)) {
            if (!ObjectKey.isValidBucket(bucket)) {
                throw invalid(Option.BUCKETS, "a comma-separated list of bucket names", bucket);
            }
            buckets.add(bucket);
        }

        ObjectKey onDne = null;
        String onDneText = values.single(Option.ON_DNE);
        if (onDneText != null) {
            try {
                onDne = ObjectKey.parse(onDneText);
            } catch (IllegalArgumentException e) {
                throw invalid(Option.ON_DNE, "bucket/key", onDneText);
            }
            if (!buckets.isEmpty() && !buckets.contains(onDne.bucket())) {
                throw new ConfigException("on-dne bucket '" + onDne.bucket() + "' is not in buckets " + buckets);
            }
        }
        String statusText = values.single(Option.ON_DNE_STATUS);
        int onDneStatus = (int)
                integer(Option.ON_DNE_STATUS, statusText, statusText, 200, 599, "an HTTP status between 200 and 599");

        long cacheSize = atLeastOneMiB(Option.CACHE_SIZE, values.single(Option.CACHE_SIZE), 1);
        Path diskDir = path(values.single(Option.DISK_DIR));
        long diskSize = atLeastOneMiB(Option.DISK_SIZE, values.single(Option.DISK_SIZE), 0);

        List<BucketPrefix> prefetch = new ArrayList<>();
        for (String item : values.list(Option.PREFETCH)) {
            int slash = item.indexOf('/');
            String bucket = slash < 0 ? item : item.substring(0, slash);
            if (!ObjectKey.isValidBucket(bucket)) {
                throw invalid(Option.PREFETCH, "bucket/prefix", item);
            }
            if (!buckets.isEmpty() && !buckets.contains(bucket)) {
                throw new ConfigException("prefetch bucket '" + bucket + "' is not in buckets " + buckets);
            }
            prefetch.add(new BucketPrefix(bucket, slash < 0 ? "" : item.substring(slash + 1)));
        }

        String blockText = values.single(Option.BLOCK_SIZE);
        long blockSize = size(Option.BLOCK_SIZE, blockText, 1);
        if (blockSize < LayerProxy.Builder.MIN_BLOCK_SIZE || blockSize > LayerProxy.Builder.MAX_BLOCK_SIZE) {
            throw invalid(
                    Option.BLOCK_SIZE,
                    "between " + LayerProxy.Builder.MIN_BLOCK_SIZE + " and " + LayerProxy.Builder.MAX_BLOCK_SIZE,
                    blockText);
        }

        long bufferMemory = size(Option.BUFFER_MEMORY, values.single(Option.BUFFER_MEMORY), 0);
        if (bufferMemory != 0 && bufferMemory < 4 * blockSize) {
            throw invalid(
                    Option.BUFFER_MEMORY,
                    "0 (automatic) or at least 4 blocks (" + 4 * blockSize + ")",
                    values.single(Option.BUFFER_MEMORY));
        }

        String token = values.single(Option.ADMIN_TOKEN);
        if (token != null && token.length() < 16) {
            throw new ConfigException(
                    "admin-token must be at least 16 characters, was: " + token.length() + " characters");
        }

        String entries = values.single(Option.MANY_MAX_ENTRIES);
        int manyMaxEntries =
                (int) integer(Option.MANY_MAX_ENTRIES, entries, entries, 1, 1_000_000, "between 1 and 1000000");
        long manyMaxBytes = size(Option.MANY_MAX_BYTES, values.single(Option.MANY_MAX_BYTES), 1);
        String concurrent = values.single(Option.MANY_MAX_CONCURRENT);
        int manyMaxConcurrent =
                (int) integer(Option.MANY_MAX_CONCURRENT, concurrent, concurrent, 1, 1000, "between 1 and 1000");
        String waiting = values.single(Option.ORIGIN_MAX_WAITING);
        int originMaxWaiting =
                (int) integer(Option.ORIGIN_MAX_WAITING, waiting, waiting, 0, 100_000, "between 0 and 100000");

        String parallel = values.single(Option.ORIGIN_PARALLEL);
        int originParallel = (int) integer(Option.ORIGIN_PARALLEL, parallel, parallel, 1, 64, "between 1 and 64");
        long originPartSize = size(Option.ORIGIN_PART_SIZE, values.single(Option.ORIGIN_PART_SIZE), 1);
        String maxObjectText = values.single(Option.MAX_OBJECT_SIZE);
        long maxObjectSize = maxObjectText == null ? Long.MAX_VALUE : size(Option.MAX_OBJECT_SIZE, maxObjectText, 0);

        return new LayerProxyConfig(
                host,
                port,
                region,
                endpoint,
                pathStyle,
                onDne,
                onDneStatus,
                cacheSize,
                diskDir,
                diskSize,
                seconds(Option.WATCH, values.single(Option.WATCH)),
                prefetch,
                buckets,
                seconds(Option.MAX_AGE, values.single(Option.MAX_AGE)),
                (int) blockSize,
                bufferMemory,
                seconds(Option.NEGATIVE_TTL, values.single(Option.NEGATIVE_TTL)),
                token,
                manyMaxEntries,
                manyMaxBytes,
                manyMaxConcurrent,
                originTimeout(values.single(Option.ORIGIN_TIMEOUT)),
                originMaxWaiting,
                seconds(Option.STALE_IF_ERROR, values.single(Option.STALE_IF_ERROR)),
                seconds(Option.DRAIN_TIMEOUT, values.single(Option.DRAIN_TIMEOUT)),
                FleetOptions.settings(values, blockSize),
                FleetOptions.advertise(values),
                seconds(Option.STALE_WHILE_REVALIDATE, values.single(Option.STALE_WHILE_REVALIDATE)),
                honor(Option.ORIGIN_CACHE_CONTROL, values.single(Option.ORIGIN_CACHE_CONTROL)),
                honor(Option.CLIENT_CACHE_CONTROL, values.single(Option.CLIENT_CACHE_CONTROL)),
                values.single(Option.EVENTS_SQS),
                endpoint(values.single(Option.EVENTS_SQS_ENDPOINT)),
                maxObjectSize,
                RuleParser.parse(values.raw(Option.RULE), buckets),
                originParallel,
                originPartSize);
    }

    /** Reads an option's value from the first source that has it. */
    record Values(Map<Option, List<String>> flags, Map<String, String> env, Map<String, String> init) {
        List<String> raw(Option option) {
            List<String> fromFlags = flags.get(option);
            if (fromFlags != null && !fromFlags.isEmpty()) {
                return fromFlags;
            }
            String text = nonBlank(env.get(option.env()));
            if (text == null && option.legacyEnv() != null) {
                text = nonBlank(env.get(option.legacyEnv()));
            }
            if (text == null) {
                text = nonBlank(init.get(option.optionName()));
            }
            if (text == null) {
                text = option.defaultValue();
            }
            return text == null ? List.of() : List.of(text);
        }

        String single(Option option) {
            List<String> raw = raw(option);
            return raw.isEmpty() ? null : raw.get(raw.size() - 1).trim();
        }

        /** Comma-separated values, over every occurrence of a repeatable flag. */
        List<String> list(Option option) {
            List<String> items = new ArrayList<>();
            for (String text : raw(option)) {
                for (String item : text.split(",")) {
                    if (!item.isBlank()) {
                        items.add(item.trim());
                    }
                }
            }
            return items;
        }

        private static String nonBlank(String s) {
            return s == null || s.isBlank() ? null : s;
        }
    }

    /** A {@code [host]:port} value; the host null when left out (all interfaces). */
    record HostPort(@Nullable String host, int port) {}

    static HostPort hostPort(Option option, String text, boolean hostOptional, int minPort) {
        int colon = text.lastIndexOf(':');
        String host = colon < 0 ? null : text.substring(0, colon);
        if (host != null && host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (host != null && host.isEmpty()) {
            host = null;
        }
        String expected =
                (hostOptional ? "a [host]:port" : "a host:port") + " with a port between " + minPort + " and 65535";
        if (host == null && !hostOptional) {
            throw invalid(option, expected, text); // a bare port is enough only where the host may be left out
        }
        int port = (int) integer(option, text.substring(colon + 1), text, minPort, 65535, expected);
        return new HostPort(host, port);
    }

    private static boolean honor(Option option, String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "honor", "honour" -> true;
            case "ignore" -> false;
            default -> throw invalid(option, "honor or ignore", value);
        };
    }

    static ConfigException invalid(Option option, String expected, String value) {
        return new ConfigException(option.optionName() + " must be " + expected + ", was: " + value);
    }

    static long integer(Option option, String text, String whole, long min, long max, String expected) {
        try {
            long value = Long.parseLong(text.trim());
            if (value >= min && value <= max) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw invalid(option, expected, whole);
    }

    private static Duration originTimeout(String text) {
        return Duration.ofSeconds(integer(Option.ORIGIN_TIMEOUT, text, text, 1, 3600, "between 1 and 3600 seconds"));
    }

    private static Duration seconds(Option option, String text) {
        return Duration.ofSeconds(integer(option, text, text, 0, 365L * 24 * 3600, "a number of seconds >= 0"));
    }

    /**
     * Bytes: a whole number, optionally in decimal or float notation ({@code 1e9}, {@code 1.5e9}: the Go tool
     * writes its defaults so), with an optional binary suffix k, m, g or t ({@code 1.5g}). The result must be a
     * whole number of bytes.
     */
    static long size(Option option, String text, long min) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        long unit = 1;
        char last = t.isEmpty() ? ' ' : t.charAt(t.length() - 1);
        int shift = "kmgt".indexOf(last);
        if (shift >= 0) {
            unit = 1L << (10 * (shift + 1));
            t = t.substring(0, t.length() - 1);
        }
        long value;
        try {
            if (!t.matches("-?[0-9]+(\\.[0-9]+)?(e\\+?[0-9]{1,2})?")) {
                throw new NumberFormatException(t);
            }
            value = new java.math.BigDecimal(t)
                    .multiply(java.math.BigDecimal.valueOf(unit))
                    .longValueExact();
        } catch (NumberFormatException | ArithmeticException e) {
            throw invalid(option, "a whole number of bytes (like 1000000000, 1e9, 512m; suffixes k, m, g, t)", text);
        }
        if (value < min) {
            throw invalid(option, min == 0 ? ">= 0" : "> 0", text);
        }
        return value;
    }

    /** Ehcache's smallest off-heap or disk tier is 1 MiB; 0 may still mean "off" where {@code min} is 0. */
    private static long atLeastOneMiB(Option option, String text, long min) {
        long value = size(option, text, min);
        if (value != 0 && value < (1 << 20)) {
            throw invalid(option, "at least 1m (1048576), the smallest Ehcache tier", text);
        }
        return value;
    }

    private static boolean bool(Option option, String text) {
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "1" -> true;
            case "false", "no", "0" -> false;
            default -> throw invalid(option, "true or false", text);
        };
    }

    private static URI endpoint(String text) {
        if (text == null) {
            return null;
        }
        try {
            URI uri = new URI(text);
            if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
                    && uri.getHost() != null
                    && uri.getUserInfo() == null) {
                return uri;
            }
        } catch (URISyntaxException e) {
            // reported below
        }
        // a URL with user-info may hold a secret: do not repeat it
        throw invalid(
                Option.S3_ENDPOINT,
                "an http:// or https:// URL without credentials",
                text.contains("@") ? "(a URL with user-info)" : text);
    }

    private static Path path(String text) {
        if (text.equals("~") || text.startsWith("~/")) {
            String home = System.getProperty("user.home");
            return Path.of(home + text.substring(1));
        }
        return Path.of(text);
    }
}

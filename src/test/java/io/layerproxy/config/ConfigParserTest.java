package io.layerproxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.ObjectKey;
import io.layerproxy.config.LayerProxyConfig.BucketPrefix;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigParserTest {
    private static Map<Option, List<String>> flags(Option option, String... values) {
        Map<Option, List<String>> flags = new EnumMap<>(Option.class);
        flags.put(option, List.of(values));
        return flags;
    }

    @Test
    void defaults_matchTheDesignTable() {
        LayerProxyConfig c = ConfigParser.parse(Map.of(), Map.of(), Map.of());

        assertNull(c.listenHost());
        assertEquals(8009, c.listenPort());
        assertEquals("us-east-1", c.awsRegion());
        assertNull(c.s3Endpoint());
        assertEquals(false, c.pathStyle());
        assertNull(c.onDne());
        assertEquals(404, c.onDneStatus());
        assertEquals(1_000_000_000L, c.cacheSize());
        assertEquals(Path.of(System.getProperty("user.home"), ".layerproxy", "cache"), c.diskDir());
        assertEquals(10_000_000_000L, c.diskSize());
        assertEquals(Duration.ZERO, c.watch());
        assertEquals(List.of(), c.prefetch());
        assertEquals(Set.of(), c.buckets());
        assertEquals(Duration.ofSeconds(60), c.maxAge());
        assertEquals(1_048_576, c.blockSize());
        assertEquals(Duration.ofSeconds(10), c.negativeTtl());
        assertNull(c.adminToken());
        assertEquals(Duration.ofSeconds(30), c.originTimeout());
        assertEquals(Duration.ofDays(1), c.staleIfError());
        assertEquals(Duration.ofSeconds(30), c.drainTimeout());
        assertEquals(10_000, c.manyMaxEntries());
        assertEquals(10L << 30, c.manyMaxBytes());
    }

    @Test
    void precedence_isFlag_thenEnv_thenInitParam_thenDefault() {
        Map<String, String> env = Map.of("LAYERPROXY_MAX_AGE", "20", "LAYERPROXY_BLOCK_BYTES", "8192");
        Map<String, String> init = Map.of("max-age", "30", "block-size", "16384", "negative-ttl", "40");

        LayerProxyConfig c = ConfigParser.parse(flags(Option.MAX_AGE, "10"), env, init);

        assertEquals(Duration.ofSeconds(10), c.maxAge(), "flag beats env and init-param");
        assertEquals(8192, c.blockSize(), "env beats init-param");
        assertEquals(Duration.ofSeconds(40), c.negativeTtl(), "init-param beats default");
        assertEquals(Duration.ZERO, c.watch(), "default when no source has it");
    }

    @Test
    void fleetOptions_needTheSecret_oneDiscovery_andValidAddresses() {
        assertNull(ConfigParser.parse(Map.of(), Map.of(), Map.of()).fleet(), "no fleet option: a single node");
        Map<String, String> env = Map.of(
                "LAYERPROXY_FLEET_PEERS", "127.0.0.1:7801,127.0.0.1:7802",
                "LAYERPROXY_FLEET_SECRET", "a-secret-of-16-chars",
                "LAYERPROXY_FLEET_BIND", "127.0.0.1:7801",
                "LAYERPROXY_FLEET_ADVERTISE", "http://10.0.0.1:8009/cache");
        LayerProxyConfig config = ConfigParser.parse(Map.of(), env, Map.of());
        assertEquals(2, config.fleet().peers().size());
        assertEquals("127.0.0.1", config.fleet().bindHost());
        assertEquals(7801, config.fleet().bindPort());
        assertEquals(16, config.fleet().spanBlocks());
        assertEquals("http://10.0.0.1:8009/cache", config.fleetAdvertise().toString());
        assertFalse(config.toString().contains("a-secret-of-16-chars"), "the secret is never shown");

        for (Map<String, String> bad : List.of(
                Map.of("LAYERPROXY_FLEET_PEERS", "127.0.0.1:7801"),
                Map.of("LAYERPROXY_FLEET_PEERS", "127.0.0.1:7801", "LAYERPROXY_FLEET_SECRET", "short"),
                Map.of(
                        "LAYERPROXY_FLEET_PEERS", "127.0.0.1:7801",
                        "LAYERPROXY_FLEET_DNS", "members.local",
                        "LAYERPROXY_FLEET_SECRET", "a-secret-of-16-chars"),
                Map.of("LAYERPROXY_FLEET_PEERS", "127.0.0.1", "LAYERPROXY_FLEET_SECRET", "a-secret-of-16-chars"),
                Map.of("LAYERPROXY_FLEET_SECRET", "a-secret-of-16-chars"),
                Map.of(
                        "LAYERPROXY_FLEET_PEERS", "127.0.0.1:7801",
                        "LAYERPROXY_FLEET_SECRET", "a-secret-of-16-chars",
                        "LAYERPROXY_FLEET_ADVERTISE", "ftp://x"))) {
            ConfigException e = assertThrows(ConfigException.class, () -> ConfigParser.parse(Map.of(), bad, Map.of()));
            assertTrue(e.getMessage().contains("fleet"), e.getMessage());
        }
    }

    @Test
    void everyOption_readsItsEnvVar() {
        Map<String, String> env = new java.util.HashMap<>();
        env.put("LAYERPROXY_LISTEN", "127.0.0.1:9000");
        env.put("LAYERPROXY_AWS_REGION", "eu-west-1");
        env.put("LAYERPROXY_S3_ENDPOINT", "http://localhost:9001");
        env.put("LAYERPROXY_PATH_STYLE", "true");
        env.put("LAYERPROXY_ON_DNE", "site/404.html");
        env.put("LAYERPROXY_ON_DNE_STATUS", "200");
        env.put("LAYERPROXY_CACHE_BYTES", "64m");
        env.put("LAYERPROXY_DISK_DIR", "/var/cache/lp");
        env.put("LAYERPROXY_DISK_BYTES", "2g");
        env.put("LAYERPROXY_WATCH_DELAY", "10");
        env.put("LAYERPROXY_PREFETCH", "site/assets/,models");
        env.put("LAYERPROXY_BUCKETS", "site,models");
        env.put("LAYERPROXY_MAX_AGE", "5");
        env.put("LAYERPROXY_BLOCK_BYTES", "65536");
        env.put("LAYERPROXY_NEGATIVE_TTL", "3");
        env.put("LAYERPROXY_ADMIN_TOKEN", "0123456789abcdef0123");
        env.put("LAYERPROXY_ORIGIN_TIMEOUT", "7");
        env.put("LAYERPROXY_STALE_IF_ERROR", "600");
        env.put("LAYERPROXY_DRAIN_TIMEOUT", "90");
        env.put("LAYERPROXY_MANY_MAX_ENTRIES", "12");
        env.put("LAYERPROXY_MANY_MAX_BYTES", "1m");

        LayerProxyConfig c = ConfigParser.parse(Map.of(), env, Map.of());

        assertEquals("127.0.0.1", c.listenHost());
        assertEquals(9000, c.listenPort());
        assertEquals("eu-west-1", c.awsRegion());
        assertEquals(URI.create("http://localhost:9001"), c.s3Endpoint());
        assertTrue(c.pathStyle());
        assertEquals(new ObjectKey("site", "404.html"), c.onDne());
        assertEquals(200, c.onDneStatus());
        assertEquals(64L << 20, c.cacheSize());
        assertEquals(Path.of("/var/cache/lp"), c.diskDir());
        assertEquals(2L << 30, c.diskSize());
        assertEquals(Duration.ofSeconds(10), c.watch());
        assertEquals(List.of(new BucketPrefix("site", "assets/"), new BucketPrefix("models", "")), c.prefetch());
        assertEquals(Set.of("site", "models"), c.buckets());
        assertEquals(Duration.ofSeconds(5), c.maxAge());
        assertEquals(65536, c.blockSize());
        assertEquals(Duration.ofSeconds(3), c.negativeTtl());
        assertEquals("0123456789abcdef0123", c.adminToken());
        assertEquals(Duration.ofSeconds(7), c.originTimeout());
        assertEquals(Duration.ofSeconds(600), c.staleIfError());
        assertEquals(Duration.ofSeconds(90), c.drainTimeout());
        assertEquals(12, c.manyMaxEntries());
        assertEquals(1L << 20, c.manyMaxBytes());
        assertTrue(!c.toString().contains("0123456789abcdef0123"), "toString never shows the admin token");
    }

    @Test
    void bufferMemory_isAutomaticByDefault_acceptsSizes_andRefusesLessThanFourBlocks() {
        assertEquals(0, ConfigParser.parse(Map.of(), Map.of(), Map.of()).bufferMemory());
        assertEquals(
                64L << 20,
                ConfigParser.parse(flags(Option.BUFFER_MEMORY, "64m"), Map.of(), Map.of())
                        .bufferMemory());
        assertEquals(
                32L << 20,
                ConfigParser.parse(Map.of(), Map.of("LAYERPROXY_BUFFER_BYTES", "32m"), Map.of())
                        .bufferMemory());
        ConfigException e = assertThrows(
                ConfigException.class, () -> ConfigParser.parse(flags(Option.BUFFER_MEMORY, "2m"), Map.of(), Map.of()));
        assertTrue(e.getMessage().contains("buffer-memory"), e.getMessage());
    }

    @Test
    void legacyMisspelledWatchEnv_isStillRead_andTheCorrectNameWins() {
        assertEquals(
                Duration.ofSeconds(7),
                ConfigParser.parse(Map.of(), Map.of("LAYERPROXY_WATHC_DELAY", "7"), Map.of())
                        .watch());
        assertEquals(
                Duration.ofSeconds(3),
                ConfigParser.parse(
                                Map.of(),
                                Map.of("LAYERPROXY_WATHC_DELAY", "7", "LAYERPROXY_WATCH_DELAY", "3"),
                                Map.of())
                        .watch());
    }

    @Test
    void repeatedPrefetchFlags_accumulate() {
        LayerProxyConfig c = ConfigParser.parse(flags(Option.PREFETCH, "a1b/x/", "c2d/y"), Map.of(), Map.of());

        assertEquals(List.of(new BucketPrefix("a1b", "x/"), new BucketPrefix("c2d", "y")), c.prefetch());
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "cache-size    | -1        | cache-size must be > 0, was: -1",
                "cache-size    | 0         | cache-size must be > 0, was: 0",
                "cache-size    | lots      | cache-size must be a whole number of bytes (like 1000000000, 1e9, 512m; suffixes k, m, g, t), was: lots",
                "disk-size     | -5        | disk-size must be >= 0, was: -5",
                "cache-size    | 256k      | cache-size must be at least 1m (1048576), the smallest Ehcache tier, was: 256k",
                "block-size    | 100       | block-size must be between 4096 and 67108864, was: 100",
                "listen        | :99999    | listen must be a [host]:port with a port between 0 and 65535, was: :99999",
                "max-age       | -1        | max-age must be a number of seconds >= 0, was: -1",
                "watch         | soon      | watch must be a number of seconds >= 0, was: soon",
                "negative-ttl  | 1.5       | negative-ttl must be a number of seconds >= 0, was: 1.5",
                "path-style    | maybe     | path-style must be true or false, was: maybe",
                "on-dne        | nobucket  | on-dne must be bucket/key, was: nobucket",
                "on-dne-status | 99        | on-dne-status must be an HTTP status between 200 and 599, was: 99",
                "s3-endpoint   | ftp://x   | s3-endpoint must be an http:// or https:// URL without credentials, was: ftp://x",
                "aws-region    | US EAST   | aws-region must be an AWS region name like us-east-1, was: US EAST",
                "buckets       | ok1,b@d   | buckets must be a comma-separated list of bucket names, was: b@d",
                "admin-token   | short     | admin-token must be at least 16 characters, was: 5 characters",
                "origin-timeout | 0        | origin-timeout must be between 1 and 3600 seconds, was: 0",
                "many-max-entries | 0      | many-max-entries must be between 1 and 1000000, was: 0",
                "drain-timeout | -3        | drain-timeout must be a number of seconds >= 0, was: -3",
            })
    void badValues_failWithAMessageNamingTheOptionAndValue(String option, String value, String message) {
        var e = assertThrows(
                ConfigException.class,
                () -> ConfigParser.parse(flags(Option.byName(option).orElseThrow(), value), Map.of(), Map.of()));
        assertEquals(message, e.getMessage());
    }

    @Test
    void rules_fromFlagsEnvAndInitParams() {
        LayerProxyConfig c = ConfigParser.parse(
                flags(Option.RULE, "site/assets/:max-age=300,stale-while-revalidate=30", "site:cache=off"),
                Map.of(),
                Map.of());
        assertEquals(
                List.of(
                        io.layerproxy.CacheRule.of("site", "assets/")
                                .withMaxAge(Duration.ofSeconds(300))
                                .withStaleWhileRevalidate(Duration.ofSeconds(30)),
                        io.layerproxy.CacheRule.of("site", "").withCache(false)),
                c.rules());
        assertEquals(Long.MAX_VALUE, c.maxObjectSize());

        LayerProxyConfig fromEnv = ConfigParser.parse(
                Map.of(),
                Map.of(
                        "LAYERPROXY_RULES",
                        "media/video/:max-object-size=100m,negative-ttl=0; media/a:b/:origin-cache-control=ignore",
                        "LAYERPROXY_MAX_OBJECT_BYTES",
                        "1g"),
                Map.of());
        assertEquals(2, fromEnv.rules().size());
        assertEquals(100L << 20, fromEnv.rules().get(0).maxObjectSize());
        assertEquals(Duration.ZERO, fromEnv.rules().get(0).negativeTtl());
        assertEquals("a:b/", fromEnv.rules().get(1).prefix(), "a prefix may hold ':'");
        assertEquals(false, fromEnv.rules().get(1).honorOrigin());
        assertEquals(1L << 30, fromEnv.maxObjectSize());
        assertEquals(
                "media/video/:negative-ttl=0,max-object-size=104857600; media/a:b/:origin-cache-control=ignore",
                fromEnv.describe().get("rule"));

        assertEquals(
                1,
                ConfigParser.parse(Map.of(), Map.of(), Map.of("rules", "site/x/:max-age=1"))
                        .rules()
                        .size(),
                "init-param 'rules'");
        assertEquals(
                1,
                ConfigParser.parse(Map.of(), Map.of(), Map.of("rule", "site/x/:max-age=1"))
                        .rules()
                        .size());
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "site/x            | rule 'site/x': expected bucket/prefix:setting=value,... (settings: max-age, negative-ttl, max-object-size, cache, stale-while-revalidate, origin-cache-control)",
                "site/x:           | rule 'site/x:': no settings (settings: max-age, negative-ttl, max-object-size, cache, stale-while-revalidate, origin-cache-control)",
                "b@d/x:max-age=1   | rule 'b@d/x:max-age=1': 'b@d' is not a bucket name",
                "site/x:max-age=-1 | rule 'site/x:max-age=-1': max-age must be a number of seconds >= 0, was: -1",
                "site/x:maxage=1   | rule 'site/x:maxage=1': unknown setting 'maxage' (settings: max-age, negative-ttl, max-object-size, cache, stale-while-revalidate, origin-cache-control)",
                "site/x:cache=no-thanks | rule 'site/x:cache=no-thanks': cache must be on or off, was: no-thanks",
                "site/x:max-object-size=big | rule 'site/x:max-object-size=big': max-object-size must be a whole number of bytes (like 100m, 1g), was: big",
                "site/x:max-age     | rule 'site/x:max-age': 'max-age' is not setting=value",
                "site/x:origin-cache-control=maybe | rule 'site/x:origin-cache-control=maybe': origin-cache-control must be honor or ignore, was: maybe",
            })
    void badRules_failWithAMessageNamingTheRule(String rule, String message) {
        var e = assertThrows(
                ConfigException.class, () -> ConfigParser.parse(flags(Option.RULE, rule), Map.of(), Map.of()));
        assertEquals(message, e.getMessage());
    }

    @Test
    void rulesOutsideTheAllowlist_orTwiceForOnePrefix_areRejected() {
        Map<Option, List<String>> f = flags(Option.BUCKETS, "site");
        f.put(Option.RULE, List.of("other/x:max-age=1"));
        assertEquals(
                "rule 'other/x:max-age=1': its bucket 'other' is not in buckets [site]",
                assertThrows(ConfigException.class, () -> ConfigParser.parse(f, Map.of(), Map.of()))
                        .getMessage());
        assertEquals(
                "rule 'site/x:cache=off': another rule has the same bucket and prefix",
                assertThrows(
                                ConfigException.class,
                                () -> ConfigParser.parse(
                                        flags(Option.RULE, "site/x:max-age=1", "site/x:cache=off"), Map.of(), Map.of()))
                        .getMessage());
        assertThrows(
                ConfigException.class,
                () -> ConfigParser.parse(
                        Map.of(), Map.of(), Map.of("rule", "s/x:max-age=1", "rules", "s/y:max-age=1")));
    }

    @Test
    void badEnvValue_failsTheSameWay() {
        var e = assertThrows(
                ConfigException.class,
                () -> ConfigParser.parse(Map.of(), Map.of("LAYERPROXY_CACHE_BYTES", "-1"), Map.of()));
        assertEquals("cache-size must be > 0, was: -1", e.getMessage());
    }

    @Test
    void endpointWithCredentials_isRejectedWithoutRepeatingThem() {
        var e = assertThrows(
                ConfigException.class,
                () -> ConfigParser.parse(flags(Option.S3_ENDPOINT, "http://key:secret@host"), Map.of(), Map.of()));
        assertTrue(!e.getMessage().contains("secret"), e.getMessage());
    }

    @Test
    void unknownInitParam_isRejected() {
        var e = assertThrows(
                ConfigException.class, () -> ConfigParser.parse(Map.of(), Map.of(), Map.of("cache_size", "5")));
        assertTrue(
                e.getMessage().startsWith("unknown init-param 'cache_size'; known: listen, aws-region"),
                e.getMessage());
    }

    @Test
    void fallbackAndPrefetchOutsideTheAllowlist_areRejected() {
        Map<Option, List<String>> f = flags(Option.BUCKETS, "site");
        f.put(Option.ON_DNE, List.of("other/404.html"));
        var e = assertThrows(ConfigException.class, () -> ConfigParser.parse(f, Map.of(), Map.of()));
        assertEquals("on-dne bucket 'other' is not in buckets [site]", e.getMessage());

        Map<Option, List<String>> g = flags(Option.BUCKETS, "site");
        g.put(Option.PREFETCH, List.of("other/x"));
        assertThrows(ConfigException.class, () -> ConfigParser.parse(g, Map.of(), Map.of()));
    }

    @ParameterizedTest
    @CsvSource({"4096,4096", "64k,65536", "1M,1048576", "2g,2147483648"})
    void sizes_acceptBinarySuffixes(String text, long bytes) {
        assertEquals(bytes, ConfigParser.size(Option.CACHE_SIZE, text, 1));
    }

    @Test
    void listenForms() {
        assertEquals(
                "::1",
                ConfigParser.parse(flags(Option.LISTEN, "[::1]:80"), Map.of(), Map.of())
                        .listenHost());
        assertEquals(
                8080,
                ConfigParser.parse(flags(Option.LISTEN, "8080"), Map.of(), Map.of())
                        .listenPort());
    }
}

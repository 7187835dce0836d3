package io.layerproxy.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerproxy.config.Option;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MainTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private Main.Parsed parse(Map<String, String> env, String... args) {
        return Main.parse(args, env, new PrintWriter(out, true), new PrintWriter(err, true));
    }

    @Test
    void runHelp_listsEveryOptionWithItsEnvVar() {
        Main.Parsed parsed = parse(Map.of(), "run", "--help");

        assertEquals(0, parsed.exitCode());
        assertNull(parsed.config());
        for (Option option : Option.values()) {
            assertTrue(out.toString().contains(option.flag()), option.flag());
            assertTrue(out.toString().contains(option.env()), option.env());
        }
    }

    @Test
    void badValue_failsStartUpNamingTheOption() {
        Main.Parsed parsed = parse(Map.of(), "run", "--cache-size=-1");

        assertEquals(2, parsed.exitCode());
        assertNull(parsed.config());
        assertTrue(err.toString().contains("cache-size must be > 0, was: -1"), err.toString());
    }

    @Test
    void unknownFlag_failsWithUsageHint() {
        Main.Parsed parsed = parse(Map.of(), "run", "--cache-sise=5");

        assertEquals(2, parsed.exitCode());
        assertTrue(err.toString().contains("--cache-sise"), err.toString());
    }

    @Test
    void flagsBeatEnvVars_andEnvFillsTheRest() {
        Main.Parsed parsed = parse(
                Map.of("LAYERPROXY_MAX_AGE", "9", "LAYERPROXY_NEGATIVE_TTL", "4"),
                "run",
                "--max-age",
                "3",
                "--path-style",
                "--prefetch",
                "site/a",
                "--prefetch",
                "site/b");

        assertEquals(3, parsed.config().maxAge().toSeconds());
        assertEquals(4, parsed.config().negativeTtl().toSeconds());
        assertTrue(parsed.config().pathStyle());
        assertEquals(2, parsed.config().prefetch().size());
    }

    @Test
    void topLevelHelp_namesRunAndItsHelp() {
        assertEquals(0, parse(Map.of(), "--help").exitCode());
        assertTrue(out.toString().contains("layerproxy run --help"), out.toString());
    }

    /** The Go tool's README and flag defaults, pasted as they are. */
    @Test
    void goToolCommandLines_startTheProxy() {
        Main.Parsed readme =
                parse(Map.of(), "run", "--watch", "10", "--on-dne", "my_bucket/404.html", "--listen", ":8009");
        assertEquals(0, readme.exitCode(), err.toString());
        assertEquals(10, readme.config().watch().toSeconds());
        assertEquals("my_bucket/404.html", readme.config().onDne().toString());
        assertEquals(8009, readme.config().listenPort());

        Main.Parsed withoutRun = parse(Map.of(), "--listen", ":8009", "--aws-region", "us-east-1");
        assertEquals("us-east-1", withoutRun.config().awsRegion(), err.toString());

        Main.Parsed alias = parse(Map.of(), "r", "--watch", "10");
        assertEquals(10, alias.config().watch().toSeconds(), err.toString());

        Main.Parsed singleDash = parse(Map.of(), "-watch", "5", "-cache-size=1e9");
        assertEquals(5, singleDash.config().watch().toSeconds(), err.toString());
        assertEquals(1_000_000_000L, singleDash.config().cacheSize());

        Main.Parsed nothing = parse(Map.of());
        assertEquals(1_000_000_000L, nothing.config().cacheSize(), "no arguments: run with the defaults");
    }

    @Test
    void sizes_acceptFloatNotationAndSuffixes_andRefuseFractionsOfBytes() {
        assertEquals(
                1_000_000_000L,
                parse(Map.of(), "run", "--cache-size", "1e9").config().cacheSize());
        assertEquals(
                1_500_000_000L,
                parse(Map.of(), "--cache-size", "1.5e9").config().cacheSize());
        assertEquals(
                1_500_000_000L,
                parse(Map.of(), "--cache-size", "1.5E+9").config().cacheSize());
        assertEquals(
                1536L << 20, parse(Map.of(), "--cache-size", "1.5g").config().cacheSize());
        assertEquals(2L << 40, parse(Map.of(), "--disk-size", "2t").config().diskSize());
        assertEquals(
                1_000_000_000L,
                parse(Map.of("LAYERPROXY_CACHE_BYTES", "1e9")).config().cacheSize());

        Main.Parsed fraction = parse(Map.of(), "--cache-size", "1.5e0");
        assertEquals(2, fraction.exitCode());
        assertTrue(err.toString().contains("cache-size must be a whole number of bytes"), err.toString());
    }

    @Test
    void runHelp_namesTheLegacyWatchEnvAndTheSizeNotations() {
        parse(Map.of(), "run", "--help");

        assertTrue(out.toString().contains("LAYERPROXY_WATHC_DELAY"), out.toString());
        assertTrue(out.toString().contains("1e9"), out.toString());
    }
}

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
    void noSubcommand_printsUsage() {
        assertEquals(2, parse(Map.of()).exitCode());
        assertTrue(err.toString().contains("run"), err.toString());
    }
}

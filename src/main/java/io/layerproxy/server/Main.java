package io.layerproxy.server;

import io.layerproxy.LayerProxy;
import io.layerproxy.config.ConfigParser;
import io.layerproxy.config.LayerProxyConfig;
import io.layerproxy.config.Option;
import io.layerproxy.config.ProxyFactory;
import java.io.PrintWriter;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * {@code java -jar layerproxy.jar [run] [options]}: the standalone server. {@code run} may be left out, as in the
 * Go tool's command lines ({@code layerproxy --watch 10 --on-dne my_bucket/404.html}).
 */
public final class Main {
    /** Exit status for a command line or configuration that cannot be used. */
    static final int USAGE = 2;

    private Main() {}

    public static void main(String[] args) throws Exception {
        var out = new PrintWriter(System.out, true);
        var err = new PrintWriter(System.err, true);
        Parsed parsed = parse(args, System.getenv(), out, err);
        if (parsed.config() == null) {
            System.exit(parsed.exitCode());
            return;
        }
        LayerProxy proxy;
        try {
            proxy = ProxyFactory.create(parsed.config(), System.getenv());
        } catch (RuntimeException e) {
            err.println("layerproxy: cannot start: " + e.getMessage());
            System.exit(1);
            return;
        }
        StandaloneServer server = StandaloneServer.start(parsed.config(), proxy);
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "layerproxy-shutdown"));
        server.join();
    }

    /** A configuration to run, or the exit code when there is nothing to run (help, error). */
    record Parsed(LayerProxyConfig config, int exitCode) {}

    static Parsed parse(String[] args, Map<String, String> env, PrintWriter out, PrintWriter err) {
        CommandLine cli = commandLine();
        cli.setOut(out);
        cli.setErr(err);
        ParseResult result;
        try {
            result = cli.parseArgs(goStyle(args));
        } catch (CommandLine.ParameterException e) {
            err.println("layerproxy: " + e.getMessage());
            err.println("Try 'layerproxy run --help'.");
            return new Parsed(null, USAGE);
        }
        if (CommandLine.printHelpIfRequested(result)) {
            return new Parsed(null, 0);
        }
        if (!result.hasSubcommand()) {
            cli.usage(err);
            return new Parsed(null, USAGE);
        }
        ParseResult run = result.subcommand();
        Map<Option, List<String>> flags = new EnumMap<>(Option.class);
        for (Option option : Option.values()) {
            if (run.hasMatchedOption(option.flag())) {
                Object value = run.matchedOptionValue(option.flag(), null);
                flags.put(
                        option,
                        value instanceof List<?> list
                                ? list.stream().map(String::valueOf).toList()
                                : List.of(String.valueOf(value)));
            }
        }
        try {
            return new Parsed(ConfigParser.parse(flags, env, Map.of()), 0);
        } catch (IllegalArgumentException e) {
            err.println("layerproxy: " + e.getMessage());
            return new Parsed(null, USAGE);
        }
    }

    /**
     * The Go tool's command lines as ours: {@code run} put in front unless the arguments name it (or its alias
     * {@code r}) or ask for the top-level help or version, and Go's single-dash long flags ({@code -watch 10},
     * {@code -cache-size=1e9}) given their second dash.
     */
    static String[] goStyle(String[] args) {
        List<String> out = new java.util.ArrayList<>(args.length + 1);
        if (args.length == 0
                || !List.of("run", "r", "-h", "--help", "-V", "--version").contains(args[0])) {
            out.add("run");
        }
        for (String arg : args) {
            String name = arg.startsWith("-") && !arg.startsWith("--")
                    ? arg.substring(1).split("=", 2)[0]
                    : "";
            out.add(name.length() > 1 && Option.byName(name).isPresent() ? "-" + arg : arg);
        }
        return out.toArray(String[]::new);
    }

    /** The command line, built from {@link Option} so flags, env vars and help never drift apart. */
    static CommandLine commandLine() {
        CommandSpec top = CommandSpec.create()
                .name("layerproxy")
                .mixinStandardHelpOptions(true)
                .version("layerproxy " + version());
        top.usageMessage()
                .description(
                        "A layered read-through cache proxy for S3: memory, disk, then S3.",
                        "Usage: layerproxy [run] [OPTIONS]; 'layerproxy run --help' lists the options.");
        CommandSpec run = CommandSpec.create().name("run").aliases("r").mixinStandardHelpOptions(true);
        run.usageMessage()
                .description(
                        "Serve GET/HEAD /{bucket}/{key} from the cache layers, reading through to S3.",
                        "Each option also reads its env var; precedence: flag > env var > default.");
        for (Option option : Option.values()) {
            var builder = OptionSpec.builder(option.flag())
                    .paramLabel(option.label())
                    .description(option.description() + " Env: " + option.env()
                            + (option.legacyEnv() == null ? "" : " (or the legacy " + option.legacyEnv() + ")")
                            + (option.defaultValue() == null ? "." : ". Default: " + option.defaultValue() + "."));
            if (option.repeatable()) {
                builder.type(List.class).auxiliaryTypes(String.class);
            } else {
                builder.type(String.class);
            }
            if (option == Option.PATH_STYLE) {
                builder.arity("0..1").fallbackValue("true");
            }
            run.addOption(builder.build());
        }
        top.addSubcommand("run", run);
        return new CommandLine(top);
    }

    private static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}

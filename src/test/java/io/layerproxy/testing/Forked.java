package io.layerproxy.testing;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Java programs run as separate processes, as a user runs them: the jar, a Jetty distribution. */
public final class Forked {
    private Forked() {}

    /** {@code java ARGS...} with this JVM's java, output merged, no LAYERPROXY_ or AWS_ variables inherited. */
    public static ProcessBuilder java(String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(args));
        var builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().keySet().removeIf(k -> k.startsWith("LAYERPROXY_") || k.startsWith("AWS_"));
        builder.environment().put("AWS_EC2_METADATA_DISABLED", "true"); // never probe instance metadata
        return builder;
    }

    /**
     * Reads the process's output until a line matches {@code pattern}; returns its first group, or null when the
     * output ended first. {@code seen} collects the lines read, for failure messages.
     */
    public static String awaitLine(Process process, Pattern pattern, StringBuilder seen) throws Exception {
        var log = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = log.readLine()) != null) {
            seen.append(line).append('\n');
            Matcher m = pattern.matcher(line);
            if (m.find()) {
                return m.group(1);
            }
        }
        return null;
    }

    /**
     * Waits (up to 60 s, while the process lives) for a line matching {@code pattern} in {@code log}, the file the
     * process's output is redirected to; returns its first group. Unlike a pipe, the file outlives
     * {@link Process#destroy()}, so what the process logs while it stops can be read too.
     */
    public static String awaitLogLine(Process process, Path log, Pattern pattern) throws Exception {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline && process.isAlive()) {
            Matcher m = pattern.matcher(
                    java.nio.file.Files.exists(log) ? java.nio.file.Files.readString(log, StandardCharsets.UTF_8) : "");
            if (m.find()) {
                return m.group(1);
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no line matching " + pattern + " in the output:\n"
                + (java.nio.file.Files.exists(log) ? java.nio.file.Files.readString(log) : "(none)"));
    }

    /** A condition on files a process writes; it may throw while they are being written. */
    public interface Condition {
        boolean holds() throws Exception;
    }

    /** Polls {@code condition} until it holds or {@code timeout} passes; the assertion shows {@code log}. */
    public static void awaitCondition(Condition condition, java.time.Duration timeout, Path log) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.holds()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met in " + timeout + "; the output:\n"
                        + (java.nio.file.Files.exists(log) ? java.nio.file.Files.readString(log) : "(none)"));
            }
            Thread.sleep(50);
        }
    }
}

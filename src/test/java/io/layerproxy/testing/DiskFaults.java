package io.layerproxy.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Real disk trouble for a folder: read-only, full (a small tmpfs), damaged files. Where this machine cannot make the
 * trouble (root ignores permissions without {@code chattr}; mounting needs privileges) the test is skipped, not faked.
 */
public final class DiskFaults {
    private DiskFaults() {}

    /** Makes {@code dir} read-only, even for root (via {@code chattr +i}); closing makes it writable again. */
    public static AutoCloseable readOnly(Path dir) throws Exception {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("r-xr-xr-x"));
        boolean immutable = false;
        if (canWrite(dir)) { // root: permissions do not apply
            immutable = run("chattr", "+i", dir.toString());
        }
        boolean chattr = immutable;
        assumeTrue(!canWrite(dir), "this machine cannot make a folder read-only");
        return () -> {
            if (chattr) {
                run("chattr", "-i", dir.toString());
            }
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        };
    }

    /** Mounts a tmpfs of {@code bytes} on {@code dir}, so writes past it fail with "No space left on device". */
    public static AutoCloseable smallDisk(Path dir, long bytes) throws Exception {
        Files.createDirectories(dir);
        assumeTrue(
                run("mount", "-t", "tmpfs", "-o", "size=" + bytes, "tmpfs", dir.toString()),
                "this machine cannot mount a small file system");
        return () -> run("umount", "-l", dir.toString());
    }

    /** Resizes the tmpfs {@link #smallDisk} mounted: the operator made room. */
    public static void resize(Path dir, long bytes) {
        if (!run("mount", "-o", "remount,size=" + bytes, dir.toString())) {
            throw new IllegalStateException("could not resize the tmpfs on " + dir);
        }
    }

    /** Flips {@code count} random bytes (fixed seed) in every file named {@code *.data} under {@code dir}. */
    public static int flipBytes(Path dir, int count, long seed) throws IOException {
        Random random = new Random(seed);
        int files = 0;
        for (Path file : dataFiles(dir)) {
            byte[] bytes = Files.readAllBytes(file);
            for (int i = 0; i < count && bytes.length > 0; i++) {
                bytes[random.nextInt(bytes.length)] ^= (byte) 0xff;
            }
            Files.write(file, bytes);
            files++;
        }
        return files;
    }

    /** Cuts every {@code *.data} file under {@code dir} to {@code fraction} of its length, as a crash could. */
    public static int truncate(Path dir, double fraction) throws IOException {
        int files = 0;
        for (Path file : dataFiles(dir)) {
            try (var channel = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
                channel.truncate((long) (channel.size() * fraction));
            }
            files++;
        }
        return files;
    }

    private static List<Path> dataFiles(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(p -> p.getFileName().toString().endsWith(".data"))
                    .toList();
        }
    }

    private static boolean canWrite(Path dir) {
        try {
            Files.delete(Files.createTempFile(dir, "probe", ".tmp"));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean run(String... command) {
        try {
            Process p = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            return p.waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}

package io.layerproxy.ops;

import java.util.Locale;

/** Figures as a person reads them: 10.5 MB, 1.2 GB/s, 12,345, 63.6 %, 4.2 ms (decimal units, as disks and S3 bill). */
public final class Units {
    private static final String[] BYTES = {"B", "kB", "MB", "GB", "TB", "PB"};

    private Units() {}

    public static String bytes(double bytes) {
        if (Double.isNaN(bytes) || bytes < 0) {
            return "n/a";
        }
        int unit = 0;
        double v = bytes;
        while (v >= 1000 && unit < BYTES.length - 1) {
            v /= 1000;
            unit++;
        }
        return unit == 0
                ? String.format(Locale.ROOT, "%.0f B", v)
                : String.format(Locale.ROOT, v < 10 ? "%.2f %s" : v < 100 ? "%.1f %s" : "%.0f %s", v, BYTES[unit]);
    }

    public static String count(double n) {
        if (Double.isNaN(n) || n < 0) {
            return "n/a";
        }
        return n >= 100 || n == Math.rint(n)
                ? String.format(Locale.ROOT, "%,.0f", n)
                : String.format(Locale.ROOT, "%.1f", n);
    }

    public static String percent(double p) {
        return Double.isNaN(p) ? "n/a" : String.format(Locale.ROOT, "%.1f %%", p);
    }

    public static String millis(double ms) {
        return Double.isNaN(ms) ? "n/a" : String.format(Locale.ROOT, ms < 10 ? "%.2f ms" : "%.0f ms", ms);
    }

    /** A value in the unit a chart or figure declares. */
    public static String format(double value, Unit unit) {
        return switch (unit) {
            case BYTES -> bytes(value);
            case BYTES_PER_SECOND -> bytes(value) + "/s";
            case PER_SECOND -> count(value) + "/s";
            case PERCENT -> percent(value);
            case MILLIS -> millis(value);
            case COUNT -> count(value);
            case BLOCK -> block((long) value);
        };
    }

    /** A block size, in the binary units it is set in: 1 MiB, 64 KiB. */
    static String block(long bytes) {
        if (bytes >= 1 << 20 && bytes % (1 << 20) == 0) {
            return bytes / (1 << 20) + " MiB";
        }
        return bytes >= 1024 && bytes % 1024 == 0 ? bytes / 1024 + " KiB" : bytes + " B";
    }

    /** What a number measures. */
    public enum Unit {
        BYTES,
        BYTES_PER_SECOND,
        PER_SECOND,
        PERCENT,
        MILLIS,
        COUNT,
        /** A size set in binary units (the block size). */
        BLOCK
    }
}

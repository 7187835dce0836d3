package io.layerproxy.http;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * RFC 9110 §14 byte ranges, servlet-free. A header that is not valid {@code bytes=} syntax is ignored (the
 * whole object is sent); valid ranges none of which is satisfiable make a 416.
 */
public final class ByteRanges {
    /**
     * More ranges than this in one request are refused with 416: §14.2 lets a server reject "a set of many small
     * ranges", a sign of a broken client or a denial-of-service attempt.
     */
    public static final int MAX_RANGES = 64;

    /** One satisfiable range, both ends inclusive. */
    public record Range(long first, long last) {
        public long length() {
            return last - first + 1;
        }
    }

    /** The decision: {@code ranges} null means "send the whole object", empty means 416. */
    public record Parsed(List<Range> ranges) {
        public boolean whole() {
            return ranges == null;
        }

        public boolean unsatisfiable() {
            return ranges != null && ranges.isEmpty();
        }
    }

    private static final Parsed WHOLE = new Parsed(null);

    private ByteRanges() {}

    public static Parsed parse(String header, long size) {
        if (header == null) {
            return WHOLE;
        }
        String value = header.trim();
        if (!value.regionMatches(true, 0, "bytes=", 0, 6)) {
            return WHOLE; // another unit, or garbage: ignore (§14.2)
        }
        String[] specs = value.substring(6).split(",", -1);
        if (specs.length > MAX_RANGES) {
            return new Parsed(List.of());
        }
        List<Range> satisfiable = new ArrayList<>();
        for (String raw : specs) {
            String spec = raw.trim();
            int dash = spec.indexOf('-');
            if (dash < 0 || spec.indexOf('-', dash + 1) >= 0) {
                return WHOLE;
            }
            String a = spec.substring(0, dash).trim();
            String b = spec.substring(dash + 1).trim();
            if (!digits(a) && !a.isEmpty() || !digits(b) && !b.isEmpty() || a.isEmpty() && b.isEmpty()) {
                return WHOLE;
            }
            Long first = number(a);
            Long last = number(b);
            if (first == null) { // suffix: the last N bytes
                if (last > 0 && size > 0) {
                    satisfiable.add(new Range(Math.max(0, size - last), size - 1));
                }
            } else {
                if (last != null && last < first) {
                    return WHOLE; // §14.1.1: an invalid range-spec makes the whole header invalid
                }
                if (first < size) {
                    satisfiable.add(new Range(first, last == null ? size - 1 : Math.min(last, size - 1)));
                }
            }
        }
        return new Parsed(coalesce(satisfiable));
    }

    /** Overlapping or adjacent ranges are merged (§14.2 allows it), so no byte is sent twice. */
    private static List<Range> coalesce(List<Range> ranges) {
        if (ranges.size() < 2) {
            return ranges;
        }
        List<Range> sorted = new ArrayList<>(ranges);
        sorted.sort(Comparator.comparingLong(Range::first));
        boolean overlap = false;
        for (int i = 1; i < sorted.size(); i++) {
            overlap |= sorted.get(i).first() <= sorted.get(i - 1).last() + 1;
        }
        if (!overlap) {
            return ranges; // keep the order the client asked for
        }
        List<Range> merged = new ArrayList<>();
        Range current = sorted.get(0);
        for (Range next : sorted.subList(1, sorted.size())) {
            if (next.first() <= current.last() + 1) {
                current = new Range(current.first(), Math.max(current.last(), next.last()));
            } else {
                merged.add(current);
                current = next;
            }
        }
        merged.add(current);
        return merged;
    }

    private static boolean digits(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    /** Null for an absent number; past 18 digits, larger than any object: the end of it. */
    private static Long number(String s) {
        if (s.isEmpty()) {
            return null;
        }
        return s.length() > 18 ? Long.MAX_VALUE : Long.parseLong(s);
    }
}

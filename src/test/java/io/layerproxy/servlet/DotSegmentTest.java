package io.layerproxy.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Dot segments in request targets as sent: plain, percent-encoded, and with a backslash as a separator. */
class DotSegmentTest {
    @Test
    void dotSegmentsAreFound() {
        for (String path : new String[] {
            "/b/../k",
            "/b/./k",
            "/b/k/..",
            "/b/k/.",
            "/..",
            "/b/%2e%2e/k",
            "/b/%2E./k",
            "/b/.%2e",
            "/b\\..\\k",
            "/b/k%5c..%5Cx",
            "/b/..\\k",
            "/b/%2e"
        }) {
            assertTrue(LayerProxyFilter.hasDotSegment(path), path);
        }
    }

    @Test
    void dotsInNamesAreNot() {
        for (String path : new String[] {
            "/b/index.html",
            "/b/...",
            "/b/.hidden",
            "/b/k..",
            "/b/a.b/c",
            "/b/%2e%2e%2e",
            "/b/%2",
            "/b/%",
            "/b/k%2",
            "/b/%%2e",
            "/b/",
            "/b//k",
            ""
        }) {
            assertFalse(LayerProxyFilter.hasDotSegment(path), path);
        }
    }

    /** The one-pass scan answers as the straightforward decode-then-split does, on many random targets. */
    @Test
    void agreesWithDecodingThenSplitting() {
        char[] alphabet = {'.', '/', '\\', '%', '2', 'e', 'E', '5', 'c', 'C', 'a'};
        Random random = new Random(20261203);
        for (int n = 0; n < 200_000; n++) {
            StringBuilder path = new StringBuilder();
            for (int i = random.nextInt(12); i > 0; i--) {
                path.append(alphabet[random.nextInt(alphabet.length)]);
            }
            String p = path.toString();
            assertEquals(reference(p), LayerProxyFilter.hasDotSegment(p), p);
        }
    }

    private static boolean reference(String rawPath) {
        String s = rawPath.replace("%2e", ".")
                .replace("%2E", ".")
                .replace("%5c", "\\")
                .replace("%5C", "\\");
        for (String segment : s.split("[/\\\\]", -1)) {
            if (segment.equals(".") || segment.equals("..")) {
                return true;
            }
        }
        return false;
    }
}

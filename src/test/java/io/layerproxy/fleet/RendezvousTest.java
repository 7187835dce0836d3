package io.layerproxy.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Rendezvous hashing spreads spans evenly, and a view change moves only what it must. */
class RendezvousTest {
    private static final int SPANS = 100_000;

    private static List<String> members(int n) {
        List<String> members = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            members.add("http://10.0.0." + (i + 1) + ":8009");
        }
        return members;
    }

    private static String span(int i) {
        return "models/llama-" + (i % 97) + ".bin\u0000\u0000\"etag-" + (i / 97) + "\"\u000016777216\u0000" + i;
    }

    @Test
    void spansSpreadEvenly_withinAFewPercent() {
        List<String> members = members(5);
        Map<String, Integer> owned = new HashMap<>();
        for (int i = 0; i < SPANS; i++) {
            owned.merge(Rendezvous.owner(span(i), members), 1, Integer::sum);
        }
        assertEquals(5, owned.size());
        for (int count : owned.values()) {
            assertTrue(Math.abs(count - SPANS / 5) < SPANS / 5 * 0.03, "owned " + count + " of " + SPANS / 5);
        }
    }

    @Test
    void aJoinMovesAboutOneNth_toTheNewMemberOnly_andALeaveOnlyTheDepartedOnes() {
        List<String> four = members(4);
        List<String> five = members(5);
        int moved = 0;
        for (int i = 0; i < SPANS; i++) {
            String before = Rendezvous.owner(span(i), four);
            String after = Rendezvous.owner(span(i), five);
            if (!before.equals(after)) {
                moved++;
                assertEquals(five.get(4), after, "a span moves only to the member that joined");
            }
        }
        assertTrue(Math.abs(moved - SPANS / 5) < SPANS / 5 * 0.03, moved + " spans moved, about 1/5 expected");

        List<String> withoutSecond = new ArrayList<>(five);
        withoutSecond.remove(1);
        for (int i = 0; i < SPANS; i++) {
            String before = Rendezvous.owner(span(i), five);
            String after = Rendezvous.owner(span(i), withoutSecond);
            if (!before.equals(five.get(1))) {
                assertEquals(before, after, "only the departed member's spans move");
            }
        }
    }
}

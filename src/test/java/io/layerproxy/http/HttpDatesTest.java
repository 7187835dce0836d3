package io.layerproxy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The hand-made HTTP date is the IMF-fixdate the formatter writes, for every instant a Last-Modified can have. */
class HttpDatesTest {
    @Test
    void httpDate_matchesTheImfFixdateFormatter_fromYear1To9999() {
        long first = Instant.parse("0001-01-01T00:00:00Z").getEpochSecond();
        long last = Instant.parse("9999-12-31T23:59:59Z").getEpochSecond();
        var random = new Random(42);
        for (int i = 0; i < 100_000; i++) {
            Instant t = Instant.ofEpochSecond(
                    first + (long) (random.nextDouble() * (last - first)), random.nextInt(1_000_000_000));
            assertEquals(HttpDates.HTTP_DATE.format(t), HttpDates.format(t), t.toString());
        }
        for (String edge : new String[] {
            "1970-01-01T00:00:00Z",
            "2000-02-29T12:34:56Z",
            "0999-12-31T23:59:59Z",
            "0099-01-01T00:00:00Z",
            "0009-09-09T09:09:09Z",
            "2026-11-25T03:05:47.999Z"
        }) {
            Instant t = Instant.parse(edge);
            assertEquals(HttpDates.HTTP_DATE.format(t), HttpDates.format(t), edge);
        }
        assertEquals("Wed, 25 Nov 2026 03:05:47 GMT", HttpDates.format(Instant.parse("2026-11-25T03:05:47Z")));
    }
}

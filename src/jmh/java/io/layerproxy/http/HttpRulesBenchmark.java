package io.layerproxy.http;

import io.layerproxy.ObjectInfo;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * RFC 9110 work on the hit path: preconditions (none, a matching If-None-Match, a date), Range parsing, and the
 * Last-Modified header (DateTimeFormatter against the hand-made IMF-fixdate).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HttpRulesBenchmark {
    private final ObjectInfo info = new ObjectInfo(
            1 << 20,
            "\"0123456789abcdef0123456789abcdef\"",
            Instant.parse("2026-11-01T10:00:00Z"),
            "text/html",
            Map.of(),
            Instant.now());
    private final Map<String, String> none = Map.of();
    private final Map<String, String> ifNoneMatch =
            Map.of("If-None-Match", "\"aaaa\", \"0123456789abcdef0123456789abcdef\"");
    private final Map<String, String> ifModifiedSince = Map.of("If-Modified-Since", "Sun, 01 Nov 2026 10:00:00 GMT");

    @Benchmark
    public Preconditions.Outcome noPreconditions() {
        return Preconditions.evaluate("GET", none::get, info);
    }

    @Benchmark
    public Preconditions.Outcome ifNoneMatchHit() {
        return Preconditions.evaluate("GET", ifNoneMatch::get, info);
    }

    @Benchmark
    public Preconditions.Outcome ifModifiedSince() {
        return Preconditions.evaluate("GET", ifModifiedSince::get, info);
    }

    @Benchmark
    public ByteRanges.Parsed oneRange() {
        return ByteRanges.parse("bytes=1000-1999", info.size());
    }

    @Benchmark
    public ByteRanges.Parsed threeRanges() {
        return ByteRanges.parse("bytes=0-99, 5000-5999, -500", info.size());
    }

    @Benchmark
    public String lastModifiedByFormatter() {
        return HttpDates.HTTP_DATE.format(info.lastModified());
    }

    @Benchmark
    public String lastModifiedByHand() {
        return HttpDates.format(info.lastModified());
    }
}

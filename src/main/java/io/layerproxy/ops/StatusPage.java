package io.layerproxy.ops;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.layerproxy.LayerProxy;
import io.layerproxy.cache.ReadCore;
import io.layerproxy.config.LayerProxyConfig;
import io.layerproxy.events.EventApplier;
import io.layerproxy.fleet.Fleet;
import io.layerproxy.origin.GuardedOrigin;
import io.layerproxy.watch.BackgroundTasks;
import io.layerproxy.watch.Prefetcher;
import io.layerproxy.watch.Watcher;
import java.io.IOException;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * {@code /_layerproxy/status}: what an operator would rather look at than read logs for. One snapshot (sections
 * of named values) rendered as JSON or as a small self-refreshing HTML page, built from typed figures — the
 * pipeline's, the layers', the origin's, the HTTP adapter's and the background tasks' — never from meters looked
 * up by name.
 * Secrets never appear: the configuration comes from {@link LayerProxyConfig#describe()}, which masks them.
 */
public final class StatusPage {
    private static final JsonFactory JSON = new JsonFactory();
    private static final Instant STARTED = Instant.now();

    private final LayerProxy proxy;
    private final LayerProxyConfig config;
    private final InFlight inFlight;
    private final Supplier<Requests> requests;
    private final @Nullable BackgroundTasks tasks;
    private final @Nullable History history;
    private final @Nullable TopKeys servedKeys;

    /**
     * What the HTTP adapter counted: requests in total and by status class ({@code 2xx}..{@code 5xx}), body bytes
     * served by the layer the first byte came from.
     */
    public record Requests(long total, Map<String, Long> byStatusClass, Map<String, Long> servedBytesByLayer) {}

    /**
     * @param requests   what the HTTP adapter counted so far
     * @param tasks      the watch loop and prefetch whose figures are shown; null when this proxy runs none
     * @param history    the last hour's samples, charted; null for none
     * @param servedKeys the objects that cost the most bytes served; null for none
     */
    public StatusPage(
            LayerProxy proxy,
            LayerProxyConfig config,
            InFlight inFlight,
            Supplier<Requests> requests,
            @Nullable BackgroundTasks tasks,
            @Nullable History history,
            @Nullable TopKeys servedKeys) {
        this.history = history;
        this.servedKeys = servedKeys;
        this.proxy = proxy;
        this.config = config;
        this.inFlight = inFlight;
        this.requests = requests;
        this.tasks = tasks;
    }

    /**
     * One figure: its value (a number or text, what the JSON form carries), the unit the HTML page shows it in, and
     * a one-line explanation shown beside it.
     */
    public record Figure(Object value, Units.Unit unit, String help) {}

    private static Figure bytes(long v, String help) {
        return new Figure(v, Units.Unit.BYTES, help);
    }

    private static Figure count(long v, String help) {
        return new Figure(v, Units.Unit.COUNT, help);
    }

    private static Figure text(Object v, String help) {
        return new Figure(v, Units.Unit.COUNT, help);
    }

    /** Section name to its content: a map of figures, or a list of rows (maps with the same keys). */
    public Map<String, Object> snapshot() {
        Requests served = requests.get();
        Map<String, Object> s = new LinkedHashMap<>();
        Map<String, Object> server = new LinkedHashMap<>();
        server.put("version", text(version(), "the layerproxy build serving this page"));
        server.put("uptime", text(human(Duration.between(STARTED, Instant.now())), "since this process started"));
        server.put("requests served", count(served.total(), "answered since start, all routes"));
        server.put("requests in flight", count(inFlight.count(), "being answered right now"));
        server.put("draining", text(inFlight.draining(), "shutting down: new requests are refused"));
        served.byStatusClass()
                .forEach((klass, n) -> server.put(klass, count(n, "answered with a " + klass + " status")));
        s.put("server", server);

        List<Map<String, Object>> layers = new ArrayList<>();
        for (LayerProxy.LayerState layer : proxy.layerStates()) {
            Map<String, Object> row = new LinkedHashMap<>();
            long hits = layer.hits();
            long misses = layer.misses();
            boolean bounded =
                    layer.capacity() != Long.MAX_VALUE && layer.stats().bytes() >= 0;
            row.put("layer", text(layer.name(), "a cache tier, fastest first"));
            row.put("usable", text(layer.stats().usable(), "no: failing, its reads are misses"));
            row.put("entries", count(layer.stats().entries(), "metadata entries and blocks held"));
            row.put("holds", bytes(layer.stats().bytes(), "bytes held now"));
            row.put("capacity", bytes(layer.capacity() == Long.MAX_VALUE ? -1 : layer.capacity(), "most it holds"));
            row.put(
                    "full",
                    text(
                            bounded ? Units.percent(100.0 * layer.stats().bytes() / layer.capacity()) : "n/a",
                            "held / capacity"));
            row.put(
                    "hit ratio",
                    text(
                            hits + misses == 0 ? "n/a" : Units.percent(100.0 * hits / (hits + misses)),
                            "lookups it answered, of " + Units.count(hits + misses)));
            row.put("evictions", count(layer.stats().evictions(), "entries pushed out to make room"));
            row.put(
                    "served to clients",
                    bytes(
                            served.servedBytesByLayer().getOrDefault(layer.name(), 0L),
                            "body bytes of answers whose first byte came from this layer"));
            layers.add(row);
        }
        s.put("layers", layers);

        ReadCore.Stats pipeline = proxy.pipelineStats();
        Map<String, Object> blocks = new LinkedHashMap<>();
        blocks.put(
                "block size",
                new Figure(
                        (long) pipeline.blockSize(),
                        Units.Unit.BLOCK,
                        "objects are cached in blocks of this size (--block-size)"));
        blocks.put("block memory", bytes(pipeline.bufferCapacity(), "--buffer-memory: blocks in transit, at most"));
        blocks.put("in use", bytes(pipeline.bufferUsed(), "held now by clients' reads, read-ahead and the store"));
        blocks.put("waits for memory", count(pipeline.bufferWaits(), "reads that waited for a free block"));
        blocks.put("queued for the layers", bytes(pipeline.storeQueued(), "blocks read, not yet written to a layer"));
        blocks.put("writes skipped", count(pipeline.storeSkipped(), "blocks not stored because a layer was too slow"));
        blocks.put("blocks in flight", count(pipeline.blocksInFlight(), "being read from S3 now (single flight)"));
        s.put("blocks", blocks);

        Map<String, Object> origin = new LinkedHashMap<>();
        GuardedOrigin.Stats asked = proxy.originStats();
        long requested = asked.requests();
        long ok = asked.answered();
        origin.put(
                "endpoint",
                text(
                        config.s3Endpoint() == null
                                ? "AWS S3 (" + config.awsRegion() + ")"
                                : config.s3Endpoint().toString(),
                        "where misses go"));
        origin.put("requests", count(requested, "HEADs, GETs and listings sent to S3"));
        origin.put("errors", count(requested - ok, "of those, failed or refused (404s are answers, not errors)"));
        origin.put(
                "bytes read from S3",
                bytes(
                        asked.bytesRead(),
                        "object bytes S3 sent: misses, read-ahead, prefetch (what S3 bills as egress)"));
        origin.put(
                "bytes served while streaming from S3",
                bytes(
                        served.servedBytesByLayer().getOrDefault(LayerProxy.ORIGIN, 0L),
                        "body bytes of answers that were misses, sent to clients as S3's bytes arrived"));
        origin.put(
                "circuit",
                text(
                        proxy.originCircuitOpen() ? "open (failing fast)" : "closed",
                        "open: S3 failed repeatedly, misses fail at once for a few seconds"));
        origin.put(
                "single-flight waits",
                count(
                        pipeline.flightWaits(),
                        "reads that waited for another reader's S3 request instead of sending their own"));
        s.put("origin", origin);

        Fleet fleet = proxy.fleet();
        if (fleet != null) {
            Fleet.Stats f = fleet.stats();
            Map<String, Object> members = new LinkedHashMap<>();
            members.put("this node", text(f.self() == null ? "(not joined)" : f.self(), "its address for peers"));
            members.put(
                    "members",
                    text(
                            f.members().size() + ": " + String.join(", ", f.members()),
                            "the current view: who owns which spans"));
            members.put("span", text(f.spanBlocks() + " blocks", "the unit one member owns"));
            members.put("span reads from owners", count(f.peerReads(), "spans this node read from their owner"));
            members.put("failed span reads", count(f.peerFailures(), "peer reads that failed: S3 answered instead"));
            members.put("bytes read from owners", bytes(f.peerBytes(), "bytes peers sent this node"));
            members.put("span reads answered as owner", count(f.servedToPeers(), "spans this node served to peers"));
            members.put(
                    "purges broadcast / received",
                    text(
                            f.dropsSent() + " / " + f.dropsReceived(),
                            "purges and invalidations sent to and applied from the fleet"));
            s.put("fleet", members);
        }

        EventApplier.Stats e = proxy.events().stats();
        if (config.eventsSqs() != null || e.lastEventMillis() > 0) {
            Map<String, Object> events = new LinkedHashMap<>();
            events.put(
                    "queue",
                    text(
                            config.eventsSqs() == null ? "(webhook only)" : config.eventsSqs(),
                            "where S3's event notifications come from"));
            events.put("applied", count(e.applied(), "events that dropped a cached object"));
            events.put("unchanged", count(e.unchanged(), "events for the version already cached: nothing to do"));
            events.put("stale or repeated", count(e.stale(), "older than the last event applied for the key"));
            events.put("outside the buckets served", count(e.outside(), "events for other buckets"));
            events.put("malformed messages", count(e.malformed(), "messages that could not be read: deleted"));
            events.put(
                    "last event",
                    text(
                            e.lastEventMillis() == 0
                                    ? "never"
                                    : Instant.ofEpochMilli(e.lastEventMillis()).toString(),
                            "when the last event was applied"));
            events.put("queue lag", text(Units.millis(e.lagMillis()), "how long the last message waited in the queue"));
            s.put("events", events);
        }

        BackgroundTasks.Stats background = tasks == null ? BackgroundTasks.Stats.NONE : tasks.stats();
        Watcher.Stats polled = background.watch();
        Map<String, Object> watch = new LinkedHashMap<>();
        watch.put(
                "interval",
                text(config.watch().isZero() ? "off" : config.watch().toSeconds() + " s", "--watch"));
        watch.put("polls", count(polled.polls(), "listings of the watched prefixes"));
        watch.put("failed polls", count(polled.failedPolls(), "polls S3 did not answer"));
        watch.put("changed", count(polled.changed(), "objects found changed, dropped from the cache"));
        watch.put("deleted", count(polled.deleted(), "objects found deleted, dropped from the cache"));
        watch.put(
                "last poll",
                text(polled.lastPoll() == null ? "never" : polled.lastPoll().toString(), "when"));
        s.put("watch", watch);

        Prefetcher.Stats loaded = background.prefetch();
        Map<String, Object> prefetch = new LinkedHashMap<>();
        prefetch.put("prefixes", text(config.prefetch().toString(), "--prefetch: loaded at start"));
        prefetch.put("state", text(config.prefetch().isEmpty() ? "off" : loaded.running() ? "running" : "done", ""));
        prefetch.put("listed", count(loaded.listed(), "objects found under the prefixes"));
        prefetch.put("loaded", count(loaded.loaded(), "objects read into the layers"));
        prefetch.put("failed", count(loaded.failed(), "objects that could not be read"));
        prefetch.put("bytes", bytes(loaded.bytes(), "bytes loaded"));
        s.put("prefetch", prefetch);

        s.put("top objects by bytes read from S3", top(proxy.topOriginKeys(TOP)));
        if (servedKeys != null) {
            s.put("top objects by bytes served", top(servedKeys.top(TOP)));
        }

        Map<String, Object> configuration = new LinkedHashMap<>();
        config.describe()
                .forEach((name, value) -> configuration.put(
                        name,
                        text(
                                value,
                                io.layerproxy.config.Option.byName(name)
                                        .map(io.layerproxy.config.Option::description)
                                        .orElse(""))));
        s.put("configuration", configuration);
        return s;
    }

    /** How many keys the top-objects tables show. */
    private static final int TOP = 10;

    private static List<Map<String, Object>> top(List<TopKeys.Entry> entries) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (TopKeys.Entry entry : entries) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("object", text(entry.key(), "bucket/key"));
            row.put("bytes", bytes(entry.estimate(), "estimated by a bounded sketch (DataSketches)"));
            rows.add(row);
        }
        return rows;
    }

    /** The snapshot and the charts' series ({@code history}: sample times and each series' values). */
    public String json() throws IOException {
        Map<String, Object> all = new LinkedHashMap<>(snapshot());
        if (history != null) {
            all.put("history", history.samples().asMap());
        }
        return json(all, true);
    }

    /** Maps, lists, numbers, booleans and strings as one JSON document (with a final newline). */
    public static String json(Object value, boolean pretty) throws IOException {
        var out = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            if (pretty) {
                g.useDefaultPrettyPrinter();
            }
            writeJson(g, value);
        }
        return out + "\n";
    }

    public String html() {
        return StatusHtml.render(snapshot(), history == null ? null : history.samples());
    }

    private static void writeJson(JsonGenerator g, Object value) throws IOException {
        if (value instanceof Map<?, ?> map) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                g.writeFieldName(e.getKey().toString());
                writeJson(g, e.getValue());
            }
            g.writeEndObject();
        } else if (value instanceof List<?> list) {
            g.writeStartArray();
            for (Object o : list) {
                writeJson(g, o);
            }
            g.writeEndArray();
        } else if (value instanceof Figure f) {
            writeJson(g, f.value());
        } else if (value instanceof Double d) {
            if (d.isNaN() || d.isInfinite()) {
                g.writeNull();
            } else {
                g.writeNumber(Math.round(d * 1000) / 1000.0);
            }
        } else if (value instanceof Number n) {
            g.writeNumber(n.longValue());
        } else if (value instanceof Boolean b) {
            g.writeBoolean(b);
        } else {
            g.writeString(String.valueOf(value));
        }
    }

    static String human(Duration d) {
        long s = d.toSeconds();
        return s < 3600 ? (s / 60) + " min " + (s % 60) + " s" : (s / 3600) + " h " + (s % 3600 / 60) + " min";
    }

    private static String version() {
        String v = StatusPage.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    public static String escape(String s) {
        var out = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}

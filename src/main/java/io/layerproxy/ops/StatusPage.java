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
import java.util.Locale;
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

    /**
     * What the HTTP adapter counted: requests in total and by status class ({@code 2xx}..{@code 5xx}), body bytes
     * served by the layer the first byte came from.
     */
    public record Requests(long total, Map<String, Long> byStatusClass, Map<String, Long> servedBytesByLayer) {}

    /**
     * @param requests what the HTTP adapter counted so far
     * @param tasks    the watch loop and prefetch whose figures are shown; null when this proxy runs none
     */
    public StatusPage(
            LayerProxy proxy,
            LayerProxyConfig config,
            InFlight inFlight,
            Supplier<Requests> requests,
            @Nullable BackgroundTasks tasks) {
        this.proxy = proxy;
        this.config = config;
        this.inFlight = inFlight;
        this.requests = requests;
        this.tasks = tasks;
    }

    /** Section name to its content: a map of values, or a list of rows (maps with the same keys). */
    public Map<String, Object> snapshot() {
        Requests served = requests.get();
        Map<String, Object> s = new LinkedHashMap<>();
        Map<String, Object> server = new LinkedHashMap<>();
        server.put("version", version());
        server.put("uptime", human(Duration.between(STARTED, Instant.now())));
        server.put("requests served", served.total());
        server.put("requests in flight", inFlight.count());
        server.put("draining", inFlight.draining());
        served.byStatusClass().forEach(server::put);
        s.put("server", server);

        List<Map<String, Object>> layers = new ArrayList<>();
        for (LayerProxy.LayerState layer : proxy.layerStates()) {
            Map<String, Object> row = new LinkedHashMap<>();
            long hits = layer.hits();
            long misses = layer.misses();
            row.put("layer", layer.name());
            row.put("usable", layer.stats().usable());
            row.put("entries", layer.stats().entries());
            row.put("bytes", layer.stats().bytes());
            row.put("capacity", layer.capacity() == Long.MAX_VALUE ? -1 : layer.capacity());
            row.put(
                    "fill",
                    layer.capacity() == Long.MAX_VALUE || layer.stats().bytes() < 0
                            ? "n/a"
                            : percent(layer.stats().bytes(), layer.capacity()));
            row.put("hits", hits);
            row.put("misses", misses);
            row.put("hit ratio", hits + misses == 0 ? "n/a" : percent(hits, hits + misses));
            row.put("evictions", layer.stats().evictions());
            row.put("bytes served", served.servedBytesByLayer().getOrDefault(layer.name(), 0L));
            layers.add(row);
        }
        s.put("layers", layers);

        ReadCore.Stats pipeline = proxy.pipelineStats();
        Map<String, Object> blocks = new LinkedHashMap<>();
        blocks.put("block size", (long) pipeline.blockSize());
        blocks.put("buffer memory", pipeline.bufferCapacity());
        blocks.put("in use", pipeline.bufferUsed());
        blocks.put("fill", percent(pipeline.bufferUsed(), pipeline.bufferCapacity()));
        blocks.put("waits for memory", pipeline.bufferWaits());
        blocks.put("queued for the layers", pipeline.storeQueued());
        blocks.put("writes skipped (slow layer)", pipeline.storeSkipped());
        blocks.put("blocks in flight", (long) pipeline.blocksInFlight());
        s.put("blocks", blocks);

        Map<String, Object> origin = new LinkedHashMap<>();
        GuardedOrigin.Stats asked = proxy.originStats();
        long requests = asked.requests();
        long ok = asked.answered();
        origin.put(
                "endpoint",
                config.s3Endpoint() == null
                        ? "AWS S3 (" + config.awsRegion() + ")"
                        : config.s3Endpoint().toString());
        origin.put("requests", requests);
        origin.put("errors", requests - ok);
        origin.put("error rate", requests == 0 ? "n/a" : percent(requests - ok, requests));
        origin.put("bytes read", asked.bytesRead());
        origin.put("bytes served from origin", served.servedBytesByLayer().getOrDefault(LayerProxy.ORIGIN, 0L));
        origin.put("circuit", proxy.originCircuitOpen() ? "open (failing fast)" : "closed");
        origin.put("single-flight waits", pipeline.flightWaits());
        s.put("origin", origin);

        Fleet fleet = proxy.fleet();
        if (fleet != null) {
            Fleet.Stats f = fleet.stats();
            Map<String, Object> members = new LinkedHashMap<>();
            members.put("this node", f.self() == null ? "(not joined)" : f.self());
            members.put("members", f.members().size() + ": " + String.join(", ", f.members()));
            members.put("span", f.spanBlocks() + " blocks, each owned by one member");
            members.put("span reads from owners", f.peerReads());
            members.put("failed span reads (read from S3 instead)", f.peerFailures());
            members.put("bytes read from owners", f.peerBytes());
            members.put("span reads answered for peers (as owner)", f.servedToPeers());
            members.put("purges broadcast / received", f.dropsSent() + " / " + f.dropsReceived());
            s.put("fleet", members);
        }

        EventApplier.Stats e = proxy.events().stats();
        if (config.eventsSqs() != null || e.lastEventMillis() > 0) {
            Map<String, Object> events = new LinkedHashMap<>();
            events.put("queue", config.eventsSqs() == null ? "(webhook only)" : config.eventsSqs());
            events.put("applied (objects dropped)", e.applied());
            events.put("unchanged (the cached ETag)", e.unchanged());
            events.put("stale or repeated (older sequencer)", e.stale());
            events.put("outside the buckets served", e.outside());
            events.put("malformed messages", e.malformed());
            events.put(
                    "last event",
                    e.lastEventMillis() == 0
                            ? "never"
                            : java.time.Instant.ofEpochMilli(e.lastEventMillis())
                                    .toString());
            events.put("queue lag of the last message", e.lagMillis() + " ms");
            s.put("events", events);
        }

        BackgroundTasks.Stats background = tasks == null ? BackgroundTasks.Stats.NONE : tasks.stats();
        Watcher.Stats polled = background.watch();
        Map<String, Object> watch = new LinkedHashMap<>();
        watch.put("interval", config.watch().isZero() ? "off" : config.watch().toSeconds() + " s");
        watch.put("polls", polled.polls());
        watch.put("failed polls", polled.failedPolls());
        watch.put("changed", polled.changed());
        watch.put("deleted", polled.deleted());
        watch.put(
                "last poll",
                polled.lastPoll() == null ? "never" : polled.lastPoll().toString());
        s.put("watch", watch);

        Prefetcher.Stats loaded = background.prefetch();
        Map<String, Object> prefetch = new LinkedHashMap<>();
        prefetch.put("prefixes", config.prefetch().toString());
        prefetch.put("state", config.prefetch().isEmpty() ? "off" : loaded.running() ? "running" : "done");
        prefetch.put("listed", loaded.listed());
        prefetch.put("loaded", loaded.loaded());
        prefetch.put("failed", loaded.failed());
        prefetch.put("bytes", loaded.bytes());
        s.put("prefetch", prefetch);

        s.put("configuration", new LinkedHashMap<String, Object>(config.describe()));
        return s;
    }

    public String json() throws IOException {
        return json(snapshot(), true);
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
        var h = new StringBuilder(8192);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<meta http-equiv=\"refresh\" content=\"5\"><title>layerproxy status</title><style>")
                .append("body{font:14px system-ui,sans-serif;margin:24px;color:#222;background:#fafafa}")
                .append("h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:22px 0 6px;color:#444}")
                .append("table{border-collapse:collapse;background:#fff;box-shadow:0 1px 2px #0002}")
                .append("td,th{padding:4px 12px;border-bottom:1px solid #eee;text-align:left}")
                .append("th{background:#f0f3f7;font-weight:600}td.n{text-align:right;font-variant-numeric:")
                .append("tabular-nums}.muted{color:#777}.bad{color:#b00020;font-weight:600}")
                .append("</style></head><body>\n<h1>layerproxy</h1><div class=\"muted\">status at ")
                .append(escape(Instant.now().toString()))
                .append(" &middot; refreshes every 5 s &middot; ")
                .append("<a href=\"?format=json\">JSON</a> &middot; <a href=\"metrics\">metrics</a></div>\n");
        for (Map.Entry<String, Object> section : snapshot().entrySet()) {
            h.append("<h2>").append(escape(section.getKey())).append("</h2>\n<table>");
            if (section.getValue() instanceof List<?> rows) {
                boolean header = true;
                for (Object row : rows) {
                    Map<?, ?> cells = (Map<?, ?>) row;
                    if (header) {
                        h.append("<tr>");
                        cells.keySet()
                                .forEach(k -> h.append("<th>")
                                        .append(escape(k.toString()))
                                        .append("</th>"));
                        h.append("</tr>");
                        header = false;
                    }
                    h.append("<tr>");
                    cells.values().forEach(v -> cell(h, v));
                    h.append("</tr>");
                }
            } else {
                for (Map.Entry<?, ?> e : ((Map<?, ?>) section.getValue()).entrySet()) {
                    h.append("<tr><th>").append(escape(e.getKey().toString())).append("</th>");
                    cell(h, e.getValue());
                    h.append("</tr>");
                }
            }
            h.append("</table>\n");
        }
        return h.append("</body></html>\n").toString();
    }

    private static void cell(StringBuilder h, Object value) {
        if (value instanceof Number n) {
            long v = n.longValue();
            h.append("<td class=\"n\">")
                    .append(v < 0 ? "n/a" : String.format(Locale.ROOT, "%,d", v))
                    .append("</td>");
        } else if (value instanceof Boolean b) {
            h.append(b ? "<td>yes</td>" : "<td>no</td>");
        } else {
            String text = String.valueOf(value);
            h.append(text.startsWith("open") ? "<td class=\"bad\">" : "<td>")
                    .append(escape(text))
                    .append("</td>");
        }
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
        } else if (value instanceof Number n) {
            g.writeNumber(n.longValue());
        } else if (value instanceof Boolean b) {
            g.writeBoolean(b);
        } else {
            g.writeString(String.valueOf(value));
        }
    }

    private static String percent(long part, long whole) {
        return String.format(Locale.ROOT, "%.1f%%", 100.0 * part / whole);
    }

    private static String human(Duration d) {
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

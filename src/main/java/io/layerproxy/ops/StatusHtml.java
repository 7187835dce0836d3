package io.layerproxy.ops;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The status page as HTML: the last hour as charts on top, then every section's figures in human units, each with
 * its one-line explanation beside it. One self-contained document (styles inline, charts as inline SVG): nothing
 * is fetched when it is viewed. Laid out for a desk (1280 px: charts side by side) and a phone (390 px: one column,
 * wide tables scroll sideways).
 */
final class StatusHtml {
    private StatusHtml() {}

    private static final String STYLE = "body{font:14px system-ui,sans-serif;margin:16px;color:#222;background:#fafafa}"
            + "h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:22px 0 6px;color:#444}"
            + ".charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:12px}"
            + ".card{background:#fff;box-shadow:0 1px 2px #0002;padding:8px 10px;border-radius:4px}"
            + ".card h3{font-size:13px;margin:0 0 2px}.card p{margin:0 0 4px;color:#666;font-size:12px}"
            + ".chart{display:block;height:150px}.legend{font-size:12px;display:flex;flex-wrap:wrap;gap:4px 12px}"
            + ".legend i{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}"
            + ".wrap{overflow-x:auto;max-width:100%}"
            + "table{border-collapse:collapse;background:#fff;box-shadow:0 1px 2px #0002}"
            + "td,th{padding:4px 10px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}"
            + "th{background:#f0f3f7;font-weight:600}th small,td small{display:block;font-weight:400;color:#777;"
            + "font-size:11px;max-width:360px}td.n{text-align:right;font-variant-numeric:tabular-nums;"
            + "white-space:nowrap}.muted{color:#777}.bad{color:#b00020;font-weight:600}";

    static String render(Map<String, Object> snapshot, History.@Nullable Samples samples) {
        var h = new StringBuilder(32_768);
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">")
                .append("<meta http-equiv=\"refresh\" content=\"10\"><title>layerproxy status</title><style>")
                .append(STYLE)
                .append("</style></head><body>\n<h1>layerproxy</h1><div class=\"muted\">status at ")
                .append(StatusPage.escape(Instant.now().toString()))
                .append(" &middot; refreshes every 10 s &middot; ")
                .append("<a href=\"?format=json\">JSON</a> &middot; <a href=\"metrics\">metrics</a></div>\n");
        if (samples != null) {
            charts(h, samples);
        }
        for (Map.Entry<String, Object> section : snapshot.entrySet()) {
            h.append("<h2>").append(StatusPage.escape(section.getKey())).append("</h2>\n<div class=\"wrap\"><table>");
            if (section.getValue() instanceof List<?> rows) {
                if (rows.isEmpty()) {
                    h.append("<tr><td class=\"muted\">nothing yet</td></tr>");
                }
                boolean header = true;
                for (Object row : rows) {
                    Map<?, ?> cells = (Map<?, ?>) row;
                    if (header) {
                        h.append("<tr>");
                        cells.forEach((name, value) -> h.append("<th>")
                                .append(StatusPage.escape(name.toString()))
                                .append(help(value))
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
                    h.append("<tr><th>")
                            .append(StatusPage.escape(e.getKey().toString()))
                            .append(help(e.getValue()))
                            .append("</th>");
                    cell(h, e.getValue());
                    h.append("</tr>");
                }
            }
            h.append("</table></div>\n");
        }
        return h.append("</body></html>\n").toString();
    }

    private static void charts(StringBuilder h, History.Samples samples) {
        h.append("<h2>the last hour (or since start)</h2>");
        if (samples.times().length < 2) {
            h.append("<p class=\"muted\">Charts appear after the first samples (one every ")
                    .append(History.INTERVAL.toSeconds())
                    .append(" s).</p>");
        }
        h.append("<div class=\"charts\">");
        long now = samples.times().length == 0
                ? Instant.now().toEpochMilli()
                : samples.times()[samples.times().length - 1];
        // the time kept, at least a minute: a proxy up for a few minutes fills the charts' width with them
        long kept = samples.times().length == 0 ? 0 : now - samples.times()[0];
        long span = Math.max(60_000, Math.min(History.INTERVAL.toMillis() * History.CAPACITY, kept));
        for (int c = 0; c < samples.charts().size(); c++) {
            History.Chart chart = samples.charts().get(c);
            List<SvgChart.Line> lines = new ArrayList<>();
            for (int s = 0; s < chart.series().size(); s++) {
                lines.add(new SvgChart.Line(chart.series().get(s).name(), samples.values()[c][s]));
            }
            h.append("<div class=\"card\"><h3>")
                    .append(StatusPage.escape(chart.title()))
                    .append("</h3><p>")
                    .append(StatusPage.escape(chart.help()))
                    .append("</p>")
                    .append(SvgChart.render(chart.title(), chart.unit(), samples.times(), now, span, lines))
                    .append(SvgChart.legend(chart.unit(), lines))
                    .append("</div>");
        }
        h.append("</div>\n");
    }

    private static String help(Object value) {
        return value instanceof StatusPage.Figure f && !f.help().isEmpty()
                ? "<small>" + StatusPage.escape(f.help()) + "</small>"
                : "";
    }

    private static void cell(StringBuilder h, Object value) {
        if (value instanceof StatusPage.Figure f) {
            cell(h, f.value(), f.unit());
        } else {
            cell(h, value, Units.Unit.COUNT);
        }
    }

    private static void cell(StringBuilder h, Object value, Units.Unit unit) {
        if (value instanceof Number n) {
            long v = n.longValue();
            h.append("<td class=\"n\">")
                    .append(v < 0 ? "n/a" : StatusPage.escape(Units.format(v, unit)))
                    .append("</td>");
        } else if (value instanceof Boolean b) {
            h.append(b ? "<td>yes</td>" : "<td>no</td>");
        } else {
            String text = String.valueOf(value);
            h.append(text.startsWith("open") ? "<td class=\"bad\">" : "<td>")
                    .append(StatusPage.escape(text))
                    .append("</td>");
        }
    }
}

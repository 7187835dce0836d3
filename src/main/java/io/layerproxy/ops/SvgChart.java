package io.layerproxy.ops;

import java.util.List;
import java.util.Locale;

/**
 * A line chart as inline SVG, drawn on the server: nothing is fetched when the page is viewed, and it scales to the
 * page's width (a phone's 390 px or a desk's 1280 px). Gaps (NaN) break a line. Each line carries its points'
 * count ({@code data-points}) and a tooltip with its latest value.
 */
final class SvgChart {
    private static final int W = 600;
    private static final int H = 150;
    private static final int LEFT = 64;
    private static final int RIGHT = 8;
    private static final int TOP = 8;
    private static final int BOTTOM = 22;
    static final String[] COLORS = {"#1f77b4", "#2ca02c", "#ff7f0e", "#d62728", "#9467bd", "#8c564b", "#17becf"};

    /** One line: its name and a value per time (NaN where there is none). */
    record Line(String name, double[] values) {}

    private SvgChart() {}

    /**
     * @param times epoch milliseconds, oldest first; {@code now} is the right edge, {@code span} ms the width
     */
    static String render(String title, Units.Unit unit, long[] times, long now, long span, List<Line> lines) {
        double max = unit == Units.Unit.PERCENT ? 100 : 0;
        for (Line line : lines) {
            for (double v : line.values()) {
                if (!Double.isNaN(v) && v > max) {
                    max = v;
                }
            }
        }
        max = max <= 0 ? 1 : nice(max);
        var s = new StringBuilder(4096);
        s.append("<svg class=\"chart\" viewBox=\"0 0 ")
                .append(W)
                .append(' ')
                .append(H)
                .append("\" width=\"100%\" role=\"img\" aria-label=\"")
                .append(StatusPage.escape(title))
                .append("\" preserveAspectRatio=\"none\">");
        int plotW = W - LEFT - RIGHT;
        int plotH = H - TOP - BOTTOM;
        for (int i = 0; i <= 2; i++) { // gridlines and y labels at 0, half and the top
            double y = TOP + plotH - plotH * i / 2.0;
            s.append(String.format(
                    Locale.ROOT,
                    "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>",
                    LEFT,
                    y,
                    W - RIGHT,
                    y));
            s.append(String.format(
                            Locale.ROOT,
                            "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\" fill=\"#666\">",
                            LEFT - 4,
                            y + 4))
                    .append(StatusPage.escape(Units.format(max * i / 2, unit)))
                    .append("</text>");
        }
        String ago = span < 120_000 ? span / 1000 + " s ago" : span / 60_000 + " min ago";
        s.append(String.format(
                Locale.ROOT,
                "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#666\">%s</text>"
                        + "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\" fill=\"#666\">now</text>",
                LEFT,
                H - 6,
                ago,
                W - RIGHT,
                H - 6));
        for (int l = 0; l < lines.size(); l++) {
            Line line = lines.get(l);
            int points = 0;
            var path = new StringBuilder();
            boolean pen = false;
            double last = Double.NaN;
            for (int i = 0; i < times.length && i < line.values().length; i++) {
                double v = line.values()[i];
                if (Double.isNaN(v) || times[i] < now - span) {
                    pen = false;
                    continue;
                }
                double x = LEFT + plotW * (1 - (now - times[i]) / (double) span);
                double y = TOP + plotH * (1 - Math.min(v, max) / max);
                path.append(pen ? " L" : " M").append(String.format(Locale.ROOT, "%.1f %.1f", x, y));
                pen = true;
                points++;
                last = v;
            }
            String color = COLORS[l % COLORS.length];
            s.append("<path fill=\"none\" stroke-width=\"1.6\" vector-effect=\"non-scaling-stroke\" stroke=\"")
                    .append(color)
                    .append("\" data-series=\"")
                    .append(StatusPage.escape(line.name()))
                    .append("\" data-points=\"")
                    .append(points)
                    .append("\" d=\"")
                    .append(path.isEmpty() ? "M0 0" : path.substring(1))
                    .append("\"><title>")
                    .append(StatusPage.escape(line.name() + ": " + Units.format(last, unit) + " now"))
                    .append("</title></path>");
        }
        return s.append("</svg>").toString();
    }

    /** The legend under a chart: each line's color, name and latest value. */
    static String legend(Units.Unit unit, List<Line> lines) {
        var s = new StringBuilder("<div class=\"legend\">");
        for (int l = 0; l < lines.size(); l++) {
            Line line = lines.get(l);
            double last = Double.NaN;
            for (double v : line.values()) {
                if (!Double.isNaN(v)) {
                    last = v;
                }
            }
            s.append("<span><i style=\"background:")
                    .append(COLORS[l % COLORS.length])
                    .append("\"></i>")
                    .append(StatusPage.escape(line.name()))
                    .append(" <b>")
                    .append(StatusPage.escape(Units.format(last, unit)))
                    .append("</b></span>");
        }
        return s.append("</div>").toString();
    }

    /** 1, 2 or 5 times a power of ten, at least {@code v}: axis labels a person can read. */
    static double nice(double v) {
        double power = Math.pow(10, Math.floor(Math.log10(v)));
        for (double step : new double[] {1, 2, 5, 10}) {
            if (step * power >= v) {
                return step * power;
            }
        }
        return 10 * power;
    }
}

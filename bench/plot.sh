#!/usr/bin/env bash
# Plots bench/history.tsv (one line per run and case, appended by bench/run.sh) as bench/ratios.png: layerproxy /
# nginx per case, run by run (1.0 = as fast as nginx; for time to first byte, nginx / layerproxy, so higher is
# better everywhere). Installs gnuplot from apt when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
need_tools gnuplot
DATA=$(mktemp)
trap 'rm -f "$DATA"' EXIT
# one row per run (in file order): run label, then the ratio of each case ("NaN" where a run has none)
awk -F'\t' 'NR > 1 {
    run = $1 " " $2
    if (!(run in seen)) { seen[run] = ++n; label[n] = $2 }
    r = ($5 != "" && $6 != "" && $6 > 0) ? ($4 == "cold_ttfb_ms" ? $6 / $5 : $5 / $6) : "NaN"
    v[seen[run], $4] = r
  }
  END {
    split("hot_4k_rps hot_1m_bytes_per_s disk_1m_bytes_per_s cold_stream_bytes_per_s cold_ttfb_ms", cases, " ")
    for (i = 1; i <= n; i++) {
      line = i " " label[i]
      for (c = 1; c <= 5; c++) line = line " " (((i, cases[c]) in v) ? v[i, cases[c]] : "NaN")
      print line
    }
  }' bench/history.tsv > "$DATA"
gnuplot <<PLOT
set terminal pngcairo size 1000,520 font "sans,11"
set output "bench/ratios.png"
set title "layerproxy / nginx proxy_cache, per bench/run.sh run (same 2-core host; higher is better)"
set ylabel "ratio"
set yrange [0:*<4]
set termoption noenhanced
set offsets 0, 0, 0.2, 0
set grid ytics
set key outside right
set xtics rotate by -30
set style data linespoints
plot 1 title "nginx" dt 2 lc rgb "#888888", \
  "$DATA" using 1:3:xtic(2) title "hot 4 KiB" lw 2, \
  "" using 1:4 title "hot 1 MiB" lw 2, \
  "" using 1:5 title "disk-tier 1 MiB" lw 2, \
  "" using 1:6 title "cold 128 MiB stream" lw 2, \
  "" using 1:7 title "cold TTFB (nginx / lp)" lw 2
PLOT
log "wrote bench/ratios.png"

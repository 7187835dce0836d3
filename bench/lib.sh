# Shared by the bench scripts (source it after `cd` to the repository root): logging, waiting for a port, the
# tools a run needs, an anonymous S3Proxy on the filesystem as the origin, and process CPU time from /proc.
S3PROXY_VERSION=4.1.0
CLK_TCK=$(getconf CLK_TCK)

log() { printf '==> %s\n' "$*" >&2; }

# What a script started, stopped when it exits (`trap cleanup EXIT`): the processes in PIDS, and an nginx whose pid
# file is in $WORK
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "${WORK:-/nonexistent}/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
}

await_port() { for _ in $(seq 1 300); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; return 1; }

need_tools() { # COMMAND... : installs the missing ones with apt (nginx, wrk, curl)
  local need=()
  for c in "$@"; do command -v "$c" >/dev/null || [ -x "/usr/sbin/$c" ] || need+=("$c"); done
  if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
}

fetch_s3proxy() { # DIR
  [ -f "$1/s3proxy-${S3PROXY_VERSION}-jar-with-dependencies.jar" ] ||
    mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
      -Dartifact=org.gaul:s3proxy:${S3PROXY_VERSION}:jar:jar-with-dependencies -DoutputDirectory="$1"
}

start_s3proxy() { # DIR PORT: anonymous, filesystem backend in DIR/s3data; sets S3PROXY_PID
  local dir=$1 port=$2
  mkdir -p "$dir/s3data"
  cat > "$dir/s3proxy.conf" <<CONF
s3proxy.endpoint=http://127.0.0.1:${port}
s3proxy.authorization=none
jclouds.provider=filesystem-nio2
jclouds.identity=bench
jclouds.credential=bench
jclouds.filesystem.basedir=$(cd "$dir" && pwd)/s3data
CONF
  java -jar "$dir/s3proxy-${S3PROXY_VERSION}-jar-with-dependencies.jar" --properties "$dir/s3proxy.conf" \
    > "$dir/s3proxy.log" 2>&1 &
  S3PROXY_PID=$!
  await_port "$port"
}

# Every cold stream starts alike: the origin's file in the page cache, nobody's earlier writes still being flushed
# (a cache's disk writes of the last object otherwise slow the next read)
start_alike() { # FILE (the origin's copy of the object about to be read)
  cat "$1" > /dev/null
  sync
}

# CPU seconds (user + system, all threads) a process and its children processes (nginx's workers) used so far
cpu_seconds() { # PID
  local total=0 p
  for p in "$1" $(pgrep -P "$1" || true); do
    [ -r "/proc/$p/stat" ] && total=$((total + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
  done
  awk -v t="$total" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", t / hz }'
}

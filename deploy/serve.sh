#!/usr/bin/env bash
# Serve the app from N processes behind nginx with sticky sessions.
#
#   deploy/serve.sh [-n PROCESSES] [-p PORT] [-a ADDRESS]
#
# Starts N `streamlit run app.py` on 127.0.0.1:PORT+1 ... PORT+N and nginx on
# ADDRESS:PORT (default 127.0.0.1:8501 and two processes per core: measured with 30
# sessions on 2 cores, rerun p95 2.75 s with 2 processes, 1.25 s with 3, 0.4-0.6 s
# with 4; a process's script runs and its websocket sends share one GIL).
# Prints "app PID PORT" per process, then "ready". Stops everything on Ctrl-C or
# SIGTERM. Needs nginx (Debian: apt-get install -y nginx).
set -euo pipefail
N=$(( 2 * $(nproc 2>/dev/null || echo 1) )); PORT=8501; ADDRESS=127.0.0.1
while getopts "n:p:a:" opt; do
  case $opt in
    n) N=$OPTARG ;;
    p) PORT=$OPTARG ;;
    a) ADDRESS=$OPTARG ;;
    *) echo "usage: $0 [-n PROCESSES] [-p PORT] [-a ADDRESS]" >&2; exit 2 ;;
  esac
done
[[ $N =~ ^[0-9]+$ && $N -ge 1 && $N -le 64 ]] || { echo "serve.sh: -n must be 1..64" >&2; exit 2; }
[[ $PORT =~ ^[0-9]+$ && $PORT -ge 1024 && $PORT -le 65000 ]] || { echo "serve.sh: bad -p" >&2; exit 2; }
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { echo "serve.sh: nginx not found (apt-get install -y nginx)" >&2; exit 2; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=$(mktemp -d /tmp/lls-nginx.XXXXXX)
PIDS=()

cleanup() {
  trap - EXIT INT TERM
  [ -f "$PREFIX/nginx.pid" ] && kill "$(cat "$PREFIX/nginx.pid")" 2>/dev/null || true
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$PREFIX"
}
trap cleanup EXIT INT TERM

(cd "$ROOT" && python -m livechart >/dev/null)   # plotly.js into static/ once, before N processes start
(cd "$ROOT" && python -m engine.compiled)        # the compiled engine's kernels into numba's disk cache, once
UPSTREAMS=""
for i in $(seq 1 "$N"); do
  p=$((PORT + i))
  (cd "$ROOT" && exec python -m streamlit run app.py --server.headless true \
      --server.address 127.0.0.1 --server.port "$p" --server.fileWatcherType none \
      --browser.gatherUsageStats false) >"$PREFIX/app$i.log" 2>&1 &
  PIDS+=($!)
  echo "app $! $p"
  UPSTREAMS+="        server 127.0.0.1:$p max_fails=0;"$'\n'
done
mkdir -p "$PREFIX"/{client_body,proxy,fastcgi,uwsgi,scgi}
python - "$ROOT/deploy/nginx.conf" "$PREFIX/nginx.conf" "$ADDRESS:$PORT" "$PREFIX" "$UPSTREAMS" <<'PY'
import sys
src, dst, listen, prefix, upstreams = sys.argv[1:]
text = open(src).read().replace("@LISTEN@", listen).replace("@PREFIX@", prefix)
open(dst, "w").write(text.replace("@UPSTREAMS@", upstreams.rstrip("\n")))
PY
for i in $(seq 1 "$N"); do
  p=$((PORT + i))
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$p/_stcore/health" >/dev/null 2>&1 && break
    kill -0 "${PIDS[$((i - 1))]}" 2>/dev/null || { echo "serve.sh: app on port $p died:" >&2; tail -5 "$PREFIX/app$i.log" >&2; exit 1; }
    sleep 0.2
  done
done
"$NGINX" -p "$PREFIX" -c "$PREFIX/nginx.conf" -g "daemon off;" &
NGINX_PID=$!
PIDS+=($NGINX_PID)
for _ in $(seq 1 100); do
  curl -sf "http://$ADDRESS:$PORT/_stcore/health" >/dev/null 2>&1 && break
  kill -0 "$NGINX_PID" 2>/dev/null || { echo "serve.sh: nginx did not start" >&2; exit 1; }
  sleep 0.1
done
curl -sf "http://$ADDRESS:$PORT/_stcore/health" >/dev/null || { echo "serve.sh: no answer on $ADDRESS:$PORT" >&2; exit 1; }
echo "ready"
wait -n

#!/usr/bin/env bash
# Serve the app from N processes behind nginx with sticky sessions, supervised.
#
#   deploy/serve.sh [-n PROCESSES] [-p PORT] [-a ADDRESS]
#
# supervisord (PyPI `supervisor`, deploy/supervisord.conf) runs N `streamlit run
# app.py` on 127.0.0.1:PORT+1 ... PORT+N and nginx on ADDRESS:PORT (default
# 127.0.0.1:8501 and two processes per core: a process's script runs and its
# websocket sends share one GIL). A process that dies is started again at once
# (ready again in ~2-4 s) while nginx sends its sessions' reconnections to the
# others; the service never ends because one child did. nginx serves the static
# files (Streamlit's assets, plotly.js) itself, gzip'd, with long cache headers.
# Prints "app PID PORT" per process, then "ready". Stops everything on Ctrl-C or
# SIGTERM. Needs nginx (Debian: apt-get install -y nginx) and supervisor
# (pip install -r requirements.txt). Logs: the run directory it prints.
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
PY=$(python -c 'import sys; print(sys.executable)')
"$PY" -c "import supervisor" 2>/dev/null || { echo "serve.sh: supervisor not installed (pip install -r requirements.txt)" >&2; exit 2; }
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=$(mktemp -d /tmp/lls-serve.XXXXXX)
chmod 755 "$PREFIX"   # nginx's workers (user nobody when started as root) read the static copies here
SUPERVISOR_PID=""

cleanup() {
  trap - EXIT INT TERM
  if [ -n "$SUPERVISOR_PID" ]; then
    kill -TERM "$SUPERVISOR_PID" 2>/dev/null || true   # supervisord stops its programs, then itself
    wait "$SUPERVISOR_PID" 2>/dev/null || true
  fi
  rm -rf "$PREFIX"
}
trap cleanup EXIT INT TERM

(cd "$ROOT" && "$PY" -m livechart >/dev/null)   # plotly.js into static/ once, before N processes start
(cd "$ROOT" && "$PY" -m engine.compiled)        # the compiled engine's kernels into numba's disk cache, once

# The static files nginx serves: copies, each with a .gz twin (gzip_static), made once here.
ST_STATIC=$("$PY" -c "import os, streamlit; print(os.path.join(os.path.dirname(streamlit.__file__), 'static'))")
mkdir -p "$PREFIX/www" "$PREFIX"/{client_body,proxy,fastcgi,uwsgi,scgi}
cp -r "$ST_STATIC" "$PREFIX/www/streamlit"
cp -r "$ROOT/static" "$PREFIX/www/app"
find "$PREFIX/www" -type f \( -name '*.js' -o -name '*.css' -o -name '*.json' -o -name '*.svg' -o -name '*.map' \
  -o -name '*.ttf' -o -name '*.txt' \) -size +1k -print0 | xargs -0 -r -P 2 -n 64 gzip -k -6

"$PY" - "$ROOT" "$PREFIX" "$ADDRESS:$PORT" "$N" "$((PORT + 1))" "$PY" "$NGINX" <<'PY'
import sys
root, prefix, listen, n, first, py, nginx = sys.argv[1:]
upstreams = "\n".join(f"        server 127.0.0.1:{int(first) + i} max_fails=0;" for i in range(int(n)))
marks = {"@LISTEN@": listen, "@PREFIX@": prefix, "@UPSTREAMS@": upstreams, "@WWW@": f"{prefix}/www",
         "@ROOT@": root, "@N@": n, "@FIRST@": first, "@PYTHON@": py, "@NGINX@": nginx}
for name in ("nginx.conf", "supervisord.conf"):
    text = open(f"{root}/deploy/{name}").read()
    for k, v in marks.items():
        text = text.replace(k, v)
    open(f"{prefix}/{name}", "w").write(text)
PY

"$PY" -m supervisor.supervisord -c "$PREFIX/supervisord.conf" >"$PREFIX/supervisord.out" 2>&1 &
SUPERVISOR_PID=$!
ctl() { "$PY" -m supervisor.supervisorctl -c "$PREFIX/supervisord.conf" "$@"; }

for i in $(seq 1 "$N"); do
  p=$((PORT + i))
  for _ in $(seq 1 600); do
    curl -sf "http://127.0.0.1:$p/_stcore/health" >/dev/null 2>&1 && break
    kill -0 "$SUPERVISOR_PID" 2>/dev/null || { echo "serve.sh: supervisord ended; see $PREFIX" >&2; exit 1; }
    sleep 0.2
  done
  curl -sf "http://127.0.0.1:$p/_stcore/health" >/dev/null || { echo "serve.sh: app on port $p did not start:" >&2; tail -5 "$PREFIX/app$p.log" >&2; exit 1; }
  echo "app $(ctl pid "app:app$p") $p"
done
for _ in $(seq 1 100); do
  curl -sf "http://$ADDRESS:$PORT/_stcore/health" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -sf "http://$ADDRESS:$PORT/_stcore/health" >/dev/null || { echo "serve.sh: no answer on $ADDRESS:$PORT (see $PREFIX/error.log)" >&2; exit 1; }
echo "logs $PREFIX"
echo "ready"
wait "$SUPERVISOR_PID"

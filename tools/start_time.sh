#!/bin/bash
# Milliseconds from `deno task start` to its "started" log line (every listener bound), over N
# runs (default 20) after one warm-up start; prints the sorted figures. Data and WAL under a
# temporary directory, every listener on 127.0.0.1 port 0. Used for docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export CARBONADO_WHISPER_DATA_DIR=$tmp/data CARBONADO_WAL_DIR=$tmp/wal
for k in TCP UDP PICKLE CARBONLINK CARBONSERVER PROMETHEUS HTTP_INGEST; do
  export "CARBONADO_${k}_LISTEN=127.0.0.1:0"
done
once() {
  : > "$tmp/log"
  local t0 t1 pid
  t0=$(date +%s%N)
  deno task start >> "$tmp/log" 2>&1 &
  pid=$!
  until grep -q '"msg":"started"' "$tmp/log"; do sleep 0.005; done
  t1=$(date +%s%N)
  kill -TERM "$pid"
  wait "$pid" || true
  echo $(((t1 - t0) / 1000000))
}
once > /dev/null # the first start builds the wasm if needed
for _ in $(seq "$runs"); do once; done | sort -n | tr '\n' ' '
echo

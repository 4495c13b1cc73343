#!/usr/bin/env bash
# The benchmark of docs/PERFORMANCE.md: the reference broker against a bare-axum
# baseline, the reference broker's write path on each state backend (memory, SQLite,
# PostgreSQL), and the compile cost of the DSL. From the repository root:
#
#   benches/run.sh                  # everything (about 17–19 minutes after the first build)
#   benches/run.sh --quick          # a smoke run of about 4 minutes
#   benches/run.sh --no-compile     # only the runtime figures
#   benches/run.sh --no-store-cost  # without the per-backend section
#
# Other options go to the driver (benches/src/bin/osb_bench.rs; --help lists them).
# Needs wrk and taskset (wrk is installed with apt-get when missing and run as root).
# The PostgreSQL backend needs psql and a server at 127.0.0.1:5432 that trusts user
# postgres (--postgres URL to change it); without them it is skipped, and said so.
# It uses database osb_bench (created if missing, the framework's tables dropped
# before every start), never the test suite's `test`.
# Sends traffic to 127.0.0.1 only, and stops only the servers it started, by pid.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing wrk (Debian package) …" >&2
    apt-get update -qq >/dev/null && apt-get install -y -qq wrk >/dev/null
  else
    echo "wrk is missing: apt-get install wrk" >&2
    exit 1
  fi
fi
command -v taskset >/dev/null || { echo "taskset is missing (util-linux)" >&2; exit 1; }
if [ "$(nproc)" -lt 2 ]; then
  echo "warning: fewer than 2 CPUs; server and wrk will share a core" >&2
fi

echo "building in release mode: the reference broker, the baseline and the driver …" >&2
cargo build --release --quiet --example reference
cargo build --release --quiet -p osb-benches --bins

exec target/release/osb-bench \
  --reference target/release/examples/reference \
  --baseline target/release/bare-axum \
  --lua benches/wrk/osb.lua \
  --out target/osb-bench \
  --workspace . \
  "$@"

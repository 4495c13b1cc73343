#!/usr/bin/env bash
# Instructions per request of the reference broker and the bare-axum baseline, per
# route, under valgrind's callgrind (docs/PERFORMANCE.md, «Where the CPU goes»).
# Deterministic where wall-clock figures on a shared machine are not. From the
# repository root, after `benches/run.sh` (or the two release builds) made the binaries:
#
#   benches/callgrind.sh [REQUESTS]      # default 1000 requests per route
#
# Each server is started under callgrind, 8 instances are provisioned, then per route
# 200 warm-up requests, the counters zeroed, REQUESTS requests on one keep-alive
# connection, and a dump. Profiles stay in target/osb-callgrind/{reference,baseline}/
# for callgrind_annotate. Needs valgrind (apt-get install valgrind) and python3.
# Traffic goes to 127.0.0.1 only; it stops only the servers it started, by pid.
# Note: valgrind does not emulate the SHA extensions, so SHA-256 (basic auth, request
# fingerprints) runs in software here and counts several times what it costs on a CPU
# with SHA-NI.
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-1000}
command -v valgrind >/dev/null || { echo "valgrind is missing: apt-get install valgrind" >&2; exit 1; }
out=target/osb-callgrind
mkdir -p "$out"
target/release/examples/reference --catalog >"$out/catalog.json"

drive() { # PORT ROUTE COUNT PREFIX
  python3 - "$@" <<'PY'
import http.client, sys
port, route, count, prefix = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
svc, plan = "3f0e8a4c-6a1d-4c7e-9b2f-5d8e1a7c4b90", "8a9c2d4e-1b3f-4a6c-8e0d-2f4a6c8e0b12"
org, space = "2b8a8c7e-5d41-4b6e-9a1f-0f3c2d1e4a5b", "7c6d5e4f-3a2b-4c1d-8e9f-0a1b2c3d4e5f"
# The bodies of benches/wrk/osb.lua.
provision = ('{"service_id":"%s","plan_id":"%s","organization_guid":"%s","space_guid":"%s",'
  '"context":{"platform":"cloudfoundry","organization_guid":"%s","space_guid":"%s",'
  '"organization_name":"acme-production","space_name":"payments","instance_name":"payments-cache",'
  '"organization_annotations":{"owner":"team-payments"},"space_annotations":{},"instance_annotations":{}},'
  '"parameters":{"size_mb":256},"maintenance_info":{"version":"1.0.0"}}') % (svc, plan, org, space, org, space)
bind = ('{"service_id":"%s","plan_id":"%s","bind_resource":{"app_guid":"5e4d3c2b-1a0f-4e9d-8c7b-6a5f4e3d2c1b"},'
  '"context":{"platform":"cloudfoundry","organization_guid":"%s","space_guid":"%s",'
  '"organization_name":"acme-production","space_name":"payments"},"parameters":{}}') % (svc, plan, org, space)
hints = "?service_id=%s&plan_id=%s" % (svc, plan)
headers = {"Authorization": "Basic YWRtaW46YWRtaW4=", "X-Broker-API-Version": "2.17",
           "Content-Type": "application/json"}
connection = http.client.HTTPConnection("127.0.0.1", port)
for i in range(count):
    method, body = "GET", None
    if route == "seed":
        method, path, body = "PUT", "/v2/service_instances/seed-%d" % i, provision
    elif route == "provision":
        method, path, body = "PUT", "/v2/service_instances/%s-%d" % (prefix, i), provision
    elif route == "bind":
        method, path, body = "PUT", "/v2/service_instances/seed-%d/service_bindings/%s-%d" % (i % 8, prefix, i), bind
    elif route == "last_operation":
        path = "/v2/service_instances/seed-%d/last_operation%s" % (i % 8, hints)
    elif route == "fetch_instance":
        path = "/v2/service_instances/seed-%d%s" % (i % 8, hints)
    else:
        path = "/v2/catalog"
    connection.request(method, path, body=body, headers=headers)
    reply = connection.getresponse()
    reply.read()
    if reply.status >= 300:
        sys.exit("%s answered %d" % (path, reply.status))
PY
}

routes=(catalog provision bind last_operation fetch_instance)
declare -A counts
for server in reference baseline; do
  dir="$out/$server"
  rm -rf "$dir" && mkdir -p "$dir"
  port=$((18900 + RANDOM % 900))
  if [ "$server" = reference ]; then
    args=(target/release/examples/reference --listen "127.0.0.1:$port" --store memory)
  else
    args=(target/release/bare-axum --listen "127.0.0.1:$port" --catalog "$out/catalog.json")
  fi
  RUST_LOG=warn valgrind --tool=callgrind --compress-strings=no --callgrind-out-file="$dir/callgrind.out" \
    "${args[@]}" >"$dir/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 200); do
    curl -s -o /dev/null -u admin:admin -H 'X-Broker-API-Version: 2.17' \
      "http://127.0.0.1:$port/v2/catalog" && break
    sleep 0.2
  done
  drive "$port" seed 8 seed
  for route in "${routes[@]}"; do
    drive "$port" "$route" 200 "warm-$route"
    callgrind_control -z "$pid" >/dev/null 2>&1
    drive "$port" "$route" "$requests" "run-$route"
    callgrind_control -d "$route" "$pid" >/dev/null 2>&1
    file=$(grep -l "^desc: Trigger: dump $route\$" "$dir"/callgrind.out.* | head -1)
    total=$(awk '/^summary:/ {print $2}' "$file")
    counts[$server,$route]=$((total / requests))
  done
  kill "$pid"
  wait "$pid" 2>/dev/null || true
done

printf '| route | reference | baseline | ratio |\n|---|---:|---:|---:|\n'
for route in "${routes[@]}"; do
  r=${counts[reference,$route]} b=${counts[baseline,$route]}
  printf '| %s | %d | %d | %s× |\n' "$route" "$r" "$b" "$(awk "BEGIN {printf \"%.2f\", $r / $b}")"
done

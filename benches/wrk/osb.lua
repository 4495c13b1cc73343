-- wrk script of the OSB benchmark (driven by osb-bench; see docs/PERFORMANCE.md).
--
--   wrk -t1 -c64 -d5s -s osb.lua http://127.0.0.1:PORT -- ROUTE PREFIX SEEDS
--
-- ROUTE:  catalog | provision | bind | last_operation | fetch_instance
-- PREFIX: makes the ids of this run unique (provision and bind create a new
--         instance or binding with every request)
-- SEEDS:  how many instances `seed-0` … `seed-(SEEDS-1)` exist already; bind,
--         last_operation and fetch_instance spread over them
--
-- Every request carries basic auth (admin/admin) and X-Broker-API-Version: 2.17.
-- `done` prints one line `WRKJSON {...}` that osb-bench reads.

local SERVICE = "3f0e8a4c-6a1d-4c7e-9b2f-5d8e1a7c4b90"
local PLAN = "8a9c2d4e-1b3f-4a6c-8e0d-2f4a6c8e0b12"

-- A typical Cloud Foundry provision request: context and parameters included.
local PROVISION_BODY = '{"service_id":"' .. SERVICE .. '","plan_id":"' .. PLAN .. '",'
  .. '"organization_guid":"2b8a8c7e-5d41-4b6e-9a1f-0f3c2d1e4a5b",'
  .. '"space_guid":"7c6d5e4f-3a2b-4c1d-8e9f-0a1b2c3d4e5f",'
  .. '"context":{"platform":"cloudfoundry",'
  .. '"organization_guid":"2b8a8c7e-5d41-4b6e-9a1f-0f3c2d1e4a5b",'
  .. '"space_guid":"7c6d5e4f-3a2b-4c1d-8e9f-0a1b2c3d4e5f",'
  .. '"organization_name":"acme-production","space_name":"payments",'
  .. '"instance_name":"payments-cache",'
  .. '"organization_annotations":{"owner":"team-payments"},'
  .. '"space_annotations":{},"instance_annotations":{}},'
  .. '"parameters":{"size_mb":256},'
  .. '"maintenance_info":{"version":"1.0.0"}}'

local BIND_BODY = '{"service_id":"' .. SERVICE .. '","plan_id":"' .. PLAN .. '",'
  .. '"bind_resource":{"app_guid":"5e4d3c2b-1a0f-4e9d-8c7b-6a5f4e3d2c1b"},'
  .. '"context":{"platform":"cloudfoundry",'
  .. '"organization_guid":"2b8a8c7e-5d41-4b6e-9a1f-0f3c2d1e4a5b",'
  .. '"space_guid":"7c6d5e4f-3a2b-4c1d-8e9f-0a1b2c3d4e5f",'
  .. '"organization_name":"acme-production","space_name":"payments"},'
  .. '"parameters":{}}'

local HINTS = "?service_id=" .. SERVICE .. "&plan_id=" .. PLAN

local route, prefix, seeds
local counter = 0
local fixed

function init(args)
  route = args[1] or "catalog"
  prefix = args[2] or "run"
  seeds = tonumber(args[3] or "1")
  wrk.headers["Authorization"] = "Basic YWRtaW46YWRtaW4="
  wrk.headers["X-Broker-API-Version"] = "2.17"
  if route == "provision" or route == "bind" then
    wrk.headers["Content-Type"] = "application/json"
  end
  if route == "catalog" then
    fixed = wrk.format("GET", "/v2/catalog")
  end
end

function request()
  counter = counter + 1
  if fixed then
    return fixed
  elseif route == "provision" then
    return wrk.format("PUT", "/v2/service_instances/" .. prefix .. "-" .. counter, nil, PROVISION_BODY)
  elseif route == "bind" then
    local instance = "seed-" .. (counter % seeds)
    return wrk.format("PUT", "/v2/service_instances/" .. instance .. "/service_bindings/"
      .. prefix .. "-" .. counter, nil, BIND_BODY)
  elseif route == "last_operation" then
    return wrk.format("GET", "/v2/service_instances/seed-" .. (counter % seeds) .. "/last_operation" .. HINTS)
  elseif route == "fetch_instance" then
    return wrk.format("GET", "/v2/service_instances/seed-" .. (counter % seeds) .. HINTS)
  end
  error("unknown route " .. route)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"connect_errors":%d,"read_errors":%d,'
    .. '"write_errors":%d,"status_errors":%d,"timeouts":%d,"mean_us":%.1f,'
    .. '"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max))
end

-- wrk script: POST one Kobo submission per request, each with its own instance id and _id
-- (the webhook deduplicates on meta/instanceID and groups versions by _id, so a repeated body
-- would measure the duplicate path, not intake).
-- Arguments after `--`: body template file, run prefix (random, from Python), first _id, then
-- any number of "Header: value" lines. The template holds @INSTANCE@ and @RECORD@.
-- Prints one line "BENCH {json}" with requests, duration, errors and counts per HTTP status.

local threads = {}
local counter = 0
local template, prefix, base

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  local f = assert(io.open(args[1], "rb"))
  template = f:read("*a")
  f:close()
  prefix = args[2] .. "-" .. tid
  -- Disjoint _id ranges per thread and per run (the run's base comes from Python).
  base = tonumber(args[3]) + tid * 10000000
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  for i = 4, #args do
    local name, value = args[i]:match("^([^:]+):%s*(.*)$")
    wrk.headers[name] = value
  end
  statuses = {}
end

function request()
  counter = counter + 1
  local id = string.format("%s-%010d", prefix, counter)
  local body = template:gsub("@INSTANCE@", id)
  body = body:gsub("@RECORD@", tostring(base + counter))
  return wrk.format(nil, wrk.path, nil, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for code, n in pairs(thread:get("statuses")) do
      counts[tostring(code)] = (counts[tostring(code)] or 0) + n
    end
  end
  local parts = {}
  for code, n in pairs(counts) do
    table.insert(parts, string.format('"%s": %d', code, n))
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"timeout": %d, "p50_us": %d, "p99_us": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), table.concat(parts, ", ")))
end

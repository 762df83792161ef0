-- wrk script shared by every scenario (bench/src/wrk.ts prepends `BENCH = {...}`: the requests).
--
-- BENCH.requests: list of { method, path, headers, body?, dyn? }, cycled in order, each thread
-- starting at its own offset. dyn (the body is built per request):
--   { kind = "uniq", pre, post }            body = pre .. <unique token> .. post (stream names)
--   { kind = "series", pre, post, points }  body = pre .. <points fresh deltaTimes> .. post
-- Non-2xx answers are counted (per status) by the `response` hook; done() prints one JSON line
-- starting with BENCH_RESULT that bench/src/wrk.ts parses.

local threads = {}
local nextId = 0

function setup(thread)
  thread:set("tid", nextId)
  nextId = nextId + 1
  table.insert(threads, thread)
end

function init(args)
  reqs = {}
  for i, r in ipairs(BENCH.requests) do
    if r.dyn == nil then
      reqs[i] = wrk.format(r.method, r.path, r.headers, r.body)
    else
      reqs[i] = false
    end
  end
  count = #reqs
  n = tid * 7919
  seq = 0
  non2xx = 0
  statuses = {}
  sample = ""
end

local function uniq()
  seq = seq + 1
  return BENCH.tag .. "-" .. tid .. "-" .. seq
end

local function points(k)
  seq = seq + 1
  -- Fresh deltaTimes per request: thread-interleaved blocks of k seconds, never rewritten in a run.
  local base = (seq * 64 + tid) * k
  local parts = {}
  for i = 0, k - 1 do
    parts[i + 1] = "[" .. (base + i) .. "," .. (60 + (i % 50) / 10) .. "]"
  end
  return table.concat(parts, ",")
end

function request()
  n = n + 1
  local i = n % count + 1
  local pre = reqs[i]
  if pre then return pre end
  local r = BENCH.requests[i]
  local body
  if r.dyn.kind == "uniq" then
    body = r.dyn.pre .. uniq() .. r.dyn.post
  else
    body = r.dyn.pre .. points(r.dyn.points) .. r.dyn.post
  end
  return wrk.format(r.method, r.path, r.headers, body)
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    statuses[status] = (statuses[status] or 0) + 1
    if sample == "" and body ~= nil then sample = string.sub(body, 1, 300) end
  end
end

local function jsonString(s)
  s = string.gsub(s, '[%c"\\]', function(c)
    if c == '"' then return '\\"' end
    if c == "\\" then return "\\\\" end
    return string.format("\\u%04x", string.byte(c))
  end)
  return '"' .. s .. '"'
end

function done(summary, latency, requests)
  local total = 0
  local byStatus = {}
  local firstSample = ""
  for _, t in ipairs(threads) do
    total = total + (t:get("non2xx") or 0)
    local st = t:get("statuses") or {}
    for k, v in pairs(st) do byStatus[k] = (byStatus[k] or 0) + v end
    local s = t:get("sample") or ""
    if firstSample == "" then firstSample = s end
  end
  local st = {}
  for k, v in pairs(byStatus) do table.insert(st, '"' .. k .. '":' .. v) end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"durationUs":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d},' ..
    '"non2xx":%d,"statuses":{%s},"sample":%s,' ..
    '"latencyUs":{"p50":%d,"p90":%d,"p95":%d,"p99":%d,"p999":%d,"max":%d,"mean":%.1f,"stdev":%.1f}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.timeout, e.status,
    total, table.concat(st, ","), jsonString(firstSample),
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean, latency.stdev))
end

-- wrk script for the Liora webhook ingest benchmark.
--
--   wrk -t2 -c32 -d15s --latency -s post.lua http://127.0.0.1:PORT -- PREFIX [PATH]
--
-- PREFIX is what gen.py was given as --out, with gen.py's --shards equal to wrk's -t: thread k
-- reads PREFIX.k ("sha256=<hex>\t<body>" per line) and sends each line exactly once, so every
-- message id in a run is unique. PATH defaults to /webhook/meta.
--
-- Each thread streams its shard through a buffered file handle instead of loading it in
-- init(): wrk runs every thread's init() one after the other on its main thread while the
-- threads already started are sending, so a slow init() would let thread 0 send unmeasured
-- requests before the clock starts (and inflate req/s). Reading a line per request costs a
-- couple of microseconds.
--
-- If a thread runs out of lines it starts the file over and counts `reused`; a run with
-- reused > 0 sent duplicate message ids (which the server deduplicates, so stored rows fall
-- behind the 200s): generate more requests.
--
-- done() prints one machine-readable line:
--   BENCH_RESULT requests=N duration_s=S status_200=N non200=N non2xx=N socket_errors=N
--                timeouts=N reused=N rps=R accepted_rps=R p50_ms=X p90_ms=X p99_ms=X max_ms=X
-- requests counts completed responses, status_200 those with status 200 (non200 the rest,
-- non2xx wrk's own count of status >= 400), accepted_rps = status_200 / duration.

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

-- Per-thread state (each wrk thread has its own Lua state; `id` is set by setup()).
local file_name, fh, head
non200 = 0
reused = 0

local function open_shard()
  local f, err = io.open(file_name, "rb")
  if f == nil then
    error("post.lua: cannot open " .. file_name .. ": " .. tostring(err))
  end
  f:setvbuf("full", 1048576)
  return f
end

function init(args)
  local prefix = args[1]
  local path = args[2] or "/webhook/meta"
  if prefix == nil then
    error("post.lua: pass the request file prefix after --, e.g. -- /tmp/x/req")
  end
  file_name = prefix .. "." .. tostring(id)
  fh = open_shard()
  head = "POST " .. path .. " HTTP/1.1\r\n"
    .. "Host: " .. wrk.headers["Host"] .. "\r\n"
    .. "Content-Type: application/json\r\n"
    .. "User-Agent: facebookexternalua\r\n"
    .. "Content-Length: "
end

function request()
  local line = fh:read("*l")
  if line == nil or line == "" then
    fh:close()
    fh = open_shard()
    line = fh:read("*l")
    reused = reused + 1
  elseif reused > 0 then
    reused = reused + 1
  end
  local tab = string.find(line, "\t", 1, true)
  local body = string.sub(line, tab + 1)
  return head .. #body .. "\r\nX-Hub-Signature-256: " .. string.sub(line, 1, tab - 1)
    .. "\r\n\r\n" .. body
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
  end
end

function done(summary, latency, requests)
  local total_non200, total_reused = 0, 0
  for _, t in ipairs(threads) do
    total_non200 = total_non200 + (t:get("non200") or 0)
    total_reused = total_reused + (t:get("reused") or 0)
  end
  local secs = summary.duration / 1e6
  local errs = summary.errors
  local ok = summary.requests - total_non200
  io.write(string.format(
    "BENCH_RESULT requests=%d duration_s=%.3f status_200=%d non200=%d non2xx=%d socket_errors=%d "
      .. "timeouts=%d reused=%d rps=%.1f accepted_rps=%.1f p50_ms=%.3f p90_ms=%.3f "
      .. "p99_ms=%.3f max_ms=%.3f\n",
    summary.requests, secs, ok, total_non200, errs.status,
    errs.connect + errs.read + errs.write, errs.timeout, total_reused,
    summary.requests / secs, ok / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end

-- Shared by bench/ps_submit.lua and bench/ps_submit_one.lua (loaded with dofile after
-- report.lua): the thread bookkeeping, the per-run setup and the end-of-run totals.

local report_setup, report_done = setup, done
local all_threads = {}

function setup(thread)
  report_setup(thread)
  table.insert(all_threads, thread)
  thread:set("thread_index", #all_threads)
end

boundary = "civicportbench7MA4YWxkTrZu0gW"
failure_sample = ""

-- init(args) of both scripts: the config file written by publicservices.py, the PDF to
-- upload, a nonce that keeps Idempotency-Keys new in every wrk run (the warm-up and the
-- measured run share the arguments), and where this thread starts in the citizen list.
function submit_init(args)
  config = dofile(args[1])
  local random = assert(io.open("/dev/urandom", "rb"))
  nonce = string.gsub(random:read(6), ".", function(c) return string.format("%02x", string.byte(c)) end)
  random:close()
  local handle = assert(io.open(config.pdf, "rb"))
  pdf = handle:read("*a")
  handle:close()
  next_citizen = ((thread_index or 1) * 17) % #config.citizens
end

function submit_key(sequence)
  return string.format("%s-%s-%d", config.run, nonce, sequence)
end

function note_failure(kind, status, body)
  if failure_sample == "" then
    failure_sample = string.format("%s HTTP %d: %s", kind, status, string.sub(body or "", 1, 300))
  end
end

-- done(): report.lua's line, then the counters `names` summed over the threads, handed to
-- `write(totals, sample, seconds)` which prints the BENCH_EXTRA line.
function submit_done(names, write)
  return function(summary, latency, requests)
    report_done(summary, latency, requests)
    local totals, sample = {}, ""
    for _, name in ipairs(names) do totals[name] = 0 end
    for _, thread in ipairs(all_threads) do
      for _, name in ipairs(names) do
        totals[name] = totals[name] + thread:get(name)
      end
      if sample == "" then
        sample = thread:get("failure_sample") or ""
      end
    end
    write(totals, string.gsub(sample, '[%c"\\]', " "), summary.duration / 1e6)
  end
end

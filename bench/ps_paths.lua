-- wrk script for bench/publicservices.py: GET a different path on each request, rotating
-- through the paths of a file (one per line, e.g. tracking lookups of real dossiers), each
-- wrk thread starting at another place in the list. Headers given with --header (a Cookie,
-- an Authorization) are sent with every request. Reports like report.lua (BENCH_JSON line).
--
--   wrk -s bench/ps_paths.lua http://127.0.0.1:8000 -- /path/to/paths.txt

dofile(os.getenv("BENCH_REPORT_LUA"))

local report_setup = setup
local thread_count = 0

function setup(thread)
  report_setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
end

local paths = {}
local position = 0

function init(args)
  for line in io.lines(args[1]) do
    if line ~= "" then
      table.insert(paths, line)
    end
  end
  if #paths == 0 then
    error("no paths in " .. tostring(args[1]))
  end
  -- Spread the threads over the list (thread_index is set by setup before init runs).
  position = ((thread_index or 0) * 7919) % #paths
end

function request()
  position = position % #paths + 1
  -- nil method/headers/body: wrk's own (GET and the --header lines).
  return wrk.format(nil, paths[position])
end

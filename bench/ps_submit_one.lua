-- wrk script for bench/publicservices.py: citizens submitting dossiers in ONE request each.
--
--   POST /api/v1/dossiers/submissions   multipart: procedure_code, agency_id, form_data (JSON)
--                                       and the required document as document_<id> (a small
--                                       PDF), with a unique Idempotency-Key -> 201, status "new"
--
-- init(args): args[1] is the Lua config file of ps_submit.lua (each citizen also has `agency`
-- and `form`, the JSON of its form data). At the end it prints, besides report.lua's
-- BENCH_JSON line, one line
--   BENCH_EXTRA {"submitted":…, "submits_sent":…, "submitted_per_s":…, "failed":{…}, …}
-- where "submitted" counts the answers with HTTP 201 (the dossier got its code).

dofile(os.getenv("BENCH_REPORT_LUA"))

local report_setup, report_response, report_done = setup, response, done
local all_threads = {}

function setup(thread)
  report_setup(thread)
  table.insert(all_threads, thread)
  thread:set("thread_index", #all_threads)
end

local config
local pdf
local next_citizen, sequence = 0, 0
local boundary = "civicportbench7MA4YWxkTrZu0gW"
local nonce = ""

submitted, submits_sent, failed_other = 0, 0, 0
failure_sample = ""

function init(args)
  config = dofile(args[1])
  local random = assert(io.open("/dev/urandom", "rb"))
  nonce = string.gsub(random:read(6), ".", function(c) return string.format("%02x", string.byte(c)) end)
  random:close()
  local handle = assert(io.open(config.pdf, "rb"))
  pdf = handle:read("*a")
  handle:close()
  next_citizen = ((thread_index or 1) * 17) % #config.citizens
end

local function field(name, value)
  return table.concat({
    "--", boundary, "\r\n",
    'Content-Disposition: form-data; name="', name, '"\r\n\r\n', value, "\r\n",
  })
end

function request()
  next_citizen = next_citizen % #config.citizens + 1
  local citizen = config.citizens[next_citizen]
  sequence = sequence + 1
  submits_sent = submits_sent + 1
  local body = table.concat({
    field("procedure_code", config.procedure),
    field("agency_id", tostring(citizen.agency)),
    field("form_data", citizen.form),
    "--", boundary, "\r\n",
    'Content-Disposition: form-data; name="document_', tostring(config.document),
    '"; filename="to-khai.pdf"\r\n',
    "Content-Type: application/pdf\r\n\r\n", pdf, "\r\n",
    "--", boundary, "--\r\n",
  })
  return wrk.format("POST", "/api/v1/dossiers/submissions", {
    ["Authorization"] = "Bearer " .. citizen.token,
    ["Accept"] = "application/json",
    ["Content-Type"] = "multipart/form-data; boundary=" .. boundary,
    ["Idempotency-Key"] = string.format("%s-%s-%d", config.run, nonce, sequence),
  }, body)
end

function response(status, headers, body)
  report_response(status, headers, body)
  if status == 201 and string.find(body or "", '"status":%s*"new"') then
    submitted = submitted + 1
  else
    failed_other = failed_other + 1
    if failure_sample == "" then
      failure_sample = string.format("HTTP %d: %s", status, string.sub(body or "", 1, 300))
    end
  end
end

function done(summary, latency, requests)
  report_done(summary, latency, requests)
  local totals = {submitted = 0, submits_sent = 0, failed_other = 0}
  local sample = ""
  for _, thread in ipairs(all_threads) do
    for name, _ in pairs(totals) do
      totals[name] = totals[name] + thread:get(name)
    end
    if sample == "" then
      sample = thread:get("failure_sample") or ""
    end
  end
  sample = string.gsub(sample, '[%c"\\]', " ")
  io.write(string.format(
    'BENCH_EXTRA {"submitted":%d,"submits_sent":%d,"submitted_per_s":%.2f,' ..
    '"failed":{"other":%d},"failure_sample":"%s"}\n',
    totals.submitted, totals.submits_sent, totals.submitted / (summary.duration / 1e6),
    totals.failed_other, sample))
end

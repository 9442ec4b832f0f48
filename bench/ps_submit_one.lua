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
dofile(string.gsub(os.getenv("BENCH_REPORT_LUA"), "report%.lua$", "ps_submit_common.lua"))

local report_response = response
local sequence = 0

submitted, submits_sent, failed_other = 0, 0, 0

init = submit_init

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
    ["Idempotency-Key"] = submit_key(sequence),
  }, body)
end

function response(status, headers, body)
  report_response(status, headers, body)
  if status == 201 and string.find(body or "", '"status":%s*"new"') then
    submitted = submitted + 1
  else
    failed_other = failed_other + 1
    note_failure("submission", status, body)
  end
end

done = submit_done({"submitted", "submits_sent", "failed_other"},
  function(totals, sample, seconds)
    io.write(string.format(
      'BENCH_EXTRA {"submitted":%d,"submits_sent":%d,"submitted_per_s":%.2f,' ..
      '"failed":{"other":%d},"failure_sample":"%s"}\n',
      totals.submitted, totals.submits_sent, totals.submitted / seconds, totals.failed_other,
      sample))
  end)

-- wrk script for bench/publicservices.py: citizens submitting dossiers through the JSON API.
--
-- One submission is three requests, each with the citizen's bearer token:
--   1. POST /api/v1/dossiers/               create the draft      -> 201, {"id": …, "status": "draft"}
--   2. POST /api/v1/dossiers/{id}/files     the required document (a small PDF, multipart) -> 201
--   3. POST /api/v1/dossiers/{id}/submit    with a unique Idempotency-Key -> 201, status "new"
-- wrk does not say which connection a response arrived on, so each thread keeps queues of
-- the next step to take: a created draft queues its upload, an upload (its file is named
-- after the dossier id, which the answer echoes) queues the submit. Every request is
-- stateless (token auth), so any connection of the thread may send the next step. A new
-- draft is started only when no upload or submit is waiting.
--
-- init(args): args[1] is a Lua file written by publicservices.py returning
--   {run = "id", pdf = "path", document = required document id,
--    citizens = {{token = "...", create = "<JSON body of the draft>"}, ...},
--    by_phone = {["09…"] = <the same citizen tables>}}  (a draft's answer names its phone)
-- At the end it prints, besides report.lua's BENCH_JSON line, one line
--   BENCH_EXTRA {"created":…, "uploaded":…, "submitted":…, "failed":{…}, "failure_sample":"…"}
-- where "submitted" counts the submit answers with HTTP 201 (the dossier got its code) and
-- "submits_sent" the submit requests sent: those still in flight when wrk stops may complete
-- in the server without wrk counting them.

dofile(os.getenv("BENCH_REPORT_LUA"))
dofile(string.gsub(os.getenv("BENCH_REPORT_LUA"), "report%.lua$", "ps_submit_common.lua"))

local report_response = response
local uploads, submits = {}, {}   -- queues of dossier ids
local owner = {}                  -- dossier id -> citizen
local sequence = 0

-- Read back by done() through thread:get (numbers and strings only).
created, uploaded, submitted, submits_sent = 0, 0, 0, 0
-- failed_other: any other answer (an error, a submit not answered 201); wrk cannot tell
-- which request an error answered.
failed_create, failed_upload, failed_other = 0, 0, 0

init = submit_init

local function auth(citizen, extra)
  local headers = {
    ["Authorization"] = "Bearer " .. citizen.token,
    ["Accept"] = "application/json",
  }
  for name, value in pairs(extra or {}) do
    headers[name] = value
  end
  return headers
end

function request()
  if #submits > 0 then
    local id = table.remove(submits, 1)
    local citizen = owner[id]
    owner[id] = nil
    sequence = sequence + 1
    submits_sent = submits_sent + 1
    return wrk.format("POST", "/api/v1/dossiers/" .. id .. "/submit",
                      auth(citizen, {["Idempotency-Key"] = submit_key(sequence)}), "")
  end
  if #uploads > 0 then
    local id = table.remove(uploads, 1)
    local body = table.concat({
      "--", boundary, "\r\n",
      'Content-Disposition: form-data; name="kind"\r\n\r\ndocument\r\n',
      "--", boundary, "\r\n",
      'Content-Disposition: form-data; name="required_document_id"\r\n\r\n',
      tostring(config.document), "\r\n",
      "--", boundary, "\r\n",
      'Content-Disposition: form-data; name="file"; filename="to-khai-', id, '.pdf"\r\n',
      "Content-Type: application/pdf\r\n\r\n", pdf, "\r\n",
      "--", boundary, "--\r\n",
    })
    return wrk.format("POST", "/api/v1/dossiers/" .. id .. "/files",
                      auth(owner[id], {["Content-Type"] = "multipart/form-data; boundary=" .. boundary}),
                      body)
  end
  next_citizen = next_citizen % #config.citizens + 1
  local citizen = config.citizens[next_citizen]
  return wrk.format("POST", "/api/v1/dossiers/",
                    auth(citizen, {["Content-Type"] = "application/json"}), citizen.create)
end

function response(status, headers, body)
  report_response(status, headers, body)
  body = body or ""
  if string.find(body, '"status":%s*"draft"') then
    -- A created draft. Its citizen: the draft's applicant phone is in the answer.
    local id = string.match(body, '^%s*{%s*"id":%s*(%d+)')
    local phone = string.match(body, '"phone":%s*"(%d+)"')
    local citizen = phone and config.by_phone[phone]
    if status == 201 and id and citizen then
      created = created + 1
      owner[id] = citizen
      table.insert(uploads, id)
    else
      failed_create = failed_create + 1
      note_failure("create", status, body)
    end
  elseif string.find(body, '"sha256"') and not string.find(body, '"status"') then
    local id = string.match(body, '"name":%s*"to%-khai%-(%d+)%.pdf"')
    if status == 201 and id then
      uploaded = uploaded + 1
      table.insert(submits, id)
    else
      failed_upload = failed_upload + 1
      note_failure("upload", status, body)
    end
  elseif status == 201 and string.find(body, '"status":%s*"new"') then
    submitted = submitted + 1
  else
    failed_other = failed_other + 1
    note_failure("answer", status, body)
  end
end

done = submit_done(
  {"created", "uploaded", "submitted", "submits_sent", "failed_create", "failed_upload",
   "failed_other"},
  function(totals, sample, seconds)
    io.write(string.format(
      'BENCH_EXTRA {"created":%d,"uploaded":%d,"submitted":%d,"submits_sent":%d,' ..
      '"submitted_per_s":%.2f,' ..
      '"failed":{"create":%d,"upload":%d,"other":%d},"failure_sample":"%s"}\n',
      totals.created, totals.uploaded, totals.submitted, totals.submits_sent,
      totals.submitted / seconds, totals.failed_create, totals.failed_upload,
      totals.failed_other, sample))
  end)

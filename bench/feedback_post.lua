-- wrk script for bench/feedback.py: new reports through Open311 POST requests.json (form
-- encoded, with the demo API key), each with its own description and pin in Hải Phòng.
-- init(args): args[1] is the API key. Non-2xx answers are counted by report.lua.

dofile(os.getenv("BENCH_REPORT_LUA"))

local key = ""
local counter = 0
local texts = {
  "Den duong truoc nha so %d pho Lach Tray bi hong",
  "O ga lon giua duong Nguyen Van Linh doan so %d",
  "Rac thai don u o dau ngo %d Cat Dai nhieu ngay",
  "Ngap sau sau mua o ngo %d Le Loi, cong tac",
  "Karaoke hat to den nua dem o so %d Van Cao",
}
local codes = {"chieu-sang", "duong-hu-hong", "rac-thai", "ngap-ung", "tieng-on"}

function init(args)
  key = args[1] or ""
  math.randomseed(os.time())
end

function request()
  counter = counter + 1
  local i = math.random(1, #texts)
  local lat = 20.80 + math.random() * 0.08
  local lon = 106.62 + math.random() * 0.10
  local body = string.format(
    "api_key=%s&service_code=%s&lat=%.6f&long=%.6f&description=%s",
    key, codes[i], lat, lon, string.gsub(string.format(texts[i], counter), " ", "+"))
  return wrk.format("POST", nil,
    {["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"}, body)
end

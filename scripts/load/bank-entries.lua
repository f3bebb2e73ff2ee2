-- wrk script: one random PDQ hash a request, added to bank BULWARK_BANK (POST /v1/banks/NAME/entries,
-- each an audited bank change): the audit chain's append rate under several API processes.
local key = os.getenv("BULWARK_KEY")
local bank = os.getenv("BULWARK_BANK") or "load"
local hex = "0123456789abcdef"

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end

function request()
  local digits = {}
  for i = 1, 64 do
    local d = math.random(1, 16)
    digits[i] = hex:sub(d, d)
  end
  local body = '{"type":"pdq","values":["' .. table.concat(digits) .. '"]}'
  return wrk.format("POST", "/v1/banks/" .. bank .. "/entries",
    {["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json"}, body)
end

dofile("scripts/load/report.lua")

-- wrk script: single-item POST /v1/items with a fresh id each, an author and a container, texts from a corpus file of JSON
-- string literals (one per line; scripts/bench-api.sh writes it from `bulwark bench --write-corpus`).
local key = os.getenv("BULWARK_KEY")
-- BULWARK_LOAD_PLAIN=1: text only, no author or container.
local plain = os.getenv("BULWARK_LOAD_PLAIN") == "1"
local corpus = os.getenv("BULWARK_CORPUS")
local texts = {}
local counter = 0
local tid = 0
local next_tid = 0

function setup(thread)
  next_tid = next_tid + 1
  thread:set("tid", next_tid)
end

function init(args)
  for line in io.lines(corpus) do texts[#texts + 1] = line end
end

function request()
  counter = counter + 1
  local text = texts[(counter + tid * 7919) % #texts + 1]
  -- Each item has an author (one of 20,000) and a container (one of 5,000, with followers), as
  -- on a platform: the entity signals are updated in the same transaction.
  local n = counter * 7 + tid * 104729
  local author = n % 20000
  local container = (n * 31) % 5000
  local body = '{"platform":"load","id":"t' .. tid .. '-' .. counter .. '","text":' .. text
  if plain then
    body = body .. '}'
  else
    body = body .. ',"author":"u' .. author .. '","container":{"id":"c' .. container .. '","followers":' ..
      (container * 13 % 90000) .. '}}'
  end
  return wrk.format("POST", "/v1/items", {["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json"}, body)
end

-- The summary every load script prints (scripts/load/report.lua; wrk runs from the repository root).
dofile("scripts/load/report.lua")

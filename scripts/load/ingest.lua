-- wrk script: POST /v1/items, one item a request (or BULWARK_LOAD_BATCH of them), each with a fresh id, an author and a container, texts from a corpus file of JSON
-- string literals (one per line; scripts/bench-api.sh writes it from `bulwark bench --write-corpus`).
local key = os.getenv("BULWARK_KEY")
-- BULWARK_LOAD_PLAIN=1: text only, no author or container.
local plain = os.getenv("BULWARK_LOAD_PLAIN") == "1"
local corpus = os.getenv("BULWARK_CORPUS")
-- BULWARK_LOAD_BATCH=N: N items per request ({"items": [...]}, at most the server's 1,000); 1 by default.
local batch = tonumber(os.getenv("BULWARK_LOAD_BATCH") or "1")
local texts = {}
local counter = 0
-- This thread's number, from setup(). It must be read from the global that thread:set writes into
-- the thread's own Lua state: a `local tid` here would shadow it, and every thread would send the
-- same ids (until 2026-12-03 the two threads of scripts/bench-api.sh did, so half the requests were
-- replays of items already stored; the script now counts the items stored).
local thread_number = 0
local next_tid = 0

function setup(thread)
  next_tid = next_tid + 1
  thread:set("tid", next_tid)
end

function init(args)
  thread_number = tid or 0
  for line in io.lines(corpus) do texts[#texts + 1] = line end
end

-- One item: a fresh id, its text and (unless plain) its author and container, as JSON.
local function item()
  counter = counter + 1
  -- Thread 1 starts at the corpus's first text and thread 2 half way (bench-api.sh runs two), so
  -- that they send the same text only after each has sent half the corpus; until 2026-12-07 they
  -- started 7,919 apart, so nearly every text went twice, 7,919 posts apart, which the encoder's
  -- kept embeddings (--model full) would answer.
  local text = texts[(counter - 1 + (thread_number - 1) * math.floor(#texts / 2)) % #texts + 1]
  -- Each item has an author (one of 20,000) and a container (one of 5,000, with followers), as
  -- on a platform: the entity signals are updated in the same transaction.
  local n = counter * 7 + thread_number * 104729
  local author = n % 20000
  local container = (n * 31) % 5000
  local body = '{"platform":"load","id":"t' .. thread_number .. '-' .. counter .. '","text":' .. text
  if plain then
    return body .. '}'
  end
  return body .. ',"author":"u' .. author .. '","container":{"id":"c' .. container .. '","followers":' ..
    (container * 13 % 90000) .. '}}'
end

function request()
  local body
  if batch == 1 then
    body = item()
  else
    local items = {}
    for i = 1, batch do items[i] = item() end
    body = '{"items":[' .. table.concat(items, ",") .. ']}'
  end
  return wrk.format("POST", "/v1/items", {["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json"}, body)
end

-- The summary every load script prints (scripts/load/report.lua; wrk runs from the repository root).
dofile("scripts/load/report.lua")

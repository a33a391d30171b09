-- Create a secret, then revoke it, in turn: one connection per thread, so each thread's pairs are sequential.
-- Each thread has a key of its own (BENCH_PAIR_KEYS, comma-separated, fresh for every run: a run that ends between a
-- create and its revoke leaves a second secret behind, and a stateful mock would refuse the next run's creates).
local counter = 0

function setup(thread)
  counter = counter + 1
  local keys = {}
  for key in string.gmatch(os.getenv("BENCH_PAIR_KEYS") or "", "[^,]+") do
    table.insert(keys, key)
  end
  thread:set("key", keys[counter] or ("benchpair" .. counter))
end

function init(args)
  pending = nil
  auth = "Basic " .. (os.getenv("BENCH_PAIR_AUTH_" .. key) or "")
end

function request()
  local headers = { ["Authorization"] = auth, ["Content-Type"] = "application/json" }
  if pending then
    return wrk.format("DELETE", "/accounts/" .. key .. "/secrets/" .. pending, headers)
  end
  return wrk.format("POST", "/accounts/" .. key .. "/secrets", headers, '{"secret": "Pair1secretX"}')
end

function response(status, headers, body)
  if status == 201 then
    pending = string.match(body, '"id": ?"([^"]+)"')
  else
    pending = nil
  end
end

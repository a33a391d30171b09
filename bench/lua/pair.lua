-- Create a secret, then revoke it, in turn: one connection per thread, so each thread's pairs are sequential.
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("key", "benchpair" .. counter)
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
  if status >= 400 then
    errors = (errors or 0) + 1
  end
end

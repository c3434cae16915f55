-- The load test's traffic: every request picks one of the URLs listed in the file given
-- after `--` (one per line, "fragment <path>" for an htmx request or "page <path>"), from a
-- random sequence fixed per wrk thread so runs are comparable.
local requests = {}
local thread_count = 0

setup = function(thread)
  thread_count = thread_count + 1
  thread:set("seed", 1000 + thread_count)
end

init = function(args)
  math.randomseed(seed)
  for line in io.lines(args[1]) do
    local kind, path = line:match("^(%S+)%s+(%S+)$")
    local headers = {["X-Forwarded-Proto"] = "https"}
    if kind == "fragment" then
      headers["HX-Request"] = "true"
    end
    requests[#requests + 1] = wrk.format("GET", path, headers)
  end
end

request = function()
  return requests[math.random(#requests)]
end

dofile("bench/report.lua")

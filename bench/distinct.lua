-- Every request is a different child, as practitioners ask: a date of birth (a different
-- day each time, within the pathway's five years), a service or none, and a number no
-- earlier request had, so no cache of URLs can answer and every page is built. With "many"
-- after `--`, each request also picks one of the 48 generated pathways; with "mixed" after
-- that, four requests in five are htmx fragments and the fifth a whole page, as a session of
-- filter clicks after a first visit would be. Threads number their requests apart.
local thread_count = 0
local counter = 0
local services = {"", "&service=health-visiting", "&service=childrens-centres-eyfs",
  "&service=primary-care-gp"}
local many = false
local mixed = false

setup = function(thread)
  thread_count = thread_count + 1
  thread:set("thread_id", thread_count)
end

init = function(args)
  many = args[1] == "many"
  mixed = args[2] == "mixed"
  math.randomseed(100 + thread_id)
end

request = function()
  counter = counter + 1
  local day = os.date("!%Y-%m-%d", os.time() - ((counter * 7 + thread_id) % 1800) * 86400)
  local path = wrk.path
  if many then
    path = string.format("/pathways/bench-pathway-%02d/", math.random(48))
  end
  local query = "?dob=" .. day .. services[counter % 4 + 1]
  local headers = nil
  if mixed and counter % 5 ~= 0 then
    headers = {["HX-Request"] = "true", ["X-Forwarded-Proto"] = "https"}
  end
  return wrk.format(nil, path .. query .. "&n=" .. thread_id .. "-" .. counter, headers)
end

dofile("bench/report.lua")

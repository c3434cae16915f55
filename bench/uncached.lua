-- Every request adds a parameter the page ignores but no earlier request had, so no cache
-- can answer it: this measures building the response. Threads number their requests apart.
local thread_count = 0
local counter = 0

setup = function(thread)
  thread_count = thread_count + 1
  thread:set("thread_id", thread_count)
end

request = function()
  counter = counter + 1
  return wrk.format(nil, wrk.path .. "&uncached=" .. thread_id .. "-" .. counter)
end

dofile("bench/report.lua")

-- load.lua: a wrk script for integration tests: a weighted mix of requests, and a tally of
-- every status code seen.
--
--	LOAD_MIX=$T/mix LOAD_COOKIE='parley_session=...' LOAD_CSRF=... \
--	    wrk -t2 -c64 -d20s -s "$top_srcdir/t/lib/load.lua" "$BASE_URL"
--
-- LOAD_MIX names a file with one request a line: WEIGHT METHOD PATH [BODY]. BODY is JSON sent
-- as application/json; "{n}" in PATH or BODY becomes a number unique to the request (so
-- created rows have distinct titles). Blank lines and "#" lines are skipped.
-- METHOD "POST+DELETE" posts, then deletes what was made (the 201's Location) with the
-- thread's next request: writes that leave the data the same size, so a long run measures
-- the server, not a growing list.
-- Authentication: LOAD_TOKEN (an API token, sent as a bearer token) or LOAD_COOKIE (a Cookie
-- header value) with LOAD_CSRF (sent as X-CSRF-Token on every request).
-- At the end it prints, after wrk's own report, one line per status code:
--	status 200 12345
-- and "status-other N" for answers wrk could not tally (none expected).

local threads = {}
local next_id = 1

function setup(thread)
	thread:set("id", next_id)
	next_id = next_id + 1
	table.insert(threads, thread)
end

local function read_mix(path)
	local mix, total = {}, 0
	local f = assert(io.open(path, "r"), "LOAD_MIX: cannot open " .. tostring(path))
	for line in f:lines() do
		if not line:match("^%s*$") and not line:match("^%s*#") then
			local w, method, target, body = line:match("^%s*(%d+)%s+(%S+)%s+(%S+)%s*(.*)$")
			assert(w, "LOAD_MIX: cannot read line: " .. line)
			total = total + tonumber(w)
			table.insert(mix, { upto = total, method = method, path = target,
			    body = (body ~= "" and body or nil) })
		end
	end
	f:close()
	assert(total > 0, "LOAD_MIX: no requests")
	return mix, total
end

function init(args)
	counts = {}
	seq = 0
	pending = {}		-- Locations to delete, oldest first
	mix, total = read_mix(os.getenv("LOAD_MIX"))
	cleanup = {}		-- path prefixes whose creations are deleted again
	for _, m in ipairs(mix) do
		if m.method == "POST+DELETE" then
			m.method = "POST"
			table.insert(cleanup, m.path .. "/")
		end
	end
	headers = {}
	local token = os.getenv("LOAD_TOKEN")
	if token and token ~= "" then
		headers["Authorization"] = "Bearer " .. token
	else
		headers["Cookie"] = os.getenv("LOAD_COOKIE") or ""
		headers["X-CSRF-Token"] = os.getenv("LOAD_CSRF") or ""
	end
	math.randomseed(os.time() + id * 7919)
end

function request()
	seq = seq + 1
	if #pending > 0 then
		local h = {}
		for k, v in pairs(headers) do
			h[k] = v
		end
		return wrk.format("DELETE", table.remove(pending, 1), h, nil)
	end
	local r = math.random(total)
	local pick = mix[#mix]
	for _, m in ipairs(mix) do
		if r <= m.upto then
			pick = m
			break
		end
	end
	local n = id .. "-" .. seq
	local h = {}
	for k, v in pairs(headers) do
		h[k] = v
	end
	local body = nil
	if pick.body then
		body = pick.body:gsub("{n}", n)
		h["Content-Type"] = "application/json"
	end
	return wrk.format(pick.method, (pick.path:gsub("{n}", n)), h, body)
end

function response(status, hdrs, body)
	counts[status] = (counts[status] or 0) + 1
	local loc = status == 201 and (hdrs["Location"] or hdrs["location"])
	if loc then
		for _, prefix in ipairs(cleanup) do
			if loc:sub(1, #prefix) == prefix then
				table.insert(pending, loc)
				break
			end
		end
	end
end

function done(summary, latency, requests)
	local all, seen = {}, 0
	for _, t in ipairs(threads) do
		local c = t:get("counts") or {}
		for code, n in pairs(c) do
			all[code] = (all[code] or 0) + n
			seen = seen + n
		end
	end
	local codes = {}
	for code in pairs(all) do
		table.insert(codes, code)
	end
	table.sort(codes)
	for _, code in ipairs(codes) do
		io.write(string.format("status %d %d\n", code, all[code]))
	end
	io.write(string.format("status-other %d\n", summary.requests - seen))
	io.write(string.format("requests %d\n", summary.requests))
	local e = summary.errors
	io.write(string.format("socket-errors %d\n", e.connect + e.read + e.write + e.timeout))
end

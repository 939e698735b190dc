-- mod_vigil: checks every chat message a local user sends (one-to-one and group chat)
-- with the Vigil sidecar before it is delivered, and applies the verdict's action.
-- Prosody 0.12. Installation and options: plugin/prosody/README.md.
--
-- How it waits without blocking Prosody: the pre-message hooks run inside the sending
-- session's async runner (util.async), so the hook suspends on a waiter while net.http
-- talks to the sidecar; the event loop serves everyone else meanwhile, and only that
-- session's next stanzas queue behind it, which keeps its messages in order.
--
-- What a sender learns: a held message comes back as an error saying only that it
-- could not be delivered. Rule ids, levels and risks are never sent to any user.

local async = require "util.async";
local http = require "net.http";
local json = require "util.json";
local jid = require "util.jid";
local st = require "util.stanza";
local new_id = require "util.id".medium;
local timer = require "util.timer";
local cache = require "util.cache";
local sha256 = require "util.hashes".sha256;
local now = require "util.time".now;

local url = module:get_option_string("vigil_url", "http://127.0.0.1:8080"):gsub("/+$", "") .. "/v1/messages";
local token = module:get_option_string("vigil_token", nil);
local timeout = module:get_option_number("vigil_timeout", 3);
local fail_closed = module:get_option_boolean("vigil_fail_closed", false);
local escalate_mode = module:get_option_string("vigil_escalate", "hold");
local check_chat = module:get_option_boolean("vigil_check_chat", true);
local check_rooms = module:get_option_boolean("vigil_check_rooms", true);
local rooms = module:get_option_set("vigil_rooms", {});
local age_bands = module:get_option("vigil_age_bands", {});
local default_age_band = module:get_option_string("vigil_default_age_band", nil);
local moderators = module:get_option_set("vigil_moderators", {});
local notice_language = module:get_option_string("vigil_notice_language", "en");
local notice_interval = module:get_option_number("vigil_notice_interval", 600);

local nudge_notice = module:get_option("vigil_nudge_notice", {
	en = "Safety notice: someone in this chat may be trying to win your trust for the wrong reasons. "
		.. "You do not have to keep secrets or move to another app. Talk to an adult you trust, "
		.. "or get help at https://www.childhelplineinternational.org";
	zh = "安全提示：这个聊天中可能有人出于不良目的想取得你的信任。你不必保守秘密，也不必换到别的应用聊天。"
		.. "请告诉你信任的大人，或通过 https://www.childhelplineinternational.org 寻求帮助。";
});
local hold_notice = module:get_option("vigil_hold_notice", {
	en = "This message could not be delivered.";
	zh = "此消息无法送达。";
});

if escalate_mode ~= "hold" and escalate_mode ~= "deliver" then
	module:log("error", "vigil_escalate must be \"hold\" or \"deliver\", not %q; using \"hold\"", escalate_mode);
	escalate_mode = "hold";
end
if not token then
	module:log("warn", "vigil_token is not set: the sidecar must run without tokens (loopback only)");
end

-- Counted (Prosody's statistics, when enabled) and logged; the counts also go in the log
-- lines so they are visible without a metrics backend.
local count_failure = module:measure("sidecar_failures", "rate");
local count_checked = module:measure("checked", "rate");
local count_held = module:measure("held", "rate");
local failures = 0;

-- Conversations marked by an escalate verdict, and when each (conversation, user) pair
-- last got a notice. Bounded: the oldest entries go first.
local escalated = cache.new(10000);
local noticed = cache.new(10000);

local function is_muc_host(host)
	local h = prosody.hosts[host];
	return h ~= nil and h.modules.muc ~= nil;
end

local function room_covered(room_jid)
	if not check_rooms then return false; end
	if rooms:empty() then return true; end
	return rooms:contains(room_jid) or rooms:contains(jid.host(room_jid));
end

-- The sidecar caps ids at 256 bytes; JIDs can be longer, so long ids are hashed.
local function short_id(prefix, s)
	local id = prefix .. s;
	if #id <= 256 then return id; end
	return prefix .. "sha256:" .. sha256(s, true);
end

-- One-to-one: the two JIDs sorted, so both directions share one conversation.
local function dm_conversation(a, b)
	if b < a then a, b = b, a; end
	return short_id("xmpp:dm:", a .. " " .. b);
end

local function age_band(user_jid)
	local band = age_bands[user_jid] or default_age_band;
	if band == "adult" or band == "minor" or band == "unknown" then return band; end
	return nil;
end

-- A message carrying `texts` ({lang = text}) from this host, in the configured language
-- first and every other language as an extra <body xml:lang=...>.
local function notice_stanza(to, texts)
	local msg = st.message({ from = module.host, to = to, type = "chat", id = new_id(),
		["xml:lang"] = notice_language });
	msg:text_tag("body", texts[notice_language] or texts.en or "");
	for lang, text in pairs(texts) do
		if lang ~= notice_language then msg:text_tag("body", text, { ["xml:lang"] = lang }); end
	end
	return msg;
end

local function send_notice(conversation_id, to)
	local key = conversation_id .. " " .. to;
	local last = noticed:get(key);
	if last and now() - last < notice_interval then return; end
	noticed:set(key, now());
	module:send(notice_stanza(to, nudge_notice));
end

-- Who gets the safety notice: everyone in the conversation but the suspect (the sender
-- when the verdict names none).
local function notice_targets(ctx, suspect)
	suspect = suspect or ctx.sender;
	local targets = {};
	if ctx.channel == "dm" then
		for _, who in ipairs({ ctx.sender, ctx.peer }) do
			if who ~= suspect and not is_muc_host(jid.host(who)) then table.insert(targets, who); end
		end
		return targets;
	end
	local muc = prosody.hosts[jid.host(ctx.peer)];
	local room = muc and muc.modules.muc and muc.modules.muc.get_room_from_jid(ctx.peer);
	if room then
		local seen = {};
		for _, occupant in room:each_occupant() do
			local who = occupant.bare_jid;
			if who and who ~= suspect and not seen[who] then
				seen[who] = true;
				table.insert(targets, who);
			end
		end
	end
	return targets;
end

local function hold(event)
	count_held();
	event.origin.send(st.error_reply(event.stanza, "cancel", "undefined-condition",
		hold_notice[notice_language] or hold_notice.en));
	return true;
end

local function mark_escalated(ctx, verdict)
	escalated:set(ctx.conversation_id, now());
	module:log("warn", "vigil: conversation %s escalated (case %s)", ctx.conversation_id,
		tostring(verdict.case_id or "none"));
	module:fire_event("vigil-escalated", { conversation_id = ctx.conversation_id, suspect = verdict.suspect_id,
		case_id = verdict.case_id, sender = ctx.sender, peer = ctx.peer });
	for moderator in moderators do
		module:send(st.message({ from = module.host, to = moderator, type = "chat", id = new_id() })
			:text_tag("body", "Vigil escalated conversation " .. ctx.conversation_id
				.. (verdict.case_id and (" (case " .. verdict.case_id .. ")") or "")));
	end
end

-- POSTs `payload` and waits (suspending this session's runner) for the reply or the
-- timeout. Returns the decoded verdict, or nil and why.
local function ask_sidecar(payload)
	local wait, done = async.waiter();
	local finished, body, code = false, nil, nil;
	local headers = { ["Content-Type"] = "application/json" };
	if token then headers["Authorization"] = "Bearer " .. token; end
	local req;
	local timer_id = timer.add_task(timeout, function ()
		if finished then return; end
		finished, code = true, "timeout";
		if req then http.destroy_request(req); end
		done();
	end);
	req = http.request(url, { method = "POST", body = payload, headers = headers }, function (b, c)
		if finished then return; end
		finished, body, code = true, b, c;
		done();
	end);
	wait();
	timer.stop(timer_id);
	if code == "timeout" then return nil, "timeout after " .. timeout .. " s"; end
	if code ~= 200 then
		return nil, code == 0 and ("unreachable: " .. tostring(body)) or ("HTTP " .. tostring(code));
	end
	local verdict = json.decode(body);
	if type(verdict) ~= "table" or type(verdict.action) ~= "string" then
		return nil, "not a verdict";
	end
	return verdict;
end

-- A marked (escalated) conversation stays held while the sidecar cannot answer, even
-- when failing open: its last verdict was the gravest there is.
local function on_failure(event, ctx, why)
	failures = failures + 1;
	count_failure();
	local closed = fail_closed or escalated:get(ctx.conversation_id) ~= nil;
	module:log("warn", "vigil: sidecar check failed (%s), message %s; %d failures so far", why,
		closed and "held (fail-closed)" or "delivered (fail-open)", failures);
	if closed then return hold(event); end
	return nil;
end

local function check_message(event)
	local origin, stanza = event.origin, event.stanza;
	local kind = stanza.attr.type or "normal";
	if kind == "error" or kind == "headline" then return; end
	local text = stanza:get_child_text("body");
	if not text or text == "" then return; end  -- chat states, receipts, markers
	local sender = jid.bare(stanza.attr.from or origin.full_jid);
	local to = stanza.attr.to;
	if not sender or not to then return; end

	local ctx = { sender = sender };
	if kind == "groupchat" then
		ctx.peer = jid.bare(to);
		if not room_covered(ctx.peer) then return; end
		ctx.channel, ctx.conversation_id = "group", short_id("xmpp:room:", ctx.peer);
	else
		if not check_chat then return; end
		-- A private message to a room occupant is one-to-one with that occupant's room JID.
		ctx.peer = is_muc_host(jid.host(to)) and to or jid.bare(to);
		if jid.host(ctx.peer) and is_muc_host(jid.host(ctx.peer)) and not room_covered(jid.bare(ctx.peer)) then
			return;
		end
		ctx.channel, ctx.conversation_id = "dm", dm_conversation(sender, ctx.peer);
	end

	if not async.ready() then
		-- Not inside a session's runner (another module sent it): nothing can wait here.
		return on_failure(event, ctx, "no async runner for this stanza");
	end

	local message = {
		conversation_id = ctx.conversation_id;
		-- Generated here, never the client's stanza id: the sidecar answers a repeated
		-- message_id from memory, so a client-chosen id could replay an earlier verdict.
		message_id = new_id();
		sender_id = sender;
		text = text;
		ts = now();
		channel = ctx.channel;
	};
	if ctx.channel == "dm" then message.recipient_ids = { ctx.peer }; end
	local band = age_band(sender);
	if band then message.sender = { age_band = band }; end

	count_checked();
	local verdict, why = ask_sidecar(json.encode(message));
	if not verdict then return on_failure(event, ctx, why); end

	local action = verdict.action;
	if action == "escalate" then
		mark_escalated(ctx, verdict);
		if escalate_mode == "hold" then return hold(event); end
		action = "nudge";
	end
	if action == "hold" then return hold(event); end
	if action == "nudge" then
		-- After this hook returns the message is delivered; the notice follows it.
		timer.add_task(0, function ()
			for _, target in ipairs(notice_targets(ctx, verdict.suspect_id)) do
				send_notice(ctx.conversation_id, target);
			end
		end);
	end
	return nil;  -- deliver
end

-- A bug here must not decide delivery by accident: it is a failure like any other
-- (counted, logged, then the fail-open / fail-closed policy). pcall can yield in Lua 5.4,
-- so the wait inside still works.
local function guarded_check(event)
	local ok, ret = pcall(check_message, event);
	if ok then return ret; end
	return on_failure(event, { conversation_id = "" }, "module error: " .. tostring(ret));
end

-- Above mod_carbons (-0.5), so a held message is not copied to the sender's other devices.
module:hook("pre-message/bare", guarded_check, 50);
module:hook("pre-message/full", guarded_check, 50);

module:log("info", "vigil: checking messages with %s (timeout %ss, %s, escalate: %s)", url, timeout,
	fail_closed and "fail-closed" or "fail-open", escalate_mode);

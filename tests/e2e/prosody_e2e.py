#!/usr/bin/env python3
"""End to end: a real Prosody with plugin/prosody/mod_vigil.lua, the real sidecar
(`vigil serve`) and real XMPP clients (slixmpp), all on 127.0.0.1 in a temporary folder.

Checks, in order:
  1. a benign chat between two users (and a group chat) is delivered intact;
  2. a synthetic grooming conversation (tests/e2e/fixtures/grooming_chat.json) is
     delivered until the sidecar says review: the child gets the nudge notice, held
     messages never arrive and their sender is told only that they could not be
     delivered; the sidecar's view of the conversation names the adult as the suspect;
     the adult's lines in a group chat with the child are held there too; GET /v1/cases
     lists a case for each;
  3. with the sidecar stopped, a fail-open host delivers and a fail-closed host holds;
  4. a sidecar that never answers costs vigil_timeout, and meanwhile other users'
     messages flow (Prosody's event loop is not blocked).
Every process it starts is stopped by its own PID at the end, pass or fail.

  prosody_e2e.py --vigil build/vigil --source-dir .      (exit 0 pass, 1 fail, 77 skip)
"""
import argparse
import asyncio
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

SKIP = 77
HOST, CLOSED_HOST, SLOW_HOST, MUC_HOST = "vigil.test", "closed.test", "slow.test", "rooms.vigil.test"
SLOW_TIMEOUT = 2  # vigil_timeout on SLOW_HOST, whose "sidecar" accepts and never answers
HOLD_TEXT = "This message could not be delivered."
NOTICE_MARK = "Safety notice"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


T0 = time.monotonic()


def say(text):
    print(f"[{time.monotonic() - T0:5.1f} s] {text}", flush=True)


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)
    say(f"ok: {what}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Processes:
    """Every child this test starts, stopped by its own PID (SIGTERM, then SIGKILL)."""

    def __init__(self):
        self.procs = []

    def start(self, name, argv, **kw):
        p = subprocess.Popen(argv, **kw)
        self.procs.append((name, p))
        say(f"started {name} pid {p.pid}")
        return p

    def stop(self, p, name=""):
        if p.poll() is None:
            os.kill(p.pid, signal.SIGTERM)
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(p.pid, signal.SIGKILL)
                p.wait(timeout=10)
        say(f"stopped {name or p.args[0]} pid {p.pid} (exit {p.returncode})")
        self.procs = [(n, q) for n, q in self.procs if q is not p]

    def stop_all(self):
        for name, p in reversed(list(self.procs)):
            self.stop(p, name)


def start_sidecar(procs, vigil, rules, tmp, port, ingest_token, moderate_token, rules_cache):
    """Starts `vigil serve` on 127.0.0.1:port; wait_sidecar() waits until it listens."""
    env = dict(os.environ, VIGIL_TOKENS=f"prosody:ingest:{ingest_token},test:moderate+admin:{moderate_token}")
    data_dir = os.path.join(tmp, "vigil-data")
    if rules_cache and os.path.isdir(rules_cache):
        # Compiled rules from the other tests of this build, so the sidecar starts in a
        # second instead of compiling the shipped packs; a stale file is just not used.
        # Only finished files (*.hsdb); one that goes away meanwhile is skipped.
        os.makedirs(os.path.join(data_dir, "hs-cache"))
        for name in os.listdir(rules_cache):
            if name.endswith(".hsdb"):
                try:
                    shutil.copy(os.path.join(rules_cache, name), os.path.join(data_dir, "hs-cache", name))
                except OSError:
                    pass
    log = open(os.path.join(tmp, "vigil.log"), "wb")
    return procs.start("vigil serve", [vigil, "serve", "--listen", f"127.0.0.1:{port}", "--rules", rules,
                                       "--data-dir", data_dir],
                       stdout=subprocess.PIPE, stderr=log, env=env)


def wait_sidecar(p, tmp):
    deadline = time.monotonic() + 150  # without a cache the first start compiles the rules
    line = b""
    while time.monotonic() < deadline and p.poll() is None:
        ready, _, _ = select.select([p.stdout], [], [], 1.0)
        if ready:
            line += os.read(p.stdout.fileno(), 4096)
            if b"http://" in line:
                url = line.split(b"http://", 1)[1].split()[0].decode()
                return "http://" + url.rstrip("/,")
    raise Failure(f"vigil serve did not start: {line!r}, see {tmp}/vigil.log")


def prosody_config(tmp, plugin_dir, port, sidecar_url, silent_url, token):
    return f"""
run_as_root = true
pidfile = "{tmp}/prosody.pid"
data_path = "{tmp}/prosody-data"
certificates = "{tmp}/certs"
admin_socket = "{tmp}/prosody-admin.sock"
plugin_paths = {{ "{plugin_dir}" }}
log = {{ {{ levels = {{ min = "debug" }}, to = "file", filename = "{tmp}/prosody.log" }} }}
interfaces = {{ "127.0.0.1" }}
c2s_ports = {{ {port} }}
c2s_direct_tls_ports = {{}}
legacy_ssl_ports = {{}}
s2s_ports = {{}}
s2s_direct_tls_ports = {{}}
http_ports = {{}}
https_ports = {{}}
modules_enabled = {{ "roster", "saslauth", "disco", "ping", "vigil" }}
modules_disabled = {{ "s2s", "tls", "posix" }}
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
authentication = "internal_plain"
storage = "internal"

vigil_url = "{sidecar_url}"
vigil_token = "{token}"
vigil_timeout = 5
vigil_age_bands = {{ ["kid@{HOST}"] = "minor" }}

VirtualHost "{HOST}"

VirtualHost "{CLOSED_HOST}"
    vigil_fail_closed = true

VirtualHost "{SLOW_HOST}"
    vigil_url = "{silent_url}"
    vigil_timeout = {SLOW_TIMEOUT}
    vigil_fail_closed = true

Component "{MUC_HOST}" "muc"
    muc_room_locking = false
"""


def start_prosody(procs, tmp, write_config, users):
    """Starts Prosody on a free c2s port and returns (process, port).

    A port picked free can be taken by a parallel test before Prosody binds it, so the
    start counts only when Prosody's own log says it listens there; otherwise it is
    retried on another port."""
    os.makedirs(os.path.join(tmp, "certs"), exist_ok=True)
    os.makedirs(os.path.join(tmp, "prosody-data"), exist_ok=True)
    log_path = os.path.join(tmp, "prosody.log")
    for attempt in range(5):
        port = free_port()
        config_path = write_config(port)
        if attempt == 0:
            for user, host, password in users:
                r = subprocess.run(["prosodyctl", "--config", config_path, "register", user, host, password],
                                   capture_output=True, timeout=60)
                if r.returncode != 0:
                    raise Failure(f"prosodyctl register {user}@{host}: {r.stdout!r} {r.stderr!r}")
        if os.path.exists(log_path):
            os.remove(log_path)
        out = open(os.path.join(tmp, "prosody.out"), "wb")
        p = procs.start("prosody", ["prosody", "--config", config_path, "-F"], stdout=out, stderr=out)
        listening = f"Activated service 'c2s' on [127.0.0.1]:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and p.poll() is None:
            log = open(log_path, errors="replace").read() if os.path.exists(log_path) else ""
            if listening in log:
                socket.create_connection(("127.0.0.1", port), timeout=5).close()
                return p, port
            if "Failed to open server port" in log:
                break
            time.sleep(0.1)
        procs.stop(p, "prosody")
        say(f"prosody could not listen on {port}; trying another port")
    raise Failure(f"prosody did not listen, see {tmp}/prosody.log")


def http_json(url, token, method="GET"):
    req = urllib.request.Request(url, method=method, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def make_client_class():
    import slixmpp  # imported here so a machine without it skips instead of failing

    class Client(slixmpp.ClientXMPP):
        """A user: records every chat message and every message error it receives."""

        def __init__(self, jid, password):
            super().__init__(jid, password)
            self["feature_mechanisms"].unencrypted_plain = True
            self.register_plugin("xep_0045")
            self.received = []  # (from bare, body, {lang: body}, raw xml)
            self.errors = []    # (id, text, raw xml)
            self.changed = asyncio.Event()
            self.started = asyncio.get_event_loop().create_future()
            self.add_event_handler("session_start", self._start)
            self.add_event_handler("message", self._message)
            self.add_event_handler("message_error", self._error)
            self.add_event_handler("failed_auth", lambda _: self.started.done() or
                                   self.started.set_exception(Failure(f"auth failed for {jid}")))

        async def _start(self, _):
            self.send_presence()
            await self.get_roster()
            if not self.started.done():
                self.started.set_result(True)

        def _message(self, msg):
            if msg["type"] == "error":
                return
            bodies = {b.get(XML_LANG, ""): b.text or "" for b in msg.xml.findall("{jabber:client}body")}
            self.received.append((msg["from"].bare, msg["body"], bodies, str(msg)))
            self.changed.set()

        def _error(self, msg):
            self.errors.append((msg["id"], msg["error"]["text"], str(msg)))
            self.changed.set()

        async def wait_for(self, pred, timeout):
            deadline = time.monotonic() + timeout
            while not pred():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.changed.clear()
                try:
                    await asyncio.wait_for(self.changed.wait(), left)
                except asyncio.TimeoutError:
                    pass
            return True

    return Client


async def exchange(sender, recipient, text, room=None, timeout=10):
    """Sends one chat message (to `room` when given, as group chat); "delivered" when the
    recipient got it intact, "held" when the sender got an error for it instead."""
    mid = sender.new_id()
    msg = sender.make_message(mto=room or recipient.boundjid.bare, mbody=text, mtype="groupchat" if room else "chat")
    msg["id"] = mid
    before = len(recipient.received)
    msg.send()
    me = room or sender.boundjid.bare

    def arrived():
        return any(f == me and b == text for f, b, _, _ in recipient.received[before:])

    def bounced():
        return any(i == mid for i, _, _ in sender.errors)

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if arrived():
            return "delivered"
        if bounced():
            return "held"
        await asyncio.wait([asyncio.ensure_future(sender.wait_for(bounced, 0.2)),
                            asyncio.ensure_future(recipient.wait_for(arrived, 0.2))])
    return "timeout"


def notices(client):
    return [r for r in client.received if r[0] == HOST and NOTICE_MARK in r[1]]


async def scenario(args, tmp, procs):
    Client = make_client_class()
    ingest_token, moderate_token = "e2e-ingest-" + os.urandom(6).hex(), "e2e-moderate-" + os.urandom(6).hex()
    # The sidecar binds a port of its own choosing (port 0) and prints its URL, so no
    # other test can take that port between a pick and the bind.
    sidecar = start_sidecar(procs, args.vigil, os.path.join(args.source_dir, "rules"), tmp, 0,
                            ingest_token, moderate_token, args.rules_cache)
    url = wait_sidecar(sidecar, tmp)
    # A "sidecar" that accepts connections (the kernel's backlog) and never answers.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    config_path = os.path.join(tmp, "prosody.cfg.lua")

    def write_config(port):
        with open(config_path, "w") as f:
            f.write(prosody_config(tmp, os.path.join(args.source_dir, "plugin", "prosody"), port, url,
                                   f"http://127.0.0.1:{silent.getsockname()[1]}", ingest_token))
        return config_path

    users = [("ann", HOST, "pw-ann"), ("ben", HOST, "pw-ben"), ("kid", HOST, "pw-kid"),
             ("dana", CLOSED_HOST, "pw-dana"), ("eve", SLOW_HOST, "pw-eve")]
    _, port = start_prosody(procs, tmp, write_config, users)
    say(f"sidecar listening at {url}")

    clients = {}
    for user, host, password in users:
        c = Client(f"{user}@{host}/e2e", password)
        c.connect(("127.0.0.1", port), disable_starttls=True, force_starttls=False)
        clients[user] = c
    try:
        await asyncio.wait_for(asyncio.gather(*(c.started for c in clients.values())), 30)
        ann, ben, kid, dana, eve = (clients[u] for u in ("ann", "ben", "kid", "dana", "eve"))
        with open(os.path.join(args.source_dir, "tests", "e2e", "fixtures", "grooming_chat.json")) as f:
            fixture = json.load(f)

        # 1. Benign chat: every message arrives as sent, and nobody gets a notice.
        for a, b, text in fixture["benign"]:
            check(await exchange(clients[a], clients[b], text) == "delivered", f"benign {a} -> {b} delivered intact")
        check(not notices(ann) and not notices(ben), "no safety notice in a benign chat")

        # Group chat goes through the sidecar too (conversation id = the room).
        room = f"lunch@{MUC_HOST}"
        await asyncio.wait_for(ann.plugin["xep_0045"].join_muc_wait(room, "ann"), 10)
        await asyncio.wait_for(ben.plugin["xep_0045"].join_muc_wait(room, "ben"), 10)
        ann.send_message(mto=room, mbody="who is bringing the cake?", mtype="groupchat")
        check(await ben.wait_for(lambda: any(b == "who is bringing the cake?" for _, b, _, _ in ben.received), 10),
              "benign group chat message delivered")
        conv = http_json(f"{url}/v1/conversations/{urllib.parse.quote('xmpp:room:' + room, safe='')}",
                         moderate_token)
        check(conv.get("messages", 0) >= 1, "the sidecar scored the group chat message under the room's id")

        # 2. The grooming conversation: after each message, the sidecar's level for the
        # conversation says what the module must have done with it (stages.yaml: none
        # allow, watch nudge, review hold, urgent escalate -> held by default).
        conv_id = "xmpp:dm:" + " ".join(sorted([ben.boundjid.bare, kid.boundjid.bare]))
        conv_url = f"{url}/v1/conversations/{urllib.parse.quote(conv_id, safe='')}"
        levels, held = [], []  # held: (where from, text)

        async def step(a, b, text, conv_url, room=None):
            """One fixture line, checked against the level the sidecar now has."""
            outcome = await exchange(clients[a], clients[b], text, room=room)
            level = http_json(conv_url, moderate_token)["level"]
            levels.append(level)
            say(f"  {a} -> {room or b}: {level}, {outcome}")
            want = "held" if level in ("review", "urgent") else "delivered"
            check(outcome == want, f"a message at {level} is {want}")
            if outcome == "held":
                held.append((room or clients[a].boundjid.bare, text))
            return level

        for a, b, text in fixture["grooming"]:
            if await step(a, b, text, conv_url) == "watch" and a == "ben":
                check(await kid.wait_for(lambda: notices(kid), 5), "the child got the nudge safety notice")
        check("watch" in levels and ("review" in levels or "urgent" in levels),
              "the fixture goes through watch (nudge) to review (hold)")
        dm_urgent = "urgent" in levels

        # The adult's lines again, in a group chat with the child: held there too.
        club = f"club@{MUC_HOST}"
        for c, nick in ((kid, "kid"), (ben, "ben")):
            await asyncio.wait_for(c.plugin["xep_0045"].join_muc_wait(club, nick), 10)
        club_url = f"{url}/v1/conversations/{urllib.parse.quote('xmpp:room:' + club, safe='')}"
        levels.clear()
        notices_before = len(notices(kid))
        for a, b, text in fixture["grooming"]:
            if a == "ben":
                await step(a, b, text, club_url, room=club)
        check("review" in levels or "urgent" in levels, "the group chat reaches review: messages held in the room")
        check("watch" not in levels or await kid.wait_for(lambda: len(notices(kid)) > notices_before, 5),
              "the child in the room got the nudge notice")
        await asyncio.sleep(0.5)
        check(not any((f, b) in held for f, b, _, _ in kid.received), "no held message reached the child")
        kid_notices = notices(kid)
        check(any(lang == "zh" and "安全提示" in text for lang, text in kid_notices[0][2].items()),
              "the notice carries the Chinese text too")
        check(not notices(ben), "the suspect got no safety notice")
        ben_errors = [e for e in ben.errors]
        check(ben_errors and all(text == HOLD_TEXT for _, text, _ in ben_errors),
              "the sender is told only that the message could not be delivered")
        check(not any(w in raw for _, _, raw in ben_errors for w in ("en.", "isolation", "secrecy", "risk")),
              "no rule id, stage or risk reaches the sender")
        conv = http_json(conv_url, moderate_token)
        check(conv.get("level") in ("review", "urgent"), f"the sidecar's conversation is at {conv.get('level')}")
        check(conv.get("suspect_id") == ben.boundjid.bare, "the sidecar names the adult as the suspect")
        with open(os.path.join(tmp, "prosody.log"), errors="replace") as f:
            log = f.read()
        # escalate (urgent) is the sidecar's call; when it made it, Prosody marked it.
        check((f"conversation {conv_id} escalated" in log) == dm_urgent,
              "the conversation is marked escalated in Prosody's log exactly when it reached urgent")
        cases = http_json(f"{url}/v1/cases", moderate_token)["cases"]
        case = next((c for c in cases if c.get("conversation_id") == conv_id), None)
        check(case is not None and case.get("suspect_id") == ben.boundjid.bare,
              "GET /v1/cases lists a case for the conversation, naming the adult")
        check(not dm_urgent or f"conversation {conv_id} escalated (case {case['id']})" in log,
              "Prosody's escalation mark names that case")
        check(any(c.get("conversation_id") == "xmpp:room:" + club for c in cases), "and a case for the group chat")

        # 3. Sidecar down: fail-open delivers (and counts), fail-closed holds.
        procs.stop(sidecar, "vigil serve")
        check(sidecar.returncode == 0, "the sidecar drained and exited 0 on SIGTERM")
        check(await exchange(ann, ben, "running five minutes late") == "delivered", "fail-open host delivers")
        check(await exchange(dana, ann, "running five minutes late too") == "held", "fail-closed host holds")
        with open(os.path.join(tmp, "prosody.log"), errors="replace") as f:
            log = f.read()
        check("delivered (fail-open)" in log and "held (fail-closed)" in log, "both failures are logged")

        # 4. A sidecar that never answers: the check gives up after vigil_timeout, and
        # while it waits Prosody goes on serving everyone else.
        started = time.monotonic()
        slow = asyncio.ensure_future(exchange(eve, ann, "are you there?", timeout=SLOW_TIMEOUT + 10))
        await asyncio.sleep(0.2)
        check(await exchange(ann, ben, "see you friday") == "delivered" and not slow.done(),
              "while one check waits for the sidecar, other users' messages are delivered")
        check(await slow == "held", "no answer within vigil_timeout: held (fail-closed host)")
        waited = time.monotonic() - started
        check(SLOW_TIMEOUT - 0.5 <= waited <= SLOW_TIMEOUT + 5, f"the hold came after the timeout ({waited:.1f} s)")
        with open(os.path.join(tmp, "prosody.log"), errors="replace") as f:
            check(f"sidecar check failed (timeout after {SLOW_TIMEOUT} s)" in f.read(), "the timeout is logged")
    finally:
        for c in clients.values():
            c.disconnect(wait=1)
        await asyncio.sleep(0.3)
        silent.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--vigil", required=True, help="the vigil binary")
    ap.add_argument("--source-dir", required=True, help="the repository (rules/, plugin/prosody/)")
    ap.add_argument("--rules-cache", help="a folder of compiled rules (*.hsdb) to start the sidecar from")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (logs)")
    args = ap.parse_args()
    args.vigil, args.source_dir = os.path.abspath(args.vigil), os.path.abspath(args.source_dir)
    missing = [t for t in ("prosody", "prosodyctl") if shutil.which(t) is None]
    try:
        import slixmpp  # noqa: F401
    except ImportError:
        missing.append("python3-slixmpp")
    if missing:
        print(f"SKIP: {', '.join(missing)} not installed (scripts/setup.sh installs them)")
        return SKIP

    tmp = tempfile.mkdtemp(prefix="vigil-e2e-")
    procs = Processes()
    started = time.monotonic()
    ok = False
    try:
        asyncio.run(asyncio.wait_for(scenario(args, tmp, procs), 180))
        ok = True
    except (Failure, asyncio.TimeoutError, OSError, urllib.error.URLError) as e:
        print(f"FAIL: {type(e).__name__}: {e}", flush=True)
    finally:
        procs.stop_all()
        if not ok:
            for name in ("prosody.log", "vigil.log", "prosody.out"):
                path = os.path.join(tmp, name)
                if os.path.exists(path):
                    with open(path, errors="replace") as f:
                        lines = f.readlines()
                    print(f"--- last lines of {name}")
                    sys.stdout.writelines(lines[-40:])
        if args.keep or not ok:
            print(f"logs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"{'PASS' if ok else 'FAIL'} in {time.monotonic() - started:.1f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

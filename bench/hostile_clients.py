#!/usr/bin/env python3
"""Slow and hostile clients against a local `vigil serve`, for BENCHMARKS.md's
"p99 under hostile clients" figure: run vigil_loadgen beside it and compare with a run
without it. Holds, for --seconds:
  --idle N      idle TCP connections (default 10000; the open-file limit permitting)
  --loris N     slowloris headers, one byte per connection every 100 ms (default 20);
                reopened when the server cuts them (header_timeout)
  --deaf N      WebSocket clients that send frames and never read (default 1)
Loopback only. Prints what it held and how often the server cut the slow ones."""
import argparse, base64, os, resource, socket, struct, time


def connect(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.setblocking(False)
    return s


def ws_frame(payload: bytes) -> bytes:
    mask = os.urandom(4)
    head = bytes([0x81])
    n = len(payload)
    head += bytes([0x80 | 126]) + struct.pack("!H", n) if n >= 126 else bytes([0x80 | n])
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def deaf_ws(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET /v1/stream HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    s.recv(4096)  # the 101; nothing is read after it
    s.setblocking(False)
    return s


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--idle", type=int, default=10000)
    ap.add_argument("--loris", type=int, default=20)
    ap.add_argument("--deaf", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=30)
    a = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    idle_n = min(a.idle, hard - 200)
    idle = [connect(a.port) for _ in range(idle_n)]
    loris = [connect(a.port) for _ in range(a.loris)]
    head = b"GET /livez HTTP/1.1\r\nHost: x\r\nX-Slow: "
    frame = ws_frame(b'{"conversation_id":"c-deaf","message_id":"m","sender_id":"u","text":"' + b"a" * 2000 + b'"}')
    deaf = [deaf_ws(a.port) for _ in range(a.deaf)]
    print(f"holding {idle_n} idle, {len(loris)} slowloris, {len(deaf)} deaf WebSocket for {a.seconds:.0f} s",
          flush=True)
    cut, end, k = 0, time.time() + a.seconds, 0
    while time.time() < end:
        for i, s in enumerate(loris):
            try:
                s.send(head[min(k, len(head) - 1):][:1])
            except OSError:
                cut += 1
                s.close()
                loris[i] = connect(a.port)
        for s in deaf:
            try:
                s.send(frame)
            except OSError:
                pass
        k += 1
        time.sleep(0.1)
    print(f"slowloris connections cut by the server: {cut}")


if __name__ == "__main__":
    main()

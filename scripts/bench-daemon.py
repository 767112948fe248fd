#!/usr/bin/python3
"""The client side of scripts/bench-daemon: talks to vitaled over its Unix socket (HTTP/1.1, keep-alive).

  bench-daemon.py insertions SOCKET TOKEN CONTROL_FIFO N
      N times: takes the carte Vitale out (vitale-card's "remove" through CONTROL_FIFO), waits until vitaled
      says the slot is empty and vitale-card's minimum absence (1 s) has passed, puts it back ("insert": the
      emulated card connects to vpcd at once) and times, from that write, the daemon's vitale.inserted and
      vitale.read events (server-sent events, one subscription) and the GET /v1/card/beneficiaries that
      follows vitale.read. Prints one JSON object.

  bench-daemon.py claims SOCKET TOKEN N CLIENTS LABEL
      Creates N claims for the beneficiaries of the card in the reader (POST /v1/claims) from CLIENTS
      concurrent clients, each with its own connection; prints one JSON object (claims/s, latencies).
"""
import json
import os
import socket
import statistics
import sys
import threading
import time
import http.client


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=60)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(60)
        s.connect(self.unix_path)
        self.sock = s


class API:
    def __init__(self, path, token):
        self.path, self.token = path, token
        self.conn = UnixHTTPConnection(path)

    def call(self, method, target, body=None):
        headers = {"Authorization": f"Bearer {self.token}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            try:
                self.conn.request(method, target, body=data, headers=headers)
                r = self.conn.getresponse()
                payload = r.read()
                return r.status, json.loads(payload) if payload else {}
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = UnixHTTPConnection(self.path)
                if attempt == 2:
                    raise


class Events(threading.Thread):
    """One subscription to GET /v1/events: (monotonic arrival time, type, data) of every event."""

    def __init__(self, path, token):
        super().__init__(daemon=True)
        self.path, self.token = path, token
        self.seen = []
        self.cond = threading.Condition()

    def run(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.path)
        s.sendall(f"GET /v1/events HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {self.token}\r\n\r\n".encode())
        f = s.makefile("rb")
        headers = {}
        while True:
            line = f.readline().decode().strip()
            if not line:
                break
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        chunked = headers.get("transfer-encoding", "").lower() == "chunked"
        buffer = b""
        while True:
            if chunked:
                size_line = f.readline()
                if not size_line:
                    return
                size = int(size_line.strip().split(b";")[0] or b"0", 16)
                if size == 0:
                    return
                buffer += f.read(size)
                f.readline()
            else:
                more = f.readline()
                if not more:
                    return
                buffer += more
            now = time.monotonic()
            while b"\n" in buffer:
                raw, buffer = buffer.split(b"\n", 1)
                text = raw.decode(errors="replace")
                if text.startswith("data: "):
                    event = json.loads(text[6:])
                    with self.cond:
                        self.seen.append((now, event["type"], event.get("data", {})))
                        self.cond.notify_all()

    def wait_for(self, kind, after, timeout=20):
        """The arrival time of the first `kind` event that arrived after `after`."""
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                for t, k, d in self.seen:
                    if k == kind and t >= after:
                        return t, d
                left = end - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {kind} event within {timeout} s")
                self.cond.wait(left)


def percentile(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def insertions(path, token, fifo, n):
    api = API(path, token)
    events = Events(path, token)
    events.start()
    end = time.monotonic() + 10
    while api.call("GET", "/v1/status")[1].get("eventSubscribers", 0) < 1:
        if time.monotonic() > end:
            raise TimeoutError("the event stream did not open")
        time.sleep(0.01)
    ctl = open(fifo, "w", buffering=1)
    total, seen_inserted, read_ms, read_event = [], [], [], []
    for _ in range(n):
        ctl.write("remove\n")
        removed_at = time.monotonic()
        end = removed_at + 20
        while api.call("GET", "/v1/card")[1].get("state") != "empty":
            if time.monotonic() > end:
                raise TimeoutError("the card was not seen removed")
            time.sleep(0.005)
        # vitale-card keeps a removed card out for 1 s (pcscd polls); wait it out so "insert" connects at once.
        time.sleep(max(0.0, removed_at + 1.05 - time.monotonic()))
        t0 = time.monotonic()
        ctl.write("insert\n")
        t_inserted, _ = events.wait_for("vitale.inserted", t0)
        t_read, data = events.wait_for("vitale.read", t0)
        status, body = api.call("GET", "/v1/card/beneficiaries")
        t_api = time.monotonic()
        if status != 200 or not body.get("beneficiaries"):
            raise RuntimeError(f"no beneficiaries after vitale.read: {status} {body.get('state')}")
        total.append((t_api - t0) * 1000)
        seen_inserted.append((t_inserted - t0) * 1000)
        read_event.append((t_read - t_inserted) * 1000)
        read_ms.append(float(data.get("readMs", "nan")))
    ctl.close()

    def summary(values):
        return {"median": statistics.median(values), "p90": percentile(values, 90), "max": max(values), "min": min(values)}

    print(json.dumps({
        "insertions": n,
        "toAPI": summary(total),
        "toInsertedEvent": summary(seen_inserted),
        "insertedToReadEvent": summary(read_event),
        "daemonReadMs": summary(read_ms),
    }))


def claims(path, token, n, clients, label):
    api = API(path, token)
    _, card = api.call("GET", "/v1/card/beneficiaries")
    positions = [b["position"] for b in card.get("beneficiaries", [])][:3] or [1]
    run = f"{label}-{os.getpid()}-{int(time.time())}"
    latencies, states, failures = [], {}, []
    lock = threading.Lock()
    counter = iter(range(n))

    def client():
        mine = API(path, token)
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            body = {"reference": f"{run}-{i}", "beneficiary": positions[i % len(positions)], "care_date": "2026-11-20",
                    "parcours": "T", "acts": ["G"]}
            t = time.monotonic()
            status, answer = mine.call("POST", "/v1/claims", body)
            elapsed = (time.monotonic() - t) * 1000
            with lock:
                latencies.append(elapsed)
                if status in (200, 201):
                    state = answer["claim"]["state"]
                    states[state] = states.get(state, 0) + 1
                else:
                    failures.append(f"{status} {answer.get('error')}")

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - start
    _, status = api.call("GET", "/v1/status")
    print(json.dumps({
        "label": label, "claims": n, "clients": clients, "seconds": wall, "perSecond": n / wall,
        "medianMs": statistics.median(latencies), "p90Ms": percentile(latencies, 90), "maxMs": max(latencies),
        "states": states, "failures": failures[:5], "failureCount": len(failures),
        "outbox": status.get("outbox"), "senderRounds": status.get("sender", {}).get("rounds"),
    }))


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "insertions":
        insertions(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    elif len(sys.argv) == 7 and sys.argv[1] == "claims":
        claims(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)

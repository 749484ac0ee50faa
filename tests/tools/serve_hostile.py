#!/usr/bin/env python3
"""Measures `authconform serve` under hostile clients, on loopback only: resident memory after
200 change-password posts with 1 MB emails and after 3,000 /authorize requests with a 30 KB
scope (and, at the caps, 3,000 codes with a 2 KB scope and 20,000 distinct emails), how long
silent, half-sent and idle keep-alive connections stay open and one whose client never reads
its answers, how soon a request is answered behind 1,100 silent connections under `ulimit -n
1024` (and that the cap is said once), and whether 500 parallel clients are all answered. A measurement, not a test: it prints figures and exits 1 only when a target is
missed (memory under 64 MiB, every connection closed within 75 s, every client answered).

    python3 tests/tools/serve_hostile.py [path/to/authconform]   # default target/debug/authconform

About two minutes; the server's own timeouts are the defaults (10 s)."""

import http.client
import os
import resource
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

BINARY = sys.argv[1] if len(sys.argv) > 1 else "target/debug/authconform"
MIB = 1024 * 1024
FAILED = []


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        fields = dict(line.split(":", 1) for line in f)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def start():
    def limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))

    proc = subprocess.Popen(
        [BINARY, "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=limit,
        text=True,
    )
    first = proc.stdout.readline()
    host, port = first.split("listening on http://")[1].strip().split(":")
    # Drain both pipes for the server's whole life, keeping standard error.
    err = []
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
    threading.Thread(target=lambda: [err.append(l) for l in proc.stderr], daemon=True).start()
    return proc, (host, int(port)), err


def request(addr, method, path, body=None, headers=None, timeout=60):
    conn = http.client.HTTPConnection(*addr, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        r.read()
        return r.status
    except OSError as e:
        return type(e).__name__
    finally:
        conn.close()


def counted(results):
    out = {}
    for r in results:
        out[r] = out.get(r, 0) + 1
    return out


def check(what, ok):
    print(f"  {'ok' if ok else 'MISSED'}: {what}")
    if not ok:
        FAILED.append(what)


def memory(proc, addr):
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    base = rss_mib(proc.pid)[0]
    print(f"resident memory at start: {base:.1f} MiB")
    # Each email new, as the attacker sent them: each was a bucket's key.
    body = "client_id=authconform-spa&connection=Username-Password-Authentication&email={}" + "a" * 1_000_000 + "@example.com"
    results = [request(addr, "POST", "/dbconnections/change_password", body.format(n), form) for n in range(200)]
    rss, peak = rss_mib(proc.pid)
    print(f"after 200 x 1 MB emails: {rss:.1f} MiB (peak {peak:.1f}); answers {counted(results)}")
    check("200 x 1 MB emails: under 64 MiB", rss < 64)

    redirect = urllib.parse.quote("https://app.authconform.test/callback", safe="")
    query = f"/authorize?client_id=authconform-spa&redirect_uri={redirect}&response_type=code&scope="
    results = [request(addr, "GET", query + "s" * 30_000) for _ in range(3000)]
    rss, peak = rss_mib(proc.pid)
    print(f"after 3,000 x 30 KB scopes: {rss:.1f} MiB (peak {peak:.1f}); answers {counted(results)}")
    check("3,000 x 30 KB scopes: under 64 MiB", rss < 64)

    # What the caps hold at most: codes with the longest scope kept, buckets for new emails.
    results = [request(addr, "GET", query + "s" * 2048) for _ in range(3000)]
    rss, peak = rss_mib(proc.pid)
    print(f"after 3,000 codes with a 2 KB scope: {rss:.1f} MiB (peak {peak:.1f}); answers {counted(results)}")
    results = []
    conn = http.client.HTTPConnection(*addr, timeout=60)
    for n in range(20_000):
        body = f"client_id=authconform-spa&connection=Username-Password-Authentication&email=u{n}@example.com"
        conn.request("POST", "/dbconnections/change_password", body=body, headers=form)
        r = conn.getresponse()
        r.read()
        results.append(r.status)
    conn.close()
    rss, peak = rss_mib(proc.pid)
    print(f"after 20,000 distinct emails (one keep-alive connection): {rss:.1f} MiB (peak {peak:.1f}); answers {counted(results)}")
    check("at the caps: under 64 MiB", rss < 64)


def open_for(addr, send, results, name):
    """How long the server keeps a connection that sent `send` open (None: past 80 s)."""
    s = socket.create_connection(addr)
    s.settimeout(80)
    started = time.monotonic()
    if send:
        s.sendall(send)
    try:
        while s.recv(65536):
            pass
        results[name] = time.monotonic() - started
    except OSError:
        results[name] = None
    s.close()


def connections(addr):
    kinds = {
        "silent": b"",
        "half-sent head": b"POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Le",
        "half-sent body": b"POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\ngrant_type=",
        "idle keep-alive": b"GET /.well-known/openid-configuration HTTP/1.1\r\nHost: x\r\n\r\n",
    }
    results = {}
    threads = [threading.Thread(target=open_for, args=(addr, send, results, name)) for name, send in kinds.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for name in kinds:
        held = results[name]
        shown = "still open after 80 s" if held is None else f"closed by the server after {held:.1f} s"
        check(f"{name} connection: {shown}", held is not None and held < 75)


def never_reads(addr):
    """A client that sends requests and reads no answer: how long until the server closes."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(addr)
    s.settimeout(80)
    requests = b"GET /.well-known/openid-configuration HTTP/1.1\r\nHost: x\r\n\r\n" * 64
    started = time.monotonic()
    sent = 0
    try:
        while sent < 1 << 30:
            s.sendall(requests)
            sent += len(requests)
        shown = None
    except socket.timeout:
        shown = None
    except OSError:
        shown = time.monotonic() - started
    s.close()
    text = "still open after 80 s" if shown is None else f"closed by the server {shown:.1f} s after it began, {sent / MIB:.1f} MiB of requests sent"
    check(f"a client that never reads its answers: {text}", shown is not None and shown < 75)


def silent_crowd(addr, err):
    # The client needs descriptors too: 1,100 connections and change.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, 4096), hard), hard))
    started = time.monotonic()
    crowd = [socket.create_connection(addr) for _ in range(1100)]
    print(f"1,100 silent connections opened in {time.monotonic() - started:.1f} s")
    started = time.monotonic()
    status = request(addr, "GET", "/.well-known/openid-configuration", timeout=75)
    took = time.monotonic() - started
    print(f"a request behind 1,100 silent connections (serve under ulimit -n 1024): {status} after {took:.1f} s")
    check("answered behind 1,100 silent connections", status == 200)
    lines = [l for l in err if "connections open" in l]
    check(f"one line on standard error at the cap ({len(lines)}: {lines[:1]})", len(lines) == 1)
    for s in crowd:
        s.close()


def parallel(addr):
    results = [None] * 500
    barrier = threading.Barrier(500)

    def client(i):
        barrier.wait()
        results[i] = request(addr, "GET", "/.well-known/openid-configuration", timeout=60)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(500)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - started
    print(f"500 parallel clients: {counted(results)} in {took:.1f} s")
    check("500 parallel clients all answered", results.count(200) == 500)


def main():
    proc, addr, err = start()
    try:
        print(f"authconform serve ({BINARY}) pid {proc.pid} at {addr[0]}:{addr[1]}")
        memory(proc, addr)
        connections(addr)
        never_reads(addr)
        silent_crowd(addr, err)
        # Let the crowd's connections go before the next measure.
        time.sleep(1)
        parallel(addr)
        rss, peak = rss_mib(proc.pid)
        print(f"resident memory at the end: {rss:.1f} MiB (peak {peak:.1f})")
    finally:
        proc.terminate()
        proc.wait()
    if FAILED:
        print(f"missed: {len(FAILED)}")
        sys.exit(1)


if __name__ == "__main__":
    main()

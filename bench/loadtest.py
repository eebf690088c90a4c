"""The load test: gunicorn on loopback, and a small threaded client bounded by a request count and a time limit."""

from __future__ import annotations

import http.client
import random
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from bench import measure
from bench.report import Report, Row

ROOT = Path(__file__).resolve().parent.parent
API = "/api/v1/articles/"
WORKERS = 2
THREADS = 2
START_TIMEOUT_S = 60
# Share of each kind of request in the mix.
MIX = {"list": 0.25, "detail": 0.25, "search": 0.35, "facets": 0.15}


@dataclass
class Tally:
    """What the clients saw, shared between their threads."""

    limit: int
    deadline: float
    sent: int = 0
    errors: int = 0
    statuses: Counter = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> bool:
        """Claim one more request, unless the count or the time is used up."""
        with self.lock:
            if self.sent >= self.limit or time.monotonic() >= self.deadline:
                return False
            self.sent += 1
            return True

    def record(self, kind: str, ms: float, status: int | None) -> None:
        with self.lock:
            self.latencies.setdefault(kind, []).append(ms)
            self.statuses[status or "exception"] += 1
            if status is None or status >= 400:
                self.errors += 1


def request_mix(terms, ids: list[int], count: int, seed: int) -> list[tuple[str, str]]:
    """Return ``count`` (kind, path) pairs of the mix, in a fixed random order."""
    rng = random.Random(seed)
    queries = [*terms.rare, *terms.medium, *terms.common, *terms.phrase, *terms.exclusion]
    kinds = rng.choices(list(MIX), weights=list(MIX.values()), k=count)
    paths = []
    for kind in kinds:
        if kind == "list":
            paths.append(f"{API}?page={rng.randint(1, 5)}")
        elif kind == "detail":
            paths.append(f"{API}{rng.choice(ids)}/")
        elif kind == "search":
            suffix = "&ordering=-published_at" if rng.random() < 0.3 else ""
            paths.append(f"{API}?q={quote(rng.choice(queries))}{suffix}")
        else:
            paths.append(f"{API}facets/" + (f"?q={quote(rng.choice(terms.common))}" if rng.random() < 0.5 else ""))
    return list(zip(kinds, paths, strict=True))


def start_gunicorn(env: dict, port: int, log: Path) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "gunicorn", "archive_project.wsgi",
        "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS), "--threads", str(THREADS),
        "--timeout", "120", "--log-level", "warning", "--chdir", str(ROOT),
    ]  # fmt: skip
    with log.open("w") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_until_ready(server: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited {server.returncode}: {log.read_text()[-2000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", f"{API}?page_size=1")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer within {START_TIMEOUT_S} s: {log.read_text()[-2000:]}")


def stop(server: subprocess.Popen) -> None:
    """Stop gunicorn (the process this module started): TERM, then KILL after 15 s."""
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def client(port: int, mix: list[tuple[str, str]], tally: Tally, offset: int) -> None:
    """Send requests from the mix over one keep-alive connection until the tally says stop."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    i = offset
    while tally.take():
        kind, path = mix[i % len(mix)]
        i += 1
        start = time.perf_counter()
        status = None
        try:
            conn.request("GET", path, headers={"Accept": "application/json"})
            response = conn.getresponse()
            response.read()
            status = response.status
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
        except (OSError, http.client.HTTPException):
            conn.close()
        tally.record(kind, (time.perf_counter() - start) * 1000, status)
    conn.close()


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def load_section(args, env: dict, terms, report: Report) -> None:
    conn, vendor = measure.raw()
    ids = measure.sample_ids(conn, vendor) or [1]
    mix = request_mix(terms, ids, 1000, args.seed)
    port = free_port()
    log = Path(env["ARCHIVE_SEARCH_INDEX_DIR"]).parent / "gunicorn.log"
    server = start_gunicorn(env, port, log)
    try:
        wait_until_ready(server, port, log)
        tally = Tally(limit=args.load_requests, deadline=time.monotonic() + args.load_seconds)
        threads = [threading.Thread(target=client, args=(port, mix, tally, n * 97)) for n in range(args.load_clients)]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - start
    finally:
        stop(server)
    everything = [ms for values in tally.latencies.values() for ms in values]
    per_kind = ", ".join(
        f"{kind} p95 {measure.percentile(values, 0.95):.0f} ms" for kind, values in sorted(tally.latencies.items())
    )
    name = f"gunicorn {WORKERS}x{THREADS}, {args.load_clients} clients, mixed"
    report.add(
        Row(
            "load",
            f"{name}: throughput",
            len(everything) / seconds,
            "req/s",
            note=f"{len(everything)} requests in {seconds:.1f} s (bounds: {args.load_requests} requests, "
            f"{args.load_seconds:.0f} s); mix {MIX}",
        )
    )
    report.add(
        Row(
            "load",
            f"{name}: latency",
            measure.percentile(everything, 0.95) if everything else None,
            "ms",
            p50=measure.percentile(everything, 0.5) if everything else None,
            target="0 errors",
            met=tally.errors == 0 and bool(everything),
            note=f"{tally.errors} errors; status {dict(tally.statuses)}; {per_kind}",
        )
    )
    if any(isinstance(s, int) and s >= 500 for s in tally.statuses) or tally.statuses.get("exception"):
        report.problems.append(f"load test: {dict(tally.statuses)} (see {log})")

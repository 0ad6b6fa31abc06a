"""A bounded, closed-loop load generator: wrk when installed, else a keep-alive Python client.

Both keep CONC connections busy for DURATION seconds against one loopback URL and report
requests/s and latency percentiles (p50, p90, p95, p99, in microseconds) plus error counts.
Only 127.0.0.1 / localhost / ::1 are accepted as targets.
"""

from __future__ import annotations

import http.client
import shutil
import statistics
import subprocess
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def check_loopback(url: str) -> None:
    host = urlsplit(url).hostname
    if host not in LOOPBACK:
        raise SystemExit(f"refusing non-loopback target: {url}")


def ensure_wrk() -> str | None:
    """The wrk binary, installing Debian's package if it is missing and we may; else None."""
    found = shutil.which("wrk")
    if found:
        return found
    apt = shutil.which("apt-get")
    if apt:
        sudo = [] if _is_root() else (["sudo", "-n"] if shutil.which("sudo") else None)
        if sudo is not None:
            print("wrk is missing: apt-get install -y wrk", flush=True)
            env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
            if (
                subprocess.run(
                    [*sudo, apt, "install", "-y", "--no-upgrade", "wrk"], env=env
                ).returncode
                != 0
            ):
                subprocess.run([*sudo, apt, "update"], env=env)
                subprocess.run([*sudo, apt, "install", "-y", "--no-upgrade", "wrk"], env=env)
    return shutil.which("wrk")


def _is_root() -> bool:
    import os

    return os.geteuid() == 0


def run_wrk(
    wrk: str, url: str, *, duration: float, conc: int, cookie: str | None = None, threads: int = 1
) -> dict[str, Any]:
    check_loopback(url)
    # A long timeout: a slow page's latency is measured rather than dropped as a timeout.
    cmd = [
        wrk,
        f"-t{threads}",
        f"-c{conc}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "60s",
        "-s",
        str(HERE / "report.lua"),
    ]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("RESULT"))
    return {k: float(v) for k, v in (part.split("=", 1) for part in line.split()[1:])}


def run_python(
    url: str, *, duration: float, conc: int, cookie: str | None = None
) -> dict[str, Any]:
    """The fallback: CONC threads, each with its own HTTP/1.1 keep-alive connection (reopened
    when the server closes it, as gunicorn's sync worker does after every response)."""
    check_loopback(url)
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = {"Cookie": cookie} if cookie else {}
    latencies: list[list[float]] = [[] for _ in range(conc)]
    errors = {"err_connect": 0, "err_read": 0, "err_status": 0}
    nbytes = [0] * conc
    deadline = time.perf_counter() + duration
    lock = threading.Lock()

    def worker(i: int) -> None:
        conn = None
        while time.perf_counter() < deadline:
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=60)
                started = time.perf_counter()
                conn.request("GET", target, headers=headers)
                response = conn.getresponse()
                body = response.read()
                latencies[i].append((time.perf_counter() - started) * 1e6)
                nbytes[i] += len(body)
                if response.status >= 400:
                    with lock:
                        errors["err_status"] += 1
                if response.will_close:
                    conn.close()
                    conn = None
            except (ConnectionError, OSError, http.client.HTTPException):
                with lock:
                    errors["err_read"] += 1
                if conn is not None:
                    conn.close()
                conn = None

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(conc)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    flat = sorted(x for per in latencies for x in per)

    def pct(p: float) -> float:
        return flat[min(len(flat) - 1, int(p / 100 * len(flat)))] if flat else 0.0

    return {
        "requests": len(flat),
        "duration_us": elapsed * 1e6,
        "bytes": sum(nbytes),
        "rps": len(flat) / elapsed,
        "p50_us": pct(50),
        "p90_us": pct(90),
        "p95_us": pct(95),
        "p99_us": pct(99),
        "max_us": flat[-1] if flat else 0.0,
        "mean_us": statistics.fmean(flat) if flat else 0.0,
        "err_write": 0,
        "err_timeout": 0,
        **errors,
    }


class Loader:
    """One interface over both clients."""

    def __init__(self, *, prefer_wrk: bool = True) -> None:
        self.wrk = ensure_wrk() if prefer_wrk else None
        self.name = "wrk" if self.wrk else "python keep-alive client"

    def run(
        self, url: str, *, duration: float, conc: int, cookie: str | None = None
    ) -> dict[str, Any]:
        if self.wrk:
            return run_wrk(self.wrk, url, duration=duration, conc=conc, cookie=cookie)
        return run_python(url, duration=duration, conc=conc, cookie=cookie)

"""The servers under load: our gunicorn and the Wagtail peer, each stopped by its own pid.

Also the loopback plumbing they need: free ports and a GET that does not follow redirects (a
redirect to sign-in must not pass for the page).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from bench.common import PY, REPO, say

PEER_DIR = Path(os.environ.get("PEER_DIR", REPO.parent / "shared" / "peer-wagtail"))
PEER_HOME = os.environ.get("PEER_HOME", "/tmp/peer-wagtail")
PEER_SLUG = "understanding-chronic-fatigue-patterns"


def port_free(port: int) -> bool:
    """Nothing listens on 127.0.0.1:`port`."""
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def free_port(start: int) -> int:
    """The first free loopback port from `start` up."""
    port = start
    while not port_free(port):
        port += 1
    return port


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def http_get(
    url: str, cookie: str | None = None, timeout: float = 30
) -> tuple[int, bytes, dict[str, str]]:
    """GET without following redirects (a redirect to sign-in must not pass for the page)."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with _OPENER.open(request, timeout=timeout) as response:  # loopback only
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


class Server:
    """Our gunicorn, started with gunicorn.conf.py; stopped by its own pid only."""

    def __init__(self, env: dict[str, str], port: int, workers: int, log: Path) -> None:
        self.env = {
            **env,
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": str(workers),
            "GUNICORN_THREADS": "1",
            "GUNICORN_MAX_REQUESTS": "0",
            "GUNICORN_CONTROL_SOCKET": "off",
            "GUNICORN_LOG_LEVEL": "warning",
        }
        self.port, self.workers, self.log = port, workers, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        gunicorn = str(Path(PY).with_name("gunicorn"))
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [gunicorn, "-c", str(REPO / "gunicorn.conf.py")],
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn exited during start-up; see {self.log}")
            try:
                if http_get(f"http://127.0.0.1:{self.port}/bench/constant/", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        raise SystemExit(f"gunicorn did not answer within 60 s; see {self.log}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class Peer:
    """The Wagtail peer, through its own scripts (setup.sh, start.sh, stop.sh, bench.sh)."""

    def __init__(self, enabled: bool) -> None:
        self.dir = PEER_DIR
        self.present = enabled and all(
            (self.dir / f).exists() for f in ("setup.sh", "start.sh", "stop.sh")
        )
        self.port = 8765
        self.running = False
        self.note = (
            ""
            if self.present
            else (
                f"Wagtail peer not found at {self.dir}"
                if enabled
                else "Wagtail peer skipped (--no-wagtail)"
            )
        )

    def env(self, **extra: str) -> dict[str, str]:
        return {**os.environ, "PEER_HOME": PEER_HOME, "PORT": str(self.port), **extra}

    def setup(self) -> None:
        if not self.present:
            return
        ready = (
            Path(PEER_HOME, "venv", "bin", "gunicorn").exists()
            and Path(PEER_HOME, "site", "snapshot", "article.html").exists()
        )
        if not ready:
            say(f"setting up the Wagtail peer ({self.dir}/setup.sh; needs PyPI, about a minute)")
            python = os.environ.get("PEER_PYTHON") or shutil.which("python3.11") or "python3"
            if (
                subprocess.run([str(self.dir / "setup.sh")], env=self.env(PYTHON=python)).returncode
                != 0
            ):
                self.present, self.note = (
                    False,
                    "Wagtail peer setup.sh failed (see its output above)",
                )

    def start(self, workers: int) -> None:
        if not self.present:
            return
        self.port = free_port(8765)
        result = subprocess.run(
            [str(self.dir / "start.sh")],
            env=self.env(WORKERS=str(workers), WORKER_CLASS="sync", THREADS="1"),
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            self.note = f"Wagtail peer start.sh failed: {result.stderr.strip()[-300:]}"
            say(self.note)
            return
        self.running = True

    def stop(self) -> None:
        if self.running:
            subprocess.run([str(self.dir / "stop.sh")], env=self.env(), capture_output=True)
            self.running = False

    def urls(self) -> list[tuple[str, str]]:
        if not self.running:
            return []
        base = f"http://127.0.0.1:{self.port}"
        return [
            ("Wagtail page (peer)", f"{base}/{PEER_SLUG}/"),
            ("Wagtail static file (peer)", f"{base}/static/bench/article.html"),
            ("Wagtail constant view (peer)", f"{base}/bench/constant/"),
        ]

    def bench_sh(
        self, ours: str, *, duration: float, warmup: float, reps: int, conc: int, out: Path
    ) -> dict[str, Any]:
        """The peer's own bench.sh on our article page and its page, as a cross-check."""
        if not self.running or not (self.dir / "bench.sh").exists() or not shutil.which("wrk"):
            return {}
        env = self.env(
            DURATION=f"{duration:g}",
            WARMUP=f"{warmup:g}",
            REPS=str(reps),
            CONC=str(conc),
            THREADS="1",
            OUT=str(out),
        )
        result = subprocess.run(
            [
                str(self.dir / "bench.sh"),
                f"ours={ours}",
                f"wagtail=http://127.0.0.1:{self.port}/{PEER_SLUG}/",
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        match = re.search(r"ratio req/s ours/wagtail = ([0-9.]+)", result.stdout)
        return {"stdout": result.stdout.strip(), "ratio": float(match.group(1)) if match else None}

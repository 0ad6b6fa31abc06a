"""gunicorn settings for production, from the environment (gunicorn reads this file by default).

    gunicorn editorial.wsgi:application              # this file is picked up from the current folder
    GUNICORN_WORKERS=4 GUNICORN_THREADS=1 gunicorn editorial.wsgi:application

| variable | default | meaning |
|---|---|---|
| `GUNICORN_BIND` | `127.0.0.1:8000` | address to listen on (put a proxy or load balancer in front) |
| `GUNICORN_WORKERS` (or `WEB_CONCURRENCY`) | 2 x cores + 1 | worker processes |
| `GUNICORN_THREADS` | 1 | threads per worker; above 1 the worker class becomes `gthread` |
| `GUNICORN_WORKER_CLASS` | `sync` (or `gthread` with threads) | gunicorn worker class |
| `GUNICORN_TIMEOUT` | 30 | seconds before a silent worker is restarted |
| `GUNICORN_KEEPALIVE` | 5 | seconds an idle keep-alive connection stays open (gthread) |
| `GUNICORN_MAX_REQUESTS` | 2000 | recycle a worker after this many requests (0: never) |
| `GUNICORN_ACCESS_LOG` | (off) | `-` for standard output, or a file |
| `FORWARDED_ALLOW_IPS` | `127.0.0.1,::1` | proxies whose X-Forwarded-* headers are trusted |
| `GUNICORN_CONTROL_SOCKET` | (gunicorn's default) | `off` disables gunicorn 27's control socket |

Sync workers suit this app: each request is short and bound to the database; a slow client is
the proxy's problem (run nginx, a load balancer or the CDN in front, which buffer requests and
responses). With several app servers behind a load balancer, use the same settings on each.
"""

from __future__ import annotations

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
workers = _int("GUNICORN_WORKERS", _int("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = _int("GUNICORN_THREADS", 1)
worker_class = os.environ.get("GUNICORN_WORKER_CLASS") or ("gthread" if threads > 1 else "sync")
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
preload_app = os.environ.get("GUNICORN_PRELOAD", "").lower() in {"1", "true", "yes", "on"}
# Heartbeat files on a RAM disk where there is one (a slow disk can stall workers).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
if os.environ.get("GUNICORN_CONTROL_SOCKET", "").lower() in {"off", "0", "false", "no"}:
    control_socket_disable = True
elif os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
wsgi_app = "editorial.wsgi:application"

"""gunicorn settings for the backend container and the native deployment test.

Run with: gunicorn -c infra/gunicorn.conf.py website.wsgi
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Synchronous workers: requests are short and the database is the bottleneck.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
timeout = 30
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so that a slow leak cannot grow without bound (0: never; the
# benchmark's memory check turns it off to see whether a worker keeps growing).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 1000))
max_requests_jitter = 100
# nginx logs requests; gunicorn's access log would only repeat them (with ticket URLs).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# No control socket: it would live in $HOME, read-only in the container, and nothing uses it.
control_socket_disable = True

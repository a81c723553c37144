"""gunicorn settings for the backend container and the native deployment test.

Run with: gunicorn -c infra/gunicorn.conf.py website.wsgi
"""

import multiprocessing
import os

from gunicorn.glogging import Logger

from booking.redaction import RedactTokens

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
# nginx logs requests; gunicorn's access log would only repeat them. Off unless asked for
# (GUNICORN_ACCESS_LOG: "-" for standard output, or a file).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# No control socket: it would live in $HOME, read-only in the container, and nothing uses it.
control_socket_disable = True


class RedactingLogger(Logger):
    """gunicorn's logger, with booking tokens redacted from its error and access logs.

    gunicorn writes request lines where Django's LOGGING never sees them: in its access log, and
    in its error log when it refuses a malformed request. Filtering the handlers gunicorn builds
    covers whichever destinations its settings choose (file, stream or syslog).
    """

    def setup(self, cfg):
        super().setup(cfg)
        for handler in self.error_log.handlers + self.access_log.handlers:
            handler.addFilter(RedactTokens())


logger_class = RedactingLogger

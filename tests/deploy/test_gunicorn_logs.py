"""gunicorn's own logs keep booking tokens out: its error log, and its access log when turned on.

gunicorn writes request lines where Django's LOGGING never sees them: in its access log, and in
its error log when it refuses a malformed request. A real gunicorn with infra/gunicorn.conf.py
proves it; the requests sent need no database tables, so a fresh SQLite file serves both passes.
"""

import os
import runpy
import secrets
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from infra.native_stack import free_port

BASE_DIR = Path(__file__).resolve().parents[2]
GUNICORN_CONF = BASE_DIR / "infra" / "gunicorn.conf.py"
TOKEN = secrets.token_urlsafe(32)


def request(line, *headers):
    """A request exactly as written: gunicorn must see the bytes a client or scanner sends."""
    return "\r\n".join([line, "Host: localhost", *headers, "", ""]).encode()


def status_line(port, raw_request):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(raw_request)
        response = b""
        while chunk := connection.recv(65536):
            response += chunk
    return response.split(b"\r\n", 1)[0].decode()


@contextmanager
def running_gunicorn(tmp_path, **environment):
    """One gunicorn worker on a free loopback port; yields the port and the file of its output."""
    port = free_port()
    output = tmp_path / "gunicorn.log"
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "ENV_FILE": str(tmp_path / "no.env"),
        "DJANGO_SETTINGS_MODULE": "website.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "localhost",
        # django-environ drops one leading slash of the path: four make it absolute.
        "DATABASE_URL": f"sqlite:////{tmp_path / 'db.sqlite3'}",
        "STATIC_ROOT": str(tmp_path / "static"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "LOG_LEVEL": "INFO",
        **environment,
    }
    with open(output, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "website.wsgi"],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if status_line(port, request("GET /healthz HTTP/1.1")).endswith("200 OK"):
                        break
                except OSError:
                    pass  # not listening yet
                assert process.poll() is None, output.read_text()
                assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
                time.sleep(0.3)
            yield port, output
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def test_gunicorn_keeps_no_access_log_unless_the_environment_asks(monkeypatch):
    monkeypatch.delenv("GUNICORN_ACCESS_LOG", raising=False)
    assert runpy.run_path(str(GUNICORN_CONF))["accesslog"] is None
    monkeypatch.setenv("GUNICORN_ACCESS_LOG", "-")
    assert runpy.run_path(str(GUNICORN_CONF))["accesslog"] == "-"


def test_gunicorn_redacts_tokens_in_its_error_and_access_logs(tmp_path):
    with running_gunicorn(tmp_path, GUNICORN_ACCESS_LOG="-") as (port, output):
        # An emailed link behind nginx, with a mangled QR URL as its Referer: the access log.
        link = request(
            f"GET /b/{TOKEN}/ HTTP/1.1",
            "X-Forwarded-Proto: https",
            f"Referer: https://localhost/t/{TOKEN}%E2%80%8B/",
        )
        assert status_line(port, link) == "HTTP/1.1 302 Found"
        # Requests gunicorn refuses before Django sees them: its error log quotes their lines.
        for line in [
            f"GET /b/{TOKEN}/",  # no HTTP version
            f"GET /t/{TOKEN}\x00/ HTTP/1.1",
            f"GET /b/€{TOKEN} HTTP/1.1",
        ]:
            assert status_line(port, request(line)).startswith("HTTP/1.1 400"), line
        # Headers gunicorn refuses (a request smuggling attempt): its access log records the line.
        near_token = request(
            f"GET /b/{TOKEN[:-1]}/ HTTP/1.1", "Content-Length: 1", "Transfer-Encoding: chunked"
        )
        assert status_line(port, near_token).startswith("HTTP/1.1 400")

    logs = output.read_text(errors="replace")
    for start in range(len(TOKEN) - 11):
        assert TOKEN[start : start + 12] not in logs, logs
    assert '"GET /b/[redacted]/ HTTP/1.1" 302' in logs, logs
    assert '"https://localhost/t/[redacted]/"' in logs, logs
    assert "Invalid HTTP request line: 'GET /b/[redacted]/'" in logs, logs
    assert '"GET /b/[redacted]/ HTTP/1.1" 400' in logs, logs

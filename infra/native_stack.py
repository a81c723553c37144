"""The production topology on one machine: PostgreSQL, gunicorn backends, nginx in front,
and the email worker.

The same files as the Compose deployment (infra/gunicorn.conf.py, the nginx template), on
loopback ports. Used by the deployment tests (tests/deploy/) and the benchmark (bench/run.py).
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests

BASE_DIR = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
MIME_TYPES = "/etc/nginx/mime.types"
SERVER_NAME = "localhost"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url, timeout=60, **kwargs):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return requests.get(url, timeout=10, **kwargs)
        except (requests.ConnectionError, requests.Timeout):
            # Not listening yet, or still importing the application on its first request.
            time.sleep(0.3)
    raise TimeoutError(url)


def as_role(server_url, role, password):
    """The server URL with another user and password (hex, so nothing needs quoting)."""
    parts = urlsplit(server_url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{role}:{password}@{host}"))


# The email worker polls the outbox often, so that the tests need not wait for it.
WORKER_ARGS = ("--interval", "0.2")


def psql(url, sql):
    subprocess.run(["psql", url, "-qc", sql], check=True)


def render_template(path, values):
    """What nginx's Docker image does with templates: substitute the ${NGINX_*} variables."""
    text = Path(path).read_text()
    rendered = re.sub(r"\$\{(NGINX_[A-Z_]+)\}", lambda match: values[match.group(1)], text)
    assert "${NGINX_" not in rendered
    return rendered


@dataclass
class Stack:
    https: str
    http_port: int
    https_port: int
    backend_ports: list
    workdir: Path
    env: dict
    processes: list = field(default_factory=list)
    # The superuser's server URL (no database), for what the application may not do.
    maintenance_url: str = ""
    # The application's role, which owns the stack's database and nothing else.
    app_role: str = ""

    @property
    def mail_dir(self):
        return self.workdir / "mail"

    def session(self):
        session = requests.Session()
        # The certificate is self-signed; and no proxy or CA bundle from the environment.
        session.trust_env = False
        session.verify = False
        return session

    def logs(self):
        """Every log the stack wrote: nginx's, gunicorn's, the email worker's, and Django's
        (in gunicorn's and the worker's output)."""
        return "\n".join(
            path.read_text(errors="replace")
            for path in self.workdir.glob("logs/*")
            if path.is_file()
        )

    def manage(self, *args):
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
        )


@contextmanager
def running_stack(
    database_url,
    workdir,
    *,
    backends=2,
    workers=2,
    max_requests=1000,
    public_post_rate="10r/m",
    public_post_burst=5,
    cors_allowed_origins=(),
):
    """Start a fresh database, `backends` gunicorns, the email worker and nginx; stop and drop
    them afterwards.

    As in production, the application connects as a role of its own that owns the database
    and may do nothing else (no superuser, no CREATEDB, no CREATEROLE): `database_url`'s user,
    which must be allowed to create roles and databases, only sets them up and drops them.

    `cors_allowed_origins`: the sites whose scripts may read the API (CORS_ALLOWED_ORIGINS);
    none by default, as in production until some are set.
    """
    workdir = Path(workdir)
    for folder in ("logs", "static", "media", "mail", "nginx", "tls"):
        (workdir / folder).mkdir(exist_ok=True)

    # A fresh database on the same PostgreSQL server, owned by a fresh role.
    suffix = uuid.uuid4().hex[:8]
    database, role, password = (
        f"azionelab_deploy_{suffix}",
        f"azionelab_app_{suffix}",
        uuid.uuid4().hex,
    )
    server_url = database_url.rsplit("/", 1)[0]
    maintenance = f"{server_url}/postgres"
    psql(
        maintenance,
        f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password}' "
        "NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS",
    )

    processes, logs = [], []
    try:
        psql(maintenance, f'CREATE DATABASE "{database}" OWNER "{role}"')
        psql(maintenance, f'REVOKE ALL ON DATABASE "{database}" FROM PUBLIC')
        https_port, http_port = free_port(), free_port()
        backend_ports = [free_port() for _ in range(backends)]
        https = f"https://{SERVER_NAME}:{https_port}"
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(workdir),
            "ENV_FILE": str(workdir / "no.env"),
            "DJANGO_SETTINGS_MODULE": "website.settings",
            "DEBUG": "false",
            "SECRET_KEY": f"deploy-test-{uuid.uuid4().hex}{uuid.uuid4().hex}",
            "ALLOWED_HOSTS": SERVER_NAME,
            "CSRF_TRUSTED_ORIGINS": https,
            "WAGTAILADMIN_BASE_URL": https,
            "DATABASE_URL": f"{as_role(server_url, role, password)}/{database}",
            # django-environ drops one leading slash of the path: four make it absolute.
            "EMAIL_URL": f"filemail:///{workdir / 'mail'}",
            "STATIC_ROOT": str(workdir / "static"),
            "MEDIA_ROOT": str(workdir / "media"),
            "LANGUAGE_CODE": "en",
            "GUNICORN_WORKERS": str(workers),
            "GUNICORN_MAX_REQUESTS": str(max_requests),
            "LOG_LEVEL": "INFO",
            "CORS_ALLOWED_ORIGINS": ",".join(cors_allowed_origins),
        }
        stack = Stack(
            https, http_port, https_port, backend_ports, workdir, env, processes, server_url, role
        )
        stack.manage("migrate", "--noinput")
        stack.manage("collectstatic", "--noinput")
        stack.manage("load_demo", "--force")

        for port in backend_ports:
            log = open(workdir / "logs" / f"gunicorn-{port}.log", "w")  # noqa: SIM115
            logs.append(log)
            stack.processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "-c",
                        str(BASE_DIR / "infra" / "gunicorn.conf.py"),
                        "website.wsgi",
                    ],
                    cwd=BASE_DIR,
                    env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )

        # After the gunicorns, which bench/run.py finds first in `processes`. A short interval,
        # so that a test waits a fraction of a second for an email, not the default second.
        logs.append(open(workdir / "logs" / "worker.log", "w"))  # noqa: SIM115
        stack.processes.append(
            subprocess.Popen(
                # As in Compose: below the web's CPU priority (docs/performance.md).
                ["nice", "-n", "10", sys.executable, "manage.py", "email_worker", *WORKER_ARGS],
                cwd=BASE_DIR,
                env=env,
                stdout=logs[-1],
                stderr=subprocess.STDOUT,
            )
        )

        subprocess.run(
            [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                "-subj", f"/CN={SERVER_NAME}",
                "-keyout", str(workdir / "tls" / "privkey.pem"),
                "-out", str(workdir / "tls" / "fullchain.pem"),
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip
        site = render_template(
            BASE_DIR / "infra" / "nginx" / "azionelab.conf.template",
            {
                "NGINX_SERVER_NAME": SERVER_NAME,
                "NGINX_HTTP_PORT": str(http_port),
                "NGINX_HTTPS_PORT": str(https_port),
                "NGINX_UPSTREAM_SERVERS": " ".join(f"server 127.0.0.1:{p};" for p in backend_ports),
                "NGINX_TLS_CERTIFICATE": str(workdir / "tls" / "fullchain.pem"),
                "NGINX_TLS_KEY": str(workdir / "tls" / "privkey.pem"),
                "NGINX_STATIC_ROOT": str(workdir / "static"),
                "NGINX_MEDIA_ROOT": str(workdir / "media"),
                "NGINX_LOG_DIR": str(workdir / "logs"),
                "NGINX_CACHE_DIR": str(workdir / "cache"),
                "NGINX_PUBLIC_POST_RATE": public_post_rate,
                "NGINX_PUBLIC_POST_BURST": str(public_post_burst),
            },
        )
        nginx_dir = workdir / "nginx"
        (nginx_dir / "azionelab.conf").write_text(site)
        # The main file that Debian's package or the Docker image would otherwise provide.
        (nginx_dir / "nginx.conf").write_text(
            # Run as root (CI), the workers would become "nobody" and could not read the test's
            # private temporary folder.
            ("user root;\n" if os.geteuid() == 0 else "")
            + f"""
            pid {nginx_dir}/nginx.pid;
            error_log {workdir}/logs/error.log warn;
            events {{ worker_connections 256; }}
            http {{
                include {MIME_TYPES};
                default_type application/octet-stream;
                client_body_temp_path {nginx_dir}/body;
                proxy_temp_path {nginx_dir}/proxy;
                fastcgi_temp_path {nginx_dir}/fastcgi;
                uwsgi_temp_path {nginx_dir}/uwsgi;
                scgi_temp_path {nginx_dir}/scgi;
                sendfile on;
                include {nginx_dir}/azionelab.conf;
            }}
            """
        )
        logs.append(open(workdir / "logs" / "nginx-stdout.log", "w"))  # noqa: SIM115
        nginx = subprocess.Popen(
            [NGINX, "-p", str(nginx_dir), "-c", str(nginx_dir / "nginx.conf"), "-g", "daemon off;"],
            stdout=logs[-1],
            stderr=subprocess.STDOUT,
        )
        stack.processes.append(nginx)

        for port in backend_ports:
            wait_for(f"http://127.0.0.1:{port}/healthz", headers={"Host": SERVER_NAME})
        wait_for(f"{https}/healthz", verify=False)
        yield stack
    finally:
        # Also when the set-up failed half way: no stray server, no leftover database.
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs:
            log.close()
        for statement in (f'DROP DATABASE IF EXISTS "{database}"', f'DROP ROLE IF EXISTS "{role}"'):
            subprocess.run(["psql", maintenance, "-qc", statement], check=False)

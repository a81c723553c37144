"""Database faults for the fault tests: kill a PostgreSQL connection, refuse new ones."""

import contextlib

import pytest
from django.db import connection

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="kills server processes with pg_terminate_backend: a PostgreSQL fault",
)


def backend_pid():
    """The server process behind this thread's database connection (opened if need be)."""
    connection.ensure_connection()
    return connection.connection.info.backend_pid


def terminate(pid):
    """End a server process from another connection, as a database restart or an operator
    would, and wait until it is gone."""
    import psycopg

    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
        dbname=settings["NAME"],
        autocommit=True,
    ) as other:
        ended = other.execute("SELECT pg_terminate_backend(%s, 5000)", [pid]).fetchone()[0]
    assert ended, f"server process {pid} did not end"


def kill_this_connection():
    terminate(backend_pid())


@contextlib.contextmanager
def refusing_connections():
    """New connections to the database fail while the block runs, as when the server is down:
    on PostgreSQL a closed port, on SQLite a file that cannot be opened."""
    from tests.faults.smtp import closed_port

    settings = connection.settings_dict
    key, outage = (
        ("PORT", closed_port())
        if connection.vendor == "postgresql"
        else ("NAME", "/nonexistent-directory/database.sqlite3")
    )
    saved = settings[key]
    connection.close()
    settings[key] = outage
    try:
        yield
    finally:
        # The database is back; the site is left to find out by itself.
        settings[key] = saved

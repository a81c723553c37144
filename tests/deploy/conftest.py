"""The production topology, natively, for the deployment tests (see infra/native_stack.py).

Runs in the PostgreSQL pass of `make test`.
"""

import os

import pytest

from infra.native_stack import NGINX, running_stack


@pytest.fixture(scope="session")
def deployment_database_url():
    """The PostgreSQL server a stack makes its fresh database on; skips the test without one
    or without nginx."""
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        pytest.skip("the deployment topology runs in the PostgreSQL pass (DATABASE_URL)")
    if not os.path.exists(NGINX):
        if os.environ.get("CI"):
            pytest.fail("nginx is missing: .ci/run installs Debian's nginx package")
        pytest.skip("needs Debian's nginx (apt-get install nginx)")
    return database_url


@pytest.fixture(scope="session")
def stack(deployment_database_url, tmp_path_factory):
    # A burst of 10 public POSTs: room for the tests before the one that exhausts it.
    workdir = tmp_path_factory.mktemp("deploy")
    with running_stack(deployment_database_url, workdir, public_post_burst=10) as stack:
        yield stack

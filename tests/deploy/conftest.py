"""The production topology, natively, for the deployment tests (see infra/native_stack.py).

Runs in the PostgreSQL pass of `make test`.
"""

import os

import pytest

from infra.native_stack import NGINX, running_stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        pytest.skip("the deployment topology runs in the PostgreSQL pass (DATABASE_URL)")
    if not os.path.exists(NGINX):
        if os.environ.get("CI"):
            pytest.fail("nginx is missing: .ci/run installs Debian's nginx package")
        pytest.skip("needs Debian's nginx (apt-get install nginx)")
    with running_stack(database_url, tmp_path_factory.mktemp("deploy")) as stack:
        yield stack

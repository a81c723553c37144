"""A database that refuses connections for a while: the site answers a standalone error page
(no query needed), the health check says 503, and once the database is back the site works
again without a restart.

Fault injected: every new database connection fails (PostgreSQL: a closed port; SQLite: a
file that cannot be opened) for one page view, one booking and one health check.
"""

import json

import pytest

from booking.models import Reservation
from tests.faults.database import refusing_connections
from tests.faults.visitor import page

pytestmark = pytest.mark.django_db(transaction=True)


def assert_standalone_error_page(response):
    # 500 today; a 503 "temporarily unavailable" page would pass too.
    assert response.status_code in (500, 503)
    error_page = page(response).select_one("main.error-page")
    assert error_page is not None
    assert error_page.select_one(".error-page__code").get_text(strip=True) == str(
        response.status_code
    )
    assert error_page.find("h1")


def test_the_site_answers_an_error_page_while_the_database_refuses_and_recovers_by_itself(
    visitor, performance
):
    show_page = performance.show.url
    assert visitor.get(show_page).status_code == 200

    with refusing_connections():
        assert_standalone_error_page(visitor.get(show_page))
        assert_standalone_error_page(visitor.book(performance))
        health = visitor.get("/healthz")
        assert health.status_code == 503
        assert json.loads(health.content) == {"status": "unavailable", "database": "error"}

    assert visitor.get(show_page).status_code == 200
    assert visitor.get("/healthz").status_code == 200
    assert visitor.book(performance).status_code == 302
    assert Reservation.objects.count() == 1

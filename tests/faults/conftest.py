"""Fixtures of the fault tests: a performance in committed data, a visitor, mail servers."""

import pytest

from tests.booking.factories import make_performance
from tests.faults.smtp import ACCEPT, HANG, SMTPResponder
from tests.faults.visitor import Visitor
from tests.website.factories import ensure_home_page, make_show, make_show_index

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


@pytest.fixture
def performance(transactional_db):
    show = make_show(make_show_index(ensure_home_page()))
    return make_performance(show, venue_capacity=50)


@pytest.fixture
def visitor(transactional_db):
    return Visitor()


def use_mail_server(settings, port, timeout=2):
    """Send email over SMTP to 127.0.0.1:`port`, as production does (EMAIL_URL=smtp://…)."""
    settings.EMAIL_BACKEND = SMTP_BACKEND
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = timeout


@pytest.fixture
def mail_server(settings):
    """A working mail server that records what it accepts; the site sends to it."""
    with SMTPResponder(ACCEPT) as server:
        use_mail_server(settings, server.port)
        yield server


@pytest.fixture
def hung_mail_server(settings):
    """A mail server that accepts connections and never answers; the site sends to it."""
    with SMTPResponder(HANG) as server:
        use_mail_server(settings, server.port, timeout=1)
        yield server

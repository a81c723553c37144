"""Raw tokens never reach a log line or the database."""

import io
import logging

import pytest
from django.core.management import call_command
from django.urls import reverse

from booking.redaction import redact
from booking.tokens import ticket_token
from tests.booking.factories import after_commit, book, make_performance

pytestmark = pytest.mark.django_db


def test_a_full_book_confirm_cancel_flow_logs_no_raw_token(client, home_page, log_output):
    performance = make_performance()
    with after_commit():
        client.post(
            reverse("booking:book", args=[performance.show.pk]),
            {
                "performance": performance.pk,
                "name": "Ada Lovelace",
                "email": "ada@example.org",
                "seats": 2,
                "privacy_acknowledged": "on",
            },
        )
    from django.core import mail

    link_token = mail.outbox[0].body.split("/b/")[1].split("/")[0]
    client.get(f"/b/{link_token}/")
    with after_commit():
        client.post("/booking/reservation/confirm/")
    from booking.models import Reservation

    door_token = ticket_token(Reservation.objects.get().ticket_nonce)
    client.get(f"/t/{door_token}/")
    with after_commit():
        client.post("/booking/reservation/cancel/")
    # 404s: Django logs their paths.
    assert client.get(f"/b/{link_token}/extra/").status_code == 404
    assert client.get(f"/t/{'z' * 43}/").status_code == 404
    assert client.get(f"/t/{door_token}/").status_code == 200

    output = log_output.getvalue()
    assert "Not Found: /b/[redacted]/extra/" in output
    assert "Not Found: /t/[redacted]/" in output
    assert link_token not in output
    assert door_token not in output


def test_an_exception_mentioning_a_token_is_redacted_in_its_traceback(log_output):
    token = "A" * 43
    try:
        raise ValueError(f"bad token {token}")
    except ValueError:
        logging.getLogger("django.request").exception("Internal Server Error: /b/%s/", token)
    output = log_output.getvalue()
    assert token not in output
    assert "ValueError: bad token [redacted]" in output


def test_redaction_leaves_longer_words_such_as_hashes_alone():
    digest = "a" * 64
    assert redact(f"hash {digest}") == f"hash {digest}"


TOKEN = "Kq9_-" + "x7" * 19


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (f"GET /b/{TOKEN}/ HTTP/1.1", "GET /b/[redacted]/ HTTP/1.1"),
        (f"Not Found: /b/{TOKEN}x/extra/", "Not Found: /b/[redacted]/extra/"),
        (f"Not Found: /t/{TOKEN[:-1]}/", "Not Found: /t/[redacted]/"),
        (f"GET /b/{TOKEN}%E2%80%8B/?utm=mail HTTP/1.1", "GET /b/[redacted]/?utm=mail HTTP/1.1"),
        (f"GET //b//%E2%82%AC{TOKEN} HTTP/1.1", "GET //b//[redacted] HTTP/1.1"),
        (
            f"Invalid HTTP request line: 'GET /t/{TOKEN}\\x00/'",
            "Invalid HTTP request line: 'GET /t/[redacted]/'",
        ),
        (
            f'"-" "https://example.org/B/{TOKEN}€" "Mozilla"',
            '"-" "https://example.org/B/[redacted]" "Mozilla"',
        ),
        (f"door code {TOKEN}.", "door code [redacted]."),
    ],
)
def test_redaction_hides_what_follows_b_or_t_in_a_url_and_any_exact_token(line, expected):
    assert redact(line) == expected


def test_a_database_dump_contains_no_raw_token(home_page):
    performance = make_performance()
    pending = book(performance)
    confirmed = book(performance)
    from booking import services

    with after_commit():
        services.confirm(confirmed.token)
    confirmed.reservation.refresh_from_db()
    door_token = ticket_token(confirmed.reservation.ticket_nonce)

    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    for token in (pending.token, confirmed.token, door_token):
        assert token not in dump.getvalue()

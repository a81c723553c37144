"""The URLs and cookies that carry a token, under hostile input: /b/ and /t/, and the booker's
pages with any booking_link and booking_request cookie, garbage or validly signed.

No request may get a 5xx, and none may change a booking but the one a validly signed cookie
names, in the way its page may (confirm, cancel, send a new link).
"""

import datetime
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.http import HttpResponse
from django.utils import timezone
from hypothesis import event, example, given
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase
from wagtail.models import ModelLogEntry

from booking import services
from booking.http import COOKIE_SALT, LINK_COOKIE, REQUEST_COOKIE
from booking.models import Reservation, ReservationStatus
from booking.tokens import ticket_token
from tests.booking.factories import book, book_and_confirm, make_performance
from tests.fuzz.harness import (
    Rows,
    as_wire_bytes,
    as_wsgi,
    assert_wrote_nothing,
    browser,
    path_segment,
    send,
)
from tests.fuzz.strategies import (
    FormEncoding,
    any_character,
    any_text,
    field_value,
    form_encoding,
    number_text,
)
from tests.staff import staff

TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
BOOKINGS = ["pending", "confirmed", "cancelled", "pending, link expired", "checked in"]
CSRF_TOKEN = "fuzz" * 8  # a CSRF secret: 32 letters and digits
PLAIN = FormEncoding("form")


@dataclass(frozen=True)
class RealToken:
    """A booking's real token, maybe edited: cut short, one character replaced, or extended."""

    booking: str
    edit: str = ""
    position: int = 0
    character: str = "A"

    def apply(self, token):
        position = self.position % (len(token) + 1)
        if self.edit == "cut":
            return token[:position]
        if self.edit == "replace":
            return token[:position] + self.character + token[position + 1 :]
        if self.edit == "extend":
            return token + self.character
        return token


@dataclass(frozen=True)
class BookingId:
    """A booking's id, as the booking_request cookie holds it, maybe with an old flag."""

    booking: str
    suffix: str = ""


@dataclass(frozen=True)
class CookieValue:
    """What a browser sends back: `value` as is, or signed as booking/http.py signs it, for
    this cookie or another one, maybe truncated by `cut` characters."""

    how: str
    value: object
    cut: int = 0


real_token = st.one_of(
    st.builds(RealToken, st.sampled_from(BOOKINGS)),
    st.builds(
        RealToken,
        st.sampled_from(BOOKINGS),
        st.sampled_from(["cut", "replace", "extend"]),
        st.integers(0, 43),
        any_character,
    ),
)
token_text = st.one_of(
    real_token,
    st.text(TOKEN_ALPHABET, min_size=43, max_size=43),
    st.text(TOKEN_ALPHABET, max_size=60),
    any_text,
    st.binary(max_size=60),
)
booking_id = st.one_of(
    st.builds(BookingId, st.sampled_from(BOOKINGS)),
    st.builds(BookingId, st.sampled_from(BOOKINGS), st.sampled_from([":0", ":1", ":", "::"])),
)


def cookie_values(values):
    return st.one_of(
        st.builds(CookieValue, st.just("signed"), values),
        st.builds(CookieValue, st.just("signed"), values),
        st.builds(CookieValue, st.just("signed, truncated"), values, st.integers(1, 80)),
        st.builds(CookieValue, st.just("signed for the other cookie"), values),
        st.builds(CookieValue, st.just("as is"), st.one_of(values, any_text)),
    )


link_cookie = cookie_values(token_text)
request_cookie = cookie_values(st.one_of(booking_id, number_text, any_text))
cookie_jar = st.lists(
    st.one_of(
        st.tuples(st.just(LINK_COOKIE), link_cookie),
        st.tuples(st.just(REQUEST_COOKIE), request_cookie),
        st.tuples(
            st.sampled_from(["messages", "sessionid", "csrftoken"]) | any_text,
            st.builds(CookieValue, st.just("as is"), any_text),
        ),
    ),
    max_size=4,
)

READING = [
    ("GET", "/booking/reservation/"),
    ("HEAD", "/booking/reservation/"),
    ("GET", "/booking/reservation/cancel/"),
    ("GET", "/booking/reservation/calendar.ics"),
    ("GET", "/booking/check-your-email/"),
    ("HEAD", "/booking/check-your-email/"),
]
CONFIRM = ("POST", "/booking/reservation/confirm/")
CANCEL = ("POST", "/booking/reservation/cancel/")
RESEND = ("POST", "/booking/check-your-email/resend/")
WRONG_METHODS = [
    ("GET", CONFIRM[1]),
    ("PUT", CANCEL[1]),
    ("GET", RESEND[1]),
    ("POST", "/booking/reservation/calendar.ics"),
    ("DELETE", "/booking/reservation/"),
]
# What each page may do to the booking its cookie names: (statuses before, statuses after).
STATUS_CHANGES = {
    CONFIRM: (
        {ReservationStatus.PENDING},
        {ReservationStatus.CONFIRMED, ReservationStatus.EXPIRED},
    ),
    CANCEL: (
        {ReservationStatus.PENDING, ReservationStatus.CONFIRMED},
        {ReservationStatus.CANCELLED},
    ),
}


class TokenFuzzTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        performance = make_performance(venue_capacity=20, days_from_now=0.2)
        booked = {
            "pending": book(performance),
            "confirmed": book_and_confirm(performance),
            "cancelled": book_and_confirm(performance),
            "pending, link expired": book(performance),
            "checked in": book_and_confirm(performance),
        }
        services.cancel(booked["cancelled"].reservation.pk)
        Reservation.objects.filter(pk=booked["pending, link expired"].reservation.pk).update(
            link_expires_at=timezone.now() - datetime.timedelta(minutes=1)
        )
        Reservation.objects.filter(pk=booked["checked in"].reservation.pk).update(
            checked_in_at=timezone.now()
        )
        cls.link_tokens = {name: b.token for name, b in booked.items()}
        cls.reservation_ids = {name: b.reservation.pk for name, b in booked.items()}
        cls.ticket_tokens = {
            name: ticket_token(b.reservation.ticket_nonce) for name, b in booked.items()
        }
        cls.door_staff_id = staff("Door staff").pk

    def token(self, value, tokens):
        if isinstance(value, RealToken):
            return value.apply(tokens[value.booking])
        return value

    def cookie_text(self, value):
        if isinstance(value, RealToken):
            return self.token(value, self.link_tokens)
        if isinstance(value, BookingId):
            return f"{self.reservation_ids[value.booking]}{value.suffix}"
        return value

    def cookie(self, name, cookie):
        """(header text, the booking it validly names, if any)."""
        text = self.cookie_text(cookie.value)
        if cookie.how == "as is":
            return as_wsgi(text), None
        # Only what the site could have signed: text it read from a request, valid Unicode.
        text = as_wire_bytes(text).decode("utf-8", "replace")
        signed_for = {LINK_COOKIE: REQUEST_COOKIE, REQUEST_COOKIE: LINK_COOKIE}.get(name, name)
        response = HttpResponse()
        response.set_signed_cookie(
            name if cookie.how != "signed for the other cookie" else signed_for,
            text,
            salt=COOKIE_SALT,
        )
        coded = as_wsgi(next(iter(response.cookies.values())).coded_value)
        if cookie.how == "signed, truncated":
            return coded[: -cookie.cut], None
        return coded, self.named_booking(name, cookie)

    def named_booking(self, name, cookie):
        """The reservation a validly signed cookie names: only the real, unedited ones."""
        value = cookie.value
        if cookie.how != "signed":
            return None
        if name == LINK_COOKIE and isinstance(value, RealToken) and not value.edit:
            return self.reservation_ids[value.booking]
        if name == REQUEST_COOKIE and isinstance(value, BookingId):
            return self.reservation_ids[value.booking]
        return None

    @given(method=st.sampled_from(["GET", "HEAD"]), token=token_text)
    @example("GET", "\u03c4\u03b1\u03c5")  # beyond ISO-8859-1, which headers are written in
    def test_the_emailed_link_changes_nothing_and_its_cookie_opens_the_booking(self, method, token):
        token = self.token(token, self.link_tokens)
        before = Rows.now()
        response = send(browser(), method, f"/b/{path_segment(token)}/")
        assert_wrote_nothing(before, response)
        if response.status_code != 302:
            return
        assert response["Location"] == "/booking/reservation/"
        # The browser follows with the cookie it was given.
        cookie = f"{LINK_COOKIE}={response.cookies[LINK_COOKIE].coded_value}"
        page = send(browser(), "GET", "/booking/reservation/", HTTP_COOKIE=cookie)
        assert_wrote_nothing(before, page)
        if token in self.link_tokens.values():
            assert page.status_code == 200, "a real link did not open its booking"

    @given(token=token_text, as_door_staff=st.booleans(), method=st.sampled_from(["GET", "HEAD"]))
    def test_the_ticket_code_url_changes_nothing(self, token, as_door_staff, method):
        client = browser()
        if as_door_staff:
            client.force_login(User.objects.get(pk=self.door_staff_id))
        token = self.token(token, self.ticket_tokens)
        before = Rows.now()
        response = send(client, method, f"/t/{path_segment(token)}/")
        assert_wrote_nothing(before, response)

    @given(
        page=st.sampled_from([*READING, CONFIRM, CANCEL, RESEND, *WRONG_METHODS]),
        cookies=cookie_jar,
        csrf=st.sampled_from(["header", "field", "none"]),
        fields=st.lists(st.tuples(any_text, field_value), max_size=3),
        encoding=form_encoding,
    )
    # A digit str.isdigit() accepts and int() refuses, signed as the site would sign an id.
    @example(READING[4], [(REQUEST_COOKIE, CookieValue("signed", "\u00b2"))], "header", [], PLAIN)
    def test_the_bookers_pages_change_only_the_booking_a_signed_cookie_names(
        self, page, cookies, csrf, fields, encoding
    ):
        header = [f"csrftoken={CSRF_TOKEN}"]
        named = {LINK_COOKIE: set(), REQUEST_COOKIE: set()}
        for name, value in cookies:
            text, booking = self.cookie(name, value)
            header.append(f"{as_wsgi(name)}={text}")
            if booking is not None:
                named[name].add(booking)
        if csrf == "field":
            fields = [("csrfmiddlewaretoken", CSRF_TOKEN), *fields]
        body, content_type = encoding.encode(fields) if page[0] == "POST" else (b"", "")
        environ = {"HTTP_X_CSRFTOKEN": CSRF_TOKEN} if csrf == "header" else {}
        before = Rows.now()
        response = send(
            browser(),
            *page,
            body,
            content_type,
            HTTP_COOKIE="; ".join(header),
            **environ,
        )
        if page not in (CONFIRM, CANCEL, RESEND):
            assert_wrote_nothing(before, response)
            return
        targets = named[REQUEST_COOKIE if page == RESEND else LINK_COOKIE]
        event(f"{page[1]} names {len(targets)} bookings")
        self.assert_changed_only(before, page, targets)

    def assert_changed_only(self, before, page, targets):
        """Only `targets` changed, as the page may change them; beside them only their own
        emails and audit entries were added."""
        written = Rows.now().written_since(before)
        for pk, (old, new) in written.pop(Reservation._meta.label, {}).items():
            assert pk in targets, f"{page} changed booking {pk}, not one its cookie names"
            assert old is not None and new is not None, (old, new)
            if page in STATUS_CHANGES:
                statuses_before, statuses_after = STATUS_CHANGES[page]
                assert old["status"] in statuses_before, (old, new)
                assert new["status"] in statuses_after, (old, new)
            else:
                assert old["status"] == new["status"], (old, new)
        for label, rows in written.items():
            for old, new in rows.values():
                assert old is None, f"{label} changed: {old} → {new}"
                if label == ModelLogEntry._meta.label:
                    assert int(new["object_id"]) in targets, new
                elif "reservation_id" in new:
                    assert new["reservation_id"] in targets, new
                else:
                    assert label.startswith("django_tasks_database."), f"{label} added {new}"

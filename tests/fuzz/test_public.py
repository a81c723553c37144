"""The public site under hostile input: the booking form, search, the show pages, any path.

No request may get a 5xx; a refused one writes nothing; an accepted booking writes one pending
reservation (and the email it queues), for a bookable performance of a show anyone may view.
"""

import unicodedata
from dataclasses import dataclass

from django.urls import reverse
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase
from wagtail.models import Page, PageViewRestriction, Site

from booking.models import GroupRequest, Performance, Reservation, ReservationStatus
from tests.booking.factories import book, make_performance
from tests.fuzz.harness import (
    Rows,
    as_wsgi,
    assert_wrote_nothing,
    browser,
    path_segment,
    query_string,
    send,
)
from tests.fuzz.strategies import (
    FormEncoding,
    any_text,
    field_value,
    form_encoding,
    number_text,
    parameters,
    query,
    stray_fields,
)
from tests.website.factories import make_show, make_show_index
from website.models import ShowIndexPage


@dataclass(frozen=True)
class Row:
    """A row the test class creates, named in strategies and resolved to its pk when sent."""

    name: str


OPEN = Row("open performance")
PERFORMANCES = [
    OPEN,
    Row("sold-out performance"),
    Row("hidden performance"),
    Row("cancelled performance"),
    Row("performance whose booking closed"),
    Row("other show's performance"),
    Row("restricted show's performance"),
    Row("unpublished show's performance"),
]
SHOWS = [
    Row("show"),
    Row("restricted show"),
    Row("unpublished show"),
    Row("other show"),
    Row("show index"),
    Row("missing page"),
]
# The shows whose booking form a visitor may send; the others must refuse it.
BOOKABLE_SHOWS = {Row("show"), Row("other show")}
# The only performance with a waiting list to join: the sold-out one.
WAITING_LIST = Row("sold-out performance")
BOOKABLE_PERFORMANCES = {OPEN: Row("show"), Row("other show's performance"): Row("other show")}

# A checkbox a visitor left unticked, however a client spells it.
UNTICKED = {"", "0", "false", "off", "no"}
PENDING_EMAIL = "grace@example.org"

name_value = st.one_of(
    any_text,
    st.just("Grace Hopper"),
    st.text(st.sampled_from("\u200b\u200c\u200d\u2060\ufeff\u00ad \t"), min_size=1),
)
email_value = st.one_of(
    any_text,
    st.emails(),
    st.sampled_from([PENDING_EMAIL, PENDING_EMAIL.upper(), "ada@example.org\x00"]),
    # Longer than the column (254) yet within what a form's EmailField accepts (320).
    st.integers(200, 330).map(lambda length: "a" * (length - 12) + "@example.org"),
)
HOSTILE_VALUES = {
    "performance": st.one_of(st.sampled_from(PERFORMANCES), number_text, any_text),
    "name": name_value,
    "email": email_value,
    "seats": st.one_of(st.sampled_from(["1", "4", "5", "20", "21"]), number_text, any_text),
    "privacy_acknowledged": st.one_of(
        st.sampled_from(["1", "true", "ON", *sorted(UNTICKED)]), any_text
    ),
    "wheelchair_space": st.one_of(st.sampled_from(["on", "ON", "1", "true", "off"]), any_text),
    "website": field_value,
}


VALID_BOOKING = {
    "performance": OPEN,
    "name": "Ada Lovelace",
    "email": "ada@example.org",
    "seats": "2",
    "privacy_acknowledged": "on",
    "wheelchair_space": "",
    "website": "",
}


def valid_booking(**changes):
    """The valid booking's fields with some changed, for the explicit examples."""
    return list({**VALID_BOOKING, **changes}.items())


# A group request: more seats than the open performance's limit (4), a phone and a message.
VALID_GROUP_REQUEST = {
    **VALID_BOOKING,
    "seats": "12",
    "phone": "+39 06 1234 5678",
    "message": "A school class.\nTwo teachers.",
}
GROUP_HOSTILE_VALUES = {
    **HOSTILE_VALUES,
    "seats": st.one_of(
        st.sampled_from(["1", "4", "5", "6", "7", "500", "501", "32768"]), number_text, any_text
    ),
    "phone": st.one_of(
        any_text, st.sampled_from(["", "12345", "+39 (06) 123-456", "1" * 21, "1" * 41])
    ),
    "message": st.one_of(field_value, st.text(min_size=995, max_size=1005)),
}
# The performances a group request may be for, and the show whose page sends it: those open
# for booking, the sold-out one included (a request holds no seats).
GROUP_REQUESTABLE = {**BOOKABLE_PERFORMANCES, WAITING_LIST: Row("show")}


@st.composite
def booking_fields(draw, valid=VALID_BOOKING, hostile=HOSTILE_VALUES):
    """A valid booking (or `valid` form) with a few fields dropped, replaced or repeated, and
    strays added."""
    fields = {name: [value] for name, value in valid.items()}
    for name in draw(st.lists(st.sampled_from(list(fields)), max_size=4)):
        how = draw(st.sampled_from(["replace", "drop", "repeat"]))
        value = draw(hostile[name])
        fields[name] = {"replace": [value], "drop": [], "repeat": [*fields[name], value]}[how]
    pairs = [(name, value) for name, values in fields.items() for value in values]
    return draw(st.permutations(pairs + draw(stray_fields)))


CROSS_SITE = {"cross-site", "same-site"}
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}
PLAIN_FORM = FormEncoding("form")


@st.composite
def fetch_headers(draw):
    """Mostly a browser on this site; otherwise any Sec-Fetch-Site and Origin, or none."""
    if not draw(st.booleans()):
        return SAME_ORIGIN
    site = draw(
        st.sampled_from([None, "same-origin", "none", "same-site", "cross-site", "", "SAME-ORIGIN"])
        | any_text
    )
    origin = draw(
        st.sampled_from(
            [
                None,
                "http://testserver",
                "null",
                "https://elsewhere.example",
                "http://testserver.elsewhere.example",
                "HTTP://TESTSERVER",
            ]
        )
        | any_text
    )
    return {name: value for name, value in [("Sec-Fetch-Site", site), ("Origin", origin)] if value}


def as_environ(headers):
    return {"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()}


def sent_cross_site(headers):
    """What the browser says of a form submitted from another site."""
    site = headers.get("Sec-Fetch-Site")
    if site is not None:
        return site in CROSS_SITE
    origin = headers.get("Origin")
    return origin is not None and origin != "http://testserver"


def is_visible(name):
    return any(unicodedata.category(character)[0] in "LNPS" for character in name)


def lands_on(response, url_name):
    """Whether the form was accepted: redirected to the page its success leads to."""
    return response.status_code == 302 and response["Location"] == reverse(url_name)


def last_value(pairs, name):
    values = [value for key, value in pairs if key == name]
    return values[-1] if values else None


class PublicSiteFuzzTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        home = Site.objects.get(is_default_site=True).root_page.specific
        index = ShowIndexPage.objects.first() or make_show_index(home)
        show, other_show = make_show(index), make_show(index)
        restricted_show, unpublished_show = make_show(index), make_show(index)
        make_show(index, days_from_now=-60, run_days=2)  # in the index's archive
        PageViewRestriction.objects.create(
            page=restricted_show, restriction_type=PageViewRestriction.PASSWORD, password="x"
        )
        performances = {
            OPEN: make_performance(
                show, venue_capacity=20, venue_wheelchair_spaces=1, max_seats_per_booking=4
            ),
            Row("sold-out performance"): make_performance(
                show, venue_capacity=10, manually_occupied_seats=10
            ),
            Row("hidden performance"): make_performance(show, is_hidden=True),
            Row("cancelled performance"): make_performance(show, is_cancelled=True),
            Row("performance whose booking closed"): make_performance(show, days_from_now=0.01),
            Row("other show's performance"): make_performance(other_show),
            Row("restricted show's performance"): make_performance(restricted_show),
            Row("unpublished show's performance"): make_performance(unpublished_show),
        }
        unpublished_show.unpublish()
        book(performances[OPEN], name="Grace Hopper", email=PENDING_EMAIL, seats=2)
        cls.performances = {performance.pk: row for row, performance in performances.items()}
        cls.pks = {row: performance.pk for row, performance in performances.items()}
        cls.pks.update(
            {
                Row("show"): show.pk,
                Row("restricted show"): restricted_show.pk,
                Row("unpublished show"): unpublished_show.pk,
                Row("other show"): other_show.pk,
                Row("show index"): index.pk,
                Row("missing page"): Page.objects.order_by("pk").last().pk + 1000,
            }
        )
        cls.show_url = show.url
        cls.index_url = index.url

    def resolve(self, value):
        return str(self.pks[value]) if isinstance(value, Row) else value

    def prefixed(self, prefix, fields, performance):
        """A show-page form's fields under its prefix, its performance in place of OPEN."""
        return [
            (f"{prefix}-{name}", self.resolve(performance if value == OPEN else value))
            for name, value in fields
        ]

    def post_form(self, url_name, show, pairs, encoding, headers):
        """POST one of the show page's forms for `show`, as a browser with `headers` would."""
        body, content_type = encoding.encode(pairs)
        headers = {name: as_wsgi(value) for name, value in headers.items()}
        url = reverse(url_name, args=[self.pks[show]])
        return send(browser(), "POST", url, body, content_type, **as_environ(headers))

    @given(
        show=st.one_of(st.just(Row("show")), st.sampled_from(SHOWS)),
        fields=booking_fields(),
        encoding=form_encoding,
        headers=fetch_headers(),
    )
    # Inputs that broke the form before: tried first on every run.
    @example(Row("show"), valid_booking(privacy_acknowledged="0"), PLAIN_FORM, SAME_ORIGIN)
    @example(Row("show"), valid_booking(name="\u200b\u200c\u2060"), PLAIN_FORM, SAME_ORIGIN)
    @example(Row("show"), valid_booking(email="a" * 288 + "@example.org"), PLAIN_FORM, SAME_ORIGIN)
    @example(
        Row("restricted show"),
        valid_booking(performance=Row("restricted show's performance")),
        PLAIN_FORM,
        SAME_ORIGIN,
    )
    def test_the_booking_form_never_fails_and_only_a_valid_booking_writes(
        self, show, fields, encoding, headers
    ):
        pairs = [(name, self.resolve(value)) for name, value in fields]
        before = Rows.now()
        response = self.post_form("booking:book", show, pairs, encoding, headers)
        if not lands_on(response, "booking:requested"):
            assert_wrote_nothing(before, response)
            return
        assert show in BOOKABLE_SHOWS, f"booked through {show.name}"
        assert not sent_cross_site(headers), f"booked from another site: {headers}"
        privacy = last_value(pairs, "privacy_acknowledged")
        assert privacy is not None and privacy.strip().lower() not in UNTICKED, (
            f"booked with privacy_acknowledged={privacy!r}"
        )
        wheelchair = last_value(pairs, "wheelchair_space") == "on"
        self.assert_wrote_one_pending_booking(before, show, wheelchair)

    def assert_wrote_one_pending_booking(self, before, show, wheelchair):
        """One reservation added or updated, pending, for a bookable performance of the show;
        beside it only its own queued emails. A repeated identical booking writes nothing."""
        written = Rows.now().written_since(before)
        reservations = written.pop(Reservation._meta.label, {})
        assert len(reservations) <= 1, reservations
        for pk, (__, row) in reservations.items():
            assert row["status"] == ReservationStatus.PENDING, row
            # Only the "on" of a ticked checkbox asks for a wheelchair space.
            assert row["wheelchair_spaces"] == int(wheelchair), row
            performance = self.performances[row["performance_id"]]
            assert BOOKABLE_PERFORMANCES.get(performance) == show, row
            assert is_visible(row["name"]), f"booked under the name {row['name']!r}"
            for label, rows in written.items():
                for old, new in rows.values():
                    assert old is None, f"{label} changed: {old} → {new}"
                    assert new.get("reservation_id", pk) == pk, f"{label} added {new}"
                    assert label.startswith(("booking.", "django_tasks_database.")), label
        if not reservations:
            assert not written, written

    @given(
        show=st.one_of(st.just(Row("show")), st.sampled_from(SHOWS)),
        fields=booking_fields(),
        encoding=form_encoding,
        headers=fetch_headers(),
        performance=st.sampled_from([WAITING_LIST, *PERFORMANCES]),
    )
    @example(Row("show"), valid_booking(), PLAIN_FORM, SAME_ORIGIN, WAITING_LIST)
    def test_the_waiting_list_form_never_fails_and_only_a_valid_place_writes(
        self, show, fields, encoding, headers, performance
    ):
        # The waiting list's form is the booking form under the prefix "waitlist".
        pairs = self.prefixed("waitlist", fields, performance)
        before = Rows.now()
        response = self.post_form("booking:join_waiting_list", show, pairs, encoding, headers)
        if not lands_on(response, "booking:requested"):
            assert_wrote_nothing(before, response)
            return
        assert show == Row("show"), f"joined a line through {show.name}"
        assert not sent_cross_site(headers), f"joined from another site: {headers}"
        written = Rows.now().written_since(before)
        places = written.pop(Reservation._meta.label, {})
        assert len(places) <= 1, places
        for __, row in places.values():
            assert row["status"] == ReservationStatus.JOINING, row
            assert self.performances[row["performance_id"]] == WAITING_LIST, row
            assert is_visible(row["name"]), row

    @given(
        show=st.one_of(st.just(Row("show")), st.sampled_from(SHOWS)),
        fields=booking_fields(VALID_GROUP_REQUEST, GROUP_HOSTILE_VALUES),
        encoding=form_encoding,
        headers=fetch_headers(),
        performance=st.sampled_from(PERFORMANCES),
    )
    @example(Row("show"), list(VALID_GROUP_REQUEST.items()), PLAIN_FORM, SAME_ORIGIN, OPEN)
    @example(
        Row("show"),
        list({**VALID_GROUP_REQUEST, "seats": "4"}.items()),
        PLAIN_FORM,
        SAME_ORIGIN,
        OPEN,
    )
    def test_the_group_request_form_never_fails_and_only_a_valid_request_writes(
        self, show, fields, encoding, headers, performance
    ):
        # The group request's form: the booking form's fields and a phone and a message, under
        # the prefix "group".
        pairs = self.prefixed("group", fields, performance)
        before = Rows.now()
        response = self.post_form("booking:group_request", show, pairs, encoding, headers)
        if not lands_on(response, "booking:group_request_sent"):
            assert_wrote_nothing(before, response)
            return
        assert show in BOOKABLE_SHOWS, f"asked through {show.name}"
        assert not sent_cross_site(headers), f"asked from another site: {headers}"
        privacy = last_value(pairs, "group-privacy_acknowledged")
        assert privacy is not None and privacy.strip().lower() not in UNTICKED, privacy
        written = Rows.now().written_since(before)
        requests = written.pop(GroupRequest._meta.label, {})
        assert len(requests) <= 1, requests
        for pk, (old, row) in requests.items():
            assert old is None, f"a group request changed: {old} → {row}"
            performance = self.performances[row["performance_id"]]
            assert GROUP_REQUESTABLE.get(performance) == show, row
            limit = Performance.objects.get(pk=row["performance_id"]).max_seats_per_booking
            assert row["seats"] > limit, row
            assert is_visible(row["name"]), row
            # Beside it only its own email to the box office, and that email's task.
            for label, rows in written.items():
                for old_row, new in rows.values():
                    assert old_row is None, f"{label} changed: {old_row} → {new}"
                    assert new.get("group_request_id", pk) == pk, f"{label} added {new}"
                    assert new.get("reservation_id") is None, f"{label} added {new}"
                    assert label.startswith(("booking.", "django_tasks_database.")), label
        if not requests:
            assert not written, written

    @given(params=query(q=st.one_of(st.just("show"), any_text), page=field_value))
    @example("q=%00")
    @example("q=%22")  # a lone double quote: a syntax error to SQLite's full-text search
    def test_site_search_never_fails(self, params):
        before = Rows.now()
        response = send(browser(), "GET", "/search/", QUERY_STRING=params)
        assert_wrote_nothing(before, response)

    @given(method=st.sampled_from(["GET", "HEAD"]), params=query(page=field_value))
    def test_the_show_index_never_fails_on_any_page_number(self, method, params):
        before = Rows.now()
        response = send(browser(), method, self.index_url, QUERY_STRING=params)
        assert_wrote_nothing(before, response)

    @given(
        method=st.sampled_from(["GET", "HEAD"]),
        params=parameters(performance=st.one_of(st.sampled_from(PERFORMANCES), field_value)),
    )
    def test_a_show_page_never_fails_on_any_chosen_performance(self, method, params):
        params = query_string([(name, self.resolve(value)) for name, value in params])
        before = Rows.now()
        response = send(browser(), method, self.show_url, QUERY_STRING=params)
        assert_wrote_nothing(before, response)

    @given(
        method=st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "FUZZ"]),
        prefix=st.sampled_from(
            [
                "/",
                "/booking/show/",
                "/search/",
                "/b/",
                "/t/",
                "/booking/",
                "/calendar/show/",
                "/api/v1/",
                "/api/v1/shows/",
            ]
        ),
        segments=st.lists(st.one_of(any_text, number_text, st.binary(max_size=20)), max_size=3),
        slash=st.booleans(),
    )
    def test_any_path_never_fails(self, method, prefix, segments, slash):
        path = prefix + "/".join(path_segment(segment) for segment in segments)
        before = Rows.now()
        response = send(browser(), method, path + "/" * slash, HTTP_SEC_FETCH_SITE="same-origin")
        assert_wrote_nothing(before, response)

    @given(
        method=st.sampled_from(["GET", "HEAD", "OPTIONS"]),
        url=st.sampled_from(["/api/v1/performances/", "/api/v1/shows/", "/api/v1/"]),
        params=parameters(
            show=st.one_of(st.sampled_from(SHOWS), field_value),
            venue=st.one_of(number_text, field_value),
            from_date=st.one_of(st.dates().map(str), field_value),
            to_date=st.one_of(st.dates().map(str), field_value),
            state=st.one_of(st.sampled_from(["open", "sold_out", "closed", "cancelled"]), any_text),
            upcoming=st.one_of(st.sampled_from(["true", "false", "1", "0"]), field_value),
            page=st.one_of(number_text, field_value),
            page_size=st.one_of(number_text, field_value),
        ),
        origin=st.one_of(st.none(), st.just("https://festival.example"), any_text),
    )
    @example("GET", "/api/v1/performances/", [("from_date", "0001-01-01")], None)
    @example("GET", "/api/v1/performances/", [("to_date", "9999-12-31")], None)
    @example("GET", "/api/v1/performances/", [("page_size", "-1"), ("page", "1e9")], None)
    def test_the_api_never_fails_writes_nothing_and_tells_no_booker(
        self, method, url, params, origin
    ):
        params = query_string([(name, self.resolve(value)) for name, value in params])
        headers = {} if origin is None else {"HTTP_ORIGIN": as_wsgi(origin)}
        before = Rows.now()
        response = send(browser(), method, url, QUERY_STRING=params, **headers)
        assert_wrote_nothing(before, response)
        body = response.content.decode(errors="replace")
        assert "Grace Hopper" not in body and PENDING_EMAIL not in body

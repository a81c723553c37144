"""The door's JSON endpoints under hostile input, as door staff logged in to the admin.

No request may get a 5xx. A preview, a search and a refused request write nothing; a check-in
the answer reports writes that check-in and its audit entry, an undo the answer reports takes
back that check-in and logs it, and nothing else.
"""

import json
from dataclasses import dataclass

from django.contrib.auth.models import User
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from booking import services as booking_services
from booking.models import Reservation
from booking.tokens import ticket_token
from checkin import services
from checkin.models import OfflineCheckIn, OfflineOutcome
from tests.booking.factories import book, book_and_confirm, make_performance
from tests.fuzz.harness import Rows, assert_wrote_nothing, browser, query_string, send
from tests.fuzz.strategies import (
    MULTIPART_TYPES,
    FormEncoding,
    any_text,
    deeply_nested_json,
    form_encoding,
    json_value,
    number_text,
    parameters,
    query,
)
from tests.staff import staff

CSRF_TOKEN = "fuzz" * 8  # a CSRF secret: 32 letters and digits
PREVIEW, CHECK_IN, UNDO, SEARCH, SYNC, DOOR_LIST, GUEST_LIST = (
    f"/admin/checkin/{name}/"
    for name in ("preview", "check-in", "undo", "search", "sync", "list", "guest-list")
)
PERFORMANCES = ["tonight", "another day"]
BOOKINGS = ["valid", "checked in", "pending", "cancelled", "for another day"]


@dataclass(frozen=True)
class Row:
    """A row the test class creates: a performance's id, or a booking's id, code or URL."""

    name: str
    form: str = "id"


SCAN = [("performance", Row("tonight")), ("code", Row("valid", "code"))]
# A check-in as door.js sends it: at a named door, under its nonce.
SCAN_AT_DOOR = {
    **dict(SCAN),
    "door": "Main entrance",
    "nonce": "9b0e3d5c-1a2f-4e6b-8c7d-5f4a3b2c1d0e",
}
# A check-in an offline door queued, as door_offline.js sends it.
QUEUED = {
    "nonce": "2f1c7e0a-5b7d-4c1e-9a57-0d3c1f6f2b11",
    "performance": Row("tonight"),
    "reservation": Row("valid"),
    "admitted_at": "2026-11-30T20:31:00+01:00",
    "door": "Main entrance",
}
UNDO_BY_MISTAKE = [("reservation", Row("checked in")), ("reason", "Scanned by mistake")]

row_value = st.one_of(
    st.builds(Row, st.sampled_from(PERFORMANCES)),
    st.builds(Row, st.sampled_from(BOOKINGS), st.sampled_from(["id", "code", "door URL"])),
)
hostile_value = st.one_of(json_value, row_value, number_text)


@st.composite
def request_fields(draw, valid):
    """`valid` fields with a few dropped, replaced or repeated, and strays added."""
    fields = {name: [value] for name, value in valid.items()}
    for name in draw(st.lists(st.sampled_from(list(fields)), max_size=3)):
        how = draw(st.sampled_from(["replace", "drop", "repeat"]))
        value = draw(hostile_value)
        fields[name] = {"replace": [value], "drop": [], "repeat": [*fields[name], value]}[how]
    pairs = [(name, value) for name, values in fields.items() for value in values]
    strays = draw(st.lists(st.tuples(any_text, hostile_value), max_size=2))
    return draw(st.permutations(pairs + strays))


@dataclass(frozen=True)
class Body:
    """How the fields travel: a JSON object (repeated keys kept), or something else."""

    kind: str
    encoding: FormEncoding | None = None
    other: object = None


bodies = st.one_of(
    st.just(Body("json object")),
    st.just(Body("json object")),
    st.just(Body("json object")),
    st.builds(Body, st.just("json object, nested field"), st.none(), deeply_nested_json),
    st.builds(Body, st.just("json"), st.none(), json_value),
    st.builds(Body, st.just("raw"), st.none(), deeply_nested_json),
    st.builds(Body, st.just("raw"), st.none(), st.binary(max_size=200)),
    st.builds(Body, st.just("form"), form_encoding),
)
AS_DOOR_JS = {"HTTP_X_CSRFTOKEN": CSRF_TOKEN, "HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}
headers = st.sampled_from(
    [
        AS_DOOR_JS,
        AS_DOOR_JS,
        {"HTTP_X_CSRFTOKEN": CSRF_TOKEN},
        {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"},
    ]
)


def json_object(pairs, raw=()):
    """A JSON object with its keys in order, repeated ones included (the last one counts);
    `raw` members are (key, JSON text) pairs, for values too deep for json.dumps."""
    members = [f"{json.dumps(key)}: {json.dumps(value)}" for key, value in pairs]
    members += [f"{json.dumps(key)}: {text}" for key, text in raw]
    return "{" + ", ".join(members) + "}"


class DoorFuzzTest(TestCase):
    @classmethod
    def setUpTestData(cls):
        tonight = make_performance(venue_capacity=30, days_from_now=0.2)
        another_day = make_performance(tonight.show, days_from_now=3)
        booked = {
            "valid": book_and_confirm(tonight, name="Ada Lovelace"),
            "checked in": book_and_confirm(tonight, name="Grace Hopper"),
            "pending": book(tonight),
            "cancelled": book_and_confirm(tonight),
            "for another day": book_and_confirm(another_day),
        }
        booking_services.cancel(booked["cancelled"].reservation.pk)
        cls.box_office_id = staff("Box office").pk
        cls.door_staff_id = staff("Door staff").pk
        services.check_in(
            tonight,
            by=User.objects.get(pk=cls.door_staff_id),
            reservation_id=booked["checked in"].reservation.pk,
        )
        cls.values = {Row("tonight"): tonight.pk, Row("another day"): another_day.pk}
        for name, b in booked.items():
            token = ticket_token(b.reservation.ticket_nonce)
            cls.values[Row(name)] = b.reservation.pk
            cls.values[Row(name, "code")] = token
            cls.values[Row(name, "door URL")] = f"https://www.example.org/t/{token}/"
        cls.valid_id = booked["valid"].reservation.pk
        cls.checked_in_id = booked["checked in"].reservation.pk

    def resolve(self, value):
        if isinstance(value, Row):
            return self.values[value]
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if isinstance(value, dict):
            return {key: self.resolve(item) for key, item in value.items()}
        return value

    def door(self, user_id):
        client = browser()
        client.force_login(User.objects.get(pk=user_id))
        client.cookies["csrftoken"] = CSRF_TOKEN
        return client

    def post(self, user_id, url, pairs, body, headers):
        content, content_type = self.encode([(k, self.resolve(v)) for k, v in pairs], body)
        client = self.door(user_id)
        before = Rows.now()
        return before, send(client, "POST", url, content, content_type, **headers)

    def encode(self, pairs, body):
        """(content, content type) as `body` says; the door sends JSON objects only."""
        if body.kind == "json object":
            return json_object(pairs).encode(), "application/json"
        if body.kind == "json object, nested field":
            return json_object(pairs, raw=[("code", body.other)]).encode(), "application/json"
        if body.kind == "json":
            return json.dumps(body.other).encode(), "application/json"
        if body.kind == "raw":
            other = body.other
            return (other.encode() if isinstance(other, str) else other), "application/json"
        return body.encoding.encode([(name, str(value)) for name, value in pairs])

    @given(
        url=st.sampled_from([PREVIEW, CHECK_IN]),
        fields=st.one_of(
            request_fields(dict(SCAN)),
            request_fields(SCAN_AT_DOOR),
            request_fields({"performance": Row("tonight"), "reservation": Row("valid")}),
        ),
        body=bodies,
        headers=headers,
    )
    # Inputs that broke the door before: tried first on every run.
    @example(PREVIEW, SCAN, Body("raw", other="[" * 50_000 + "]" * 50_000), AS_DOOR_JS)
    @example(
        CHECK_IN, SCAN, Body("form", FormEncoding("multipart", MULTIPART_TYPES[0])), AS_DOOR_JS
    )
    def test_preview_and_check_in_write_only_the_check_in_they_report(
        self, url, fields, body, headers
    ):
        before, response = self.post(self.door_staff_id, url, fields, body, headers)
        answer = response.json() if response["Content-Type"] == "application/json" else {}
        if url == PREVIEW or answer.get("state") != services.TicketState.CHECKED_IN:
            assert_wrote_nothing(before, response)
            return
        written = Rows.now().written_since(before)
        reservations = written.pop(Reservation._meta.label)
        ((pk, (old, new)),) = reservations.items()
        assert pk == answer["reservation"]["id"] == self.valid_id
        assert old["checked_in_at"] is None and new["checked_in_at"] is not None
        assert new["checked_in_by_id"] == self.door_staff_id
        ((entry,),) = ((new for old, new in rows.values()) for rows in written.values())
        assert (entry["action"], entry["object_id"]) == (services.CHECK_IN_ACTION, str(pk))

    @given(
        fields=request_fields(dict(UNDO_BY_MISTAKE)),
        body=bodies,
        headers=headers,
        as_box_office=st.booleans(),
    )
    @example([*UNDO_BY_MISTAKE[:1], ("reason", "\ud800")], Body("json object"), AS_DOOR_JS, True)
    def test_undo_takes_back_only_the_check_in_it_reports(
        self, fields, body, headers, as_box_office
    ):
        user_id = self.box_office_id if as_box_office else self.door_staff_id
        before, response = self.post(user_id, UNDO, fields, body, headers)
        if response.status_code != 200:
            assert_wrote_nothing(before, response)
            return
        assert as_box_office, "door staff without the undo permission undid a check-in"
        written = Rows.now().written_since(before)
        ((pk, (old, new)),) = written.pop(Reservation._meta.label).items()
        assert pk == self.checked_in_id
        assert old["checked_in_at"] is not None and new["checked_in_at"] is None
        ((entry,),) = ((new for old, new in rows.values()) for rows in written.values())
        assert (entry["action"], entry["object_id"]) == (services.UNDO_CHECK_IN_ACTION, str(pk))
        assert entry["user_id"] == self.box_office_id

    @given(
        url=st.sampled_from([SEARCH, DOOR_LIST, GUEST_LIST, "/admin/checkin/"]),
        params=st.one_of(
            parameters(
                performance=st.one_of(st.just(Row("tonight")), row_value, number_text, any_text),
                q=st.one_of(st.sampled_from(["Ada", "ad", "a", ""]), any_text, number_text),
            ),
            query(),
        ),
    )
    @example(SEARCH, [("performance", Row("tonight")), ("q", "Ada\x00")])
    def test_search_and_the_door_page_write_nothing(self, url, params):
        if not isinstance(params, str):
            params = query_string([(k, str(self.resolve(v))) for k, v in params])
        client = self.door(self.door_staff_id)
        before = Rows.now()
        response = send(client, "GET", url, QUERY_STRING=params)
        assert_wrote_nothing(before, response)
        if url == SEARCH and response.status_code == 200:
            assert isinstance(response.json()["results"], list)
        if url == DOOR_LIST and response.status_code == 200:
            assert isinstance(response.json()["entries"], list)

    @given(
        items=st.lists(
            st.one_of(
                st.tuples(st.just("fields"), request_fields(QUEUED)),
                st.tuples(st.just("value"), hostile_value),
            ),
            max_size=3,
        ),
        queue_key=st.sampled_from(["check_ins", "check_ins", "check_in", "queue"]),
        headers=headers,
    )
    @example([("fields", list(QUEUED.items()))] * 2, "check_ins", AS_DOOR_JS)
    @example([("fields", [*QUEUED.items(), ("door", "\ud800")])], "check_ins", AS_DOOR_JS)
    @example([("fields", [*QUEUED.items(), ("admitted_at", 5)])], "check_ins", AS_DOOR_JS)
    def test_a_queue_writes_only_the_check_ins_and_records_it_reports(
        self, items, queue_key, headers
    ):
        members = [
            json_object([(k, self.resolve(v)) for k, v in item])
            if kind == "fields"
            else json.dumps(self.resolve(item))
            for kind, item in items
        ]
        content = f"{{{json.dumps(queue_key)}: [{', '.join(members)}]}}".encode()
        client = self.door(self.door_staff_id)
        before = Rows.now()
        response = send(client, "POST", SYNC, content, "application/json", **headers)
        if response.status_code != 200:
            assert_wrote_nothing(before, response)
            return
        results = response.json()["results"]
        assert len(results) == len(items)
        outcomes = [result["outcome"] for result in results]
        written = Rows.now().written_since(before)
        # One record per nonce received; the party checked in only by a "recorded" answer.
        nonces = {result["nonce"] for result in results if result["outcome"] != "invalid"}
        records = written.pop(OfflineCheckIn._meta.label, {})
        assert len(records) == len(nonces)
        assert all(old is None for old, new in records.values())
        reservations = written.pop(Reservation._meta.label, {})
        if OfflineOutcome.RECORDED in outcomes:
            ((pk, (old, new)),) = reservations.items()
            assert pk == self.valid_id and old["checked_in_at"] is None
            assert new["checked_in_by_id"] == self.door_staff_id
            ((entry,),) = ((new for old, new in rows.values()) for rows in written.values())
            assert (entry["action"], entry["object_id"]) == (services.CHECK_IN_ACTION, str(pk))
        else:
            assert not reservations and not written

"""The season's public API (/api/v1/): what it says, what it never says, its filters, its
cost, its caching and its CORS rules, and its OpenAPI description kept true."""

import datetime
import re
import time
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone, translation
from django.utils.http import http_date
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from wagtail.models import PageViewRestriction

from booking import services
from booking.api.views import PerformanceFilter, ShowFilter
from booking.models import BookingEmail, BookingState, Performance, Reservation
from tests.booking.factories import book, book_and_confirm, make_performance, make_venue
from tests.website.factories import make_image, make_show, make_show_index

pytestmark = pytest.mark.django_db

PERFORMANCES = "/api/v1/performances/"
SHOWS = "/api/v1/shows/"
PARTNER = "https://festival.example"
OPENAPI_FILE = Path(__file__).resolve().parents[2] / "booking" / "api" / "openapi.yaml"


@pytest.fixture
def index(home_page):
    return make_show_index(home_page)


def results(response):
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()["results"]


def by_id(items):
    return {item["id"]: item for item in items}


def test_performances_say_what_the_show_page_says(client, index):
    show = make_show(index, title="The Tempest")
    on_sale = make_performance(
        show,
        venue_name="Teatro Studio",
        venue_capacity=50,
        venue_wheelchair_spaces=2,
        venue_access_notes="Step-free entrance on the side street.",
    )
    book_and_confirm(on_sale, seats=3)
    book(on_sale, seats=4)  # pending: holds no seat
    sold_out = make_performance(show, days_from_now=11, venue_capacity=2)
    book_and_confirm(sold_out, seats=2)
    closed = make_performance(
        show, starts_at=timezone.now() + datetime.timedelta(minutes=30), booking_cutoff_minutes=60
    )
    cancelled = make_performance(show, days_from_now=12)
    services.cancel_performance(cancelled.pk, cancel_reservations=False)

    found = by_id(results(client.get(PERFORMANCES)))

    assert list(found) == [closed.pk, on_sale.pk, sold_out.pk, cancelled.pk]
    item = found[on_sale.pk]
    assert item["show"] == {"id": show.pk, "title": "The Tempest", "url": show.full_url}
    assert item["venue"] == {
        "id": on_sale.venue_id,
        "name": "Teatro Studio",
        "address": "Via del Teatro 12\n00153 Roma",
        "access_notes": "Step-free entrance on the side street.",
    }
    assert (item["state"], item["seats_left"], item["wheelchair_spaces_left"]) == ("open", 47, 2)
    assert item["state_label"] == "On sale"
    assert item["waiting_list"] is False
    assert item["booking_url"] == f"{show.full_url}?performance={on_sale.pk}#tickets"
    assert datetime.datetime.fromisoformat(item["starts_at"]) == on_sale.starts_at
    assert item["time_zone"] == "Europe/Rome"
    assert (found[sold_out.pk]["state"], found[sold_out.pk]["seats_left"]) == ("sold_out", None)
    assert found[sold_out.pk]["waiting_list"] is True
    assert (found[closed.pk]["state"], found[closed.pk]["seats_left"]) == ("closed", None)
    assert found[cancelled.pk]["state"] == "cancelled"
    assert found[cancelled.pk]["state_label"] == "Cancelled"


def test_the_seats_left_are_the_show_pages_own(client, index):
    show = make_show(index)
    performances = [make_performance(show, days_from_now=day) for day in (5, 6)]
    book_and_confirm(performances[0], seats=5)
    Performance.objects.filter(pk=performances[1].pk).update(manually_occupied_seats=8)

    api = by_id(results(client.get(PERFORMANCES)))
    page = BeautifulSoup(client.get(show.url).content, "html.parser")

    for performance in performances:
        status = page.find(id=f"performance-{performance.pk}").find_next(
            class_="performance__status"
        )
        assert f"{api[performance.pk]['seats_left']} seats left" in status.get_text()
    assert [api[p.pk]["seats_left"] for p in performances] == [45, 42]


def test_only_what_the_public_may_see_is_listed(client, index):
    show = make_show(index)
    listed = make_performance(show)
    make_performance(show, is_hidden=True)
    make_performance(show, days_from_now=-1)  # started
    draft = make_show(index, live=False)
    make_performance(draft)
    restricted = make_show(index)
    PageViewRestriction.objects.create(page=restricted, restriction_type="password", password="x")
    make_performance(restricted)

    assert [item["id"] for item in results(client.get(PERFORMANCES))] == [listed.pk]
    assert [item["id"] for item in results(client.get(SHOWS))] == [show.pk]
    for hidden_show in (draft, restricted):
        response = client.get(f"{SHOWS}{hidden_show.pk}/")
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}


def test_no_personal_data_ever_leaves(client, index):
    performance = make_performance(make_show(index))
    booked = book_and_confirm(performance, name="Ermengarda Zanichelli", email="ermengarda@x.org")
    reservation = booked.reservation

    for url in ("/api/v1/", SHOWS, f"{SHOWS}{performance.show_id}/", PERFORMANCES):
        body = client.get(url).content.decode()
        for secret in ("Ermengarda", "ermengarda@x.org", reservation.reference, booked.token):
            assert secret not in body
        for key in ("confirmed_seats", "capacity", "held_seats", "manually_occupied_seats"):
            assert f'"{key}"' not in body


def test_performances_filter_by_show_venue_dates_and_state(client, index):
    tempest, godot = make_show(index), make_show(index)
    venue = make_venue()
    today = timezone.localdate()

    def at(days, hour, show=tempest, **fields):
        starts_at = timezone.make_aware(
            datetime.datetime.combine(today + datetime.timedelta(days=days), datetime.time(hour))
        )
        return make_performance(show, starts_at=starts_at, **fields)

    early = at(3, 0, venue=venue)  # the first minute of the day, in Rome
    late = at(5, 23, show=godot)
    sold_out = at(7, 21, venue_capacity=1)
    book_and_confirm(sold_out, seats=1)

    def ids(**query):
        return [item["id"] for item in results(client.get(PERFORMANCES, query))]

    assert ids(show=godot.pk) == [late.pk]
    assert ids(venue=venue.pk) == [early.pk]
    day = today + datetime.timedelta(days=3)
    assert ids(from_date=day.isoformat(), to_date=day.isoformat()) == [early.pk]
    assert ids(from_date=(day + datetime.timedelta(days=1)).isoformat()) == [late.pk, sold_out.pk]
    assert ids(to_date=(day + datetime.timedelta(days=2)).isoformat()) == [early.pk, late.pk]
    assert ids(from_date="0001-01-01", to_date="9999-12-31") == [early.pk, late.pk, sold_out.pk]
    assert ids(state="sold_out") == [sold_out.pk]
    assert ids(state="open", show=tempest.pk) == [early.pk]
    assert ids(state="cancelled") == []


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"show": "tempest"}, "show", "Enter a number."),
        ({"from_date": "31/12/2026"}, "from_date", "Enter a valid date."),
        ({"state": "few_left"}, "state", "Select a valid choice."),
        ({"page": "0"}, "detail", "Invalid page."),
        ({"page": "99"}, "detail", "Invalid page."),
    ],
)
def test_bad_queries_are_refused_with_a_message(client, index, query, field, message):
    make_performance(make_show(index))

    response = client.get(PERFORMANCES, query)

    assert response.status_code in (400, 404)
    errors = response.json()[field]
    assert message in (errors if isinstance(errors, str) else " ".join(errors))


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_api_only_reads(client, index, method):
    performance = make_performance(make_show(index))
    counts = (Performance.objects.count(), Reservation.objects.count())

    response = getattr(client, method)(
        PERFORMANCES, {"performance": performance.pk, "seats": 2}, content_type="application/json"
    )

    assert response.status_code == 405
    assert (Performance.objects.count(), Reservation.objects.count()) == counts
    assert not BookingEmail.objects.exists()


def test_shows_with_their_images_run_and_links(client, index):
    image = make_image(title="Prospero's island", description="A storm over a dark sea")
    show = make_show(
        index, title="The Tempest", hero_image=image, duration_minutes=95, price_note="€15"
    )
    past = make_show(index, days_from_now=-30, run_days=2)

    listed = by_id(results(client.get(SHOWS)))
    upcoming = [item["id"] for item in results(client.get(SHOWS, {"upcoming": "true"}))]
    over = [item["id"] for item in results(client.get(SHOWS, {"upcoming": "false"}))]

    assert (upcoming, over) == ([show.pk], [past.pk])
    item = listed[show.pk]
    assert item["url"] == show.full_url
    assert (item["duration_minutes"], item["price_note"]) == (95, "€15")
    assert item["image"]["alt"] == "A storm over a dark sea"
    small = item["image"]["renditions"]["small"]
    assert (small["width"], small["height"]) == (480, 320)
    assert small["url"].startswith("http") and ".fill-480x320-c100." in small["url"]
    assert item["performances_url"].endswith(f"{PERFORMANCES}?show={show.pk}")
    assert item["calendar_url"].endswith(f"/calendar/show/{show.pk}.ics")
    assert listed[past.pk]["image"] is None
    assert client.get(f"{SHOWS}{show.pk}/").json() == item


def queries_for(client, url):
    client.get(url)  # the site's root paths and the renditions, made once
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


# What a list costs, whatever its length: the page count, the rows (with their counts of
# seats in subqueries), Wagtail's check of view restrictions, and for shows their renditions.
PERFORMANCE_LIST_QUERIES = 3
SHOW_LIST_QUERIES = 4


def test_a_list_costs_the_same_queries_however_long(client, index):
    def add(count):
        for _ in range(count):
            image = make_image()
            show = make_show(index, hero_image=image)
            performance = make_performance(show)
            book_and_confirm(performance, seats=2)

    add(1)
    few = queries_for(client, PERFORMANCES), queries_for(client, SHOWS)
    add(6)
    many = queries_for(client, PERFORMANCES), queries_for(client, SHOWS)

    assert few == many == (PERFORMANCE_LIST_QUERIES, SHOW_LIST_QUERIES)
    assert queries_for(client, f"{PERFORMANCES}?state=open") == PERFORMANCE_LIST_QUERIES - 1


def test_an_unchanged_answer_is_not_sent_again_and_a_booking_changes_it(client, index):
    performance = make_performance(make_show(index))
    first = client.get(PERFORMANCES)
    etag = first["ETag"]

    again = client.get(PERFORMANCES, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""

    book_and_confirm(performance, seats=2)
    changed = client.get(PERFORMANCES, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert changed.json()["results"][0]["seats_left"] == 48


def test_answers_may_be_shared_for_the_micro_cache_second_only(client, index):
    make_performance(make_show(index))

    anonymous = client.get(PERFORMANCES)
    assert anonymous["Expires"] in {http_date(time.time()), http_date(time.time() - 1)}
    assert set(anonymous["Cache-Control"].split(", ")) == {"public", "stale-while-revalidate=1"}

    client.cookies["sessionid"] = "someone"
    own = client.get(PERFORMANCES)
    assert not own.has_header("Expires")
    assert set(own["Cache-Control"].split(", ")) == {"public", "no-cache"}


def test_the_api_speaks_the_sites_language(client, index):
    make_performance(make_show(index))

    with translation.override("it"):
        item = results(client.get(PERFORMANCES))[0]
        refused = client.get(PERFORMANCES, {"show": "x"}).json()

    assert item["state_label"] == "In vendita"
    assert refused == {"show": ["Inserisci un numero."]}


# CORS, header by header, through Django (tests/deploy/test_api_cors.py: through nginx).


@pytest.fixture
def partner(settings):
    settings.CORS_ALLOWED_ORIGINS = [PARTNER]


def test_an_allowed_origin_may_read_the_api_and_nothing_more(client, index, partner):
    make_performance(make_show(index))

    response = client.get(PERFORMANCES, HTTP_ORIGIN=PARTNER)

    assert response["Access-Control-Allow-Origin"] == PARTNER
    assert response["Access-Control-Expose-Headers"] == "ETag"
    assert "origin" in response["Vary"].lower()
    assert not response.has_header("Access-Control-Allow-Credentials")


def test_other_origins_get_no_cors_header(client, index, partner):
    make_performance(make_show(index))

    for origin in ("https://elsewhere.example", "null", f"{PARTNER}.evil.example"):
        response = client.get(PERFORMANCES, HTTP_ORIGIN=origin)
        assert response.status_code == 200
        assert not [name for name in response.headers if name.startswith("Access-Control-")]


def test_a_preflight_allows_reads_only(client, index, partner):
    preflight = client.options(
        PERFORMANCES,
        HTTP_ORIGIN=PARTNER,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="if-none-match",
    )

    assert preflight.status_code == 200
    assert preflight["Access-Control-Allow-Origin"] == PARTNER
    assert preflight["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert preflight["Access-Control-Allow-Headers"] == "accept, if-none-match"
    assert preflight["Access-Control-Max-Age"] == "86400"
    assert not preflight.has_header("Access-Control-Allow-Credentials")


def test_nothing_outside_the_api_is_shared_with_other_origins(client, index, partner):
    show = make_show(index)
    performance = make_performance(show)

    for url in ("/", show.url, "/calendar/season.ics", "/sitemap.xml", "/admin/login/"):
        response = client.get(url, HTTP_ORIGIN=PARTNER)
        assert response.status_code == 200, url
        assert not response.has_header("Access-Control-Allow-Origin"), url
    preflight = client.options(
        f"/booking/show/{show.pk}/", HTTP_ORIGIN=PARTNER, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert not preflight.has_header("Access-Control-Allow-Origin")

    # A booking from the partner's page is refused: bookings happen on our own pages.
    posted = client.post(
        f"/booking/show/{show.pk}/",
        {"performance": performance.pk, "name": "Ada", "email": "ada@example.org", "seats": 1},
        HTTP_ORIGIN=PARTNER,
        HTTP_SEC_FETCH_SITE="cross-site",
    )
    assert posted.status_code == 403
    assert not posted.has_header("Access-Control-Allow-Origin")
    assert not Reservation.objects.exists()


# The OpenAPI description: served, valid, and true of every answer.


def openapi_document():
    return yaml.safe_load(OPENAPI_FILE.read_text())


def test_the_openapi_description_is_served_and_valid(client):
    response = client.get("/api/v1/openapi.yaml")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/yaml; charset=utf-8"
    assert yaml.safe_load(response.content) == openapi_document()
    validate(openapi_document())


def api_routes():
    """Every route under /api/v1/, as the description writes it ("/shows/{id}/")."""
    resolver = get_resolver()
    api = next(
        p for p in resolver.url_patterns if isinstance(p, URLResolver) and p.namespace == "api"
    )
    routes = set()
    for pattern in api.url_patterns:
        assert isinstance(pattern, URLPattern)
        routes.add("/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(pattern.pattern)))
    return routes


def test_the_description_names_every_route_and_parameter():
    document = openapi_document()

    assert set(document["paths"]) == api_routes()
    for path in document["paths"]:
        resolve("/api/v1" + path.replace("{id}", "1"))

    def query_parameters(operation):
        names = set()
        for parameter in operation.get("parameters", []):
            if "$ref" in parameter:
                parameter = document["components"]["parameters"][parameter["$ref"].split("/")[-1]]
            if parameter["in"] == "query":
                names.add(parameter["name"])
        return names

    paging = {"page", "page_size"}
    performances = document["paths"]["/performances/"]["get"]
    assert query_parameters(performances) == set(PerformanceFilter.base_filters) | paging
    shows = document["paths"]["/shows/"]["get"]
    assert query_parameters(shows) == set(ShowFilter.base_filters) | paging
    states = document["components"]["schemas"]["BookingState"]["enum"]
    assert states == BookingState.values


def schema_pointer(document, path, status):
    """The JSON pointer to the schema of `path`'s JSON answer with `status`."""
    response = document["paths"][path]["get"]["responses"][status]
    if "$ref" in response:
        pointer = response["$ref"].removeprefix("#")
    else:
        escaped = path.replace("~", "~0").replace("/", "~1")
        pointer = f"/paths/{escaped}/get/responses/{status}"
    return f"{pointer}/content/application~1json/schema"


def assert_matches(document, path, body, status="200"):
    registry = Registry().with_resource("urn:openapi", DRAFT202012.create_resource(document))
    schema = {"$ref": f"urn:openapi#{schema_pointer(document, path, status)}"}
    checker = OAS31Validator.FORMAT_CHECKER
    OAS31Validator(schema, registry=registry, format_checker=checker).validate(body)


def test_every_answer_is_what_the_description_says(client, index):
    document = openapi_document()
    image = make_image(description="")
    full = make_show(index, hero_image=image, duration_minutes=80, closing_date=None)
    plain = make_show(index, subtitle="", summary="")
    on_sale = make_performance(full, venue_wheelchair_spaces=1)
    sold_out = make_performance(plain, venue_capacity=1)
    book_and_confirm(sold_out, seats=1)
    cancelled = make_performance(plain, days_from_now=20)
    services.cancel_performance(cancelled.pk, cancel_reservations=False)

    answers = {
        "/": client.get("/api/v1/").json(),
        "/shows/": client.get(SHOWS, {"page_size": 1}).json(),
        "/shows/{id}/": client.get(f"{SHOWS}{full.pk}/").json(),
        "/performances/": client.get(PERFORMANCES, {"page_size": 2, "page": 2}).json(),
    }
    for path, body in answers.items():
        assert_matches(document, path, body)
    assert_matches(document, "/performances/", client.get(PERFORMANCES).json())
    assert answers["/shows/"]["next"] is not None
    assert answers["/performances/"]["previous"] is not None
    assert on_sale.pk in by_id(client.get(PERFORMANCES).json()["results"])

    refused = client.get(PERFORMANCES, {"show": "x", "state": "x"})
    assert_matches(document, "/performances/", refused.json(), status="400")
    missing = client.get(f"{SHOWS}0/")
    assert_matches(document, "/shows/{id}/", missing.json(), status="404")

"""The partner widget (booking/static/booking/widget.js) on a partner's page, in Chromium.

The partner's page comes from a second origin: a small HTTP server on another port of the
loopback address, while the widget and the API come from Django's live server. For an origin in
CORS_ALLOWED_ORIGINS the widget lists the performances with their availability as the database
has it now; any other origin gets no CORS header, and its visitors the partner's own link.
"""

import datetime
import http.server
import json
import re
import threading
import urllib.request
from dataclasses import dataclass, field

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect

from booking.models import Performance
from tests.booking.factories import book_and_confirm, make_performance, make_venue
from tests.browser.conftest import PHONE
from tests.browser.test_accessibility import AXE_OPTIONS, violation_report
from tests.website.factories import ensure_home_page, make_show, make_show_index
from website.models import ShowPage

pytestmark = pytest.mark.django_db(transaction=True)

DESKTOP = {"viewport": {"width": 1280, "height": 900}}
API_PATH = "/api/v1/performances/"
# The widget's sentences join a state and what remains with an en dash.
DASH = "\N{EN DASH}"
# Dates on the venue's clock as lang="en-GB" and lang="it" write them ("Thu 10 Dec, 21:00",
# "gio 10 dic, 21:00"), the year only when it is not this one.
ENGLISH_DATE = re.compile(r"[A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2}( \d{4})?, 21:00")
ITALIAN_DATE = re.compile(
    r"(lun|mar|mer|gio|ven|sab|dom) \d{1,2} "
    r"(gen|feb|mar|apr|mag|giu|lug|ago|set|ott|nov|dic)( \d{4})?, 21:00"
)


# The partner's site --------------------------------------------------------------------------


@dataclass
class PartnerSite:
    """A second origin that serves one page, `html`, at every address."""

    origin: str = ""
    html: str = ""
    server: http.server.ThreadingHTTPServer | None = field(default=None, repr=False)


@pytest.fixture
def partner_site():
    site = PartnerSite()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = site.html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):
            pass

    # Port 0: a free port, another than the live server's, and so another origin.
    site.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site.origin = f"http://127.0.0.1:{site.server.server_port}"
    thread = threading.Thread(target=site.server.serve_forever, daemon=True)
    thread.start()
    yield site
    site.server.shutdown()
    site.server.server_close()
    thread.join()


PARTNER_PAGE = """<!doctype html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Teatro Amico: what's on</title>
<script src="{api}/static/booking/widget.js" defer></script>
<style>
  body {{ margin: 0; background: #f4f1ea; color: #222; font: 1rem/1.5 Georgia, serif; }}
  header {{ background: #2b2b2b; color: #fff; padding: 1rem; }}
  header p {{ margin: 0; font-size: 1.4rem; }}
  main {{ max-width: 62rem; margin: 0 auto; padding: 1rem; }}
  a {{ color: #0b4f8a; }}
  /* The partner's own rules for lists: the widget's shadow root keeps them out. */
  ul {{ list-style: square; padding-left: 3rem; }}
  li {{ border-bottom: 3px dotted green; }}
  #tempest {{ --azionelab-accent: #1d4e89; --azionelab-radius: 0; }}
</style>
</head>
<body>
<header><p>Teatro Amico</p></header>
<main>
<h1>What's on</h1>
<h2>AzioneLab's season</h2>
<div id="season" data-azionelab-season>
  <a href="{api}/shows/">AzioneLab: the season</a>
</div>
<h2 lang="it">La Tempesta</h2>
<div id="tempest" data-azionelab-show="{tempest}" lang="it">
  <a href="{tempest_url}">La Tempesta sul sito di AzioneLab</a>
</div>
<h2>Hamlet</h2>
<div id="hamlet" data-azionelab-show="{hamlet}"></div>
</main>
</body>
</html>
"""


# The season ---------------------------------------------------------------------------------


@dataclass
class Season:
    tempest: ShowPage
    hamlet: ShowPage
    on_sale: Performance
    sold_out: Performance
    cancelled: Performance
    last_seat: Performance


def at_nine_pm(days_from_now):
    day = timezone.localdate() + datetime.timedelta(days=days_from_now)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(21, 0)))


def build_season():
    """The Tempest: on sale with 27 seats of 30 left, sold out, cancelled; Waiting for Godot
    with its last seat; Hamlet, with no performance yet."""
    index = make_show_index(ensure_home_page())
    tempest = make_show(index, title="The Tempest", slug="the-tempest")
    godot = make_show(index, title="Waiting for Godot", slug="waiting-for-godot", days_from_now=20)
    hamlet = make_show(index, title="Hamlet", slug="hamlet", days_from_now=60)
    teatro = make_venue(name="Teatro Piccolo", capacity=30)
    on_sale = make_performance(tempest, starts_at=at_nine_pm(10), venue=teatro)
    book_and_confirm(on_sale, seats=3)
    sold_out = make_performance(
        tempest, starts_at=at_nine_pm(11), venue_name="Sala Uno", venue_capacity=2
    )
    book_and_confirm(sold_out, seats=2)
    cancelled = make_performance(tempest, starts_at=at_nine_pm(12), venue=teatro, is_cancelled=True)
    last_seat = make_performance(
        godot, starts_at=at_nine_pm(20), venue_name="Spazio Ex", venue_capacity=1
    )
    return Season(tempest, hamlet, on_sale, sold_out, cancelled, last_seat)


def seats_left(performance):
    return Performance.objects.with_seat_counts().get(pk=performance.pk).available_seats


def serve_partner_page(partner_site, live_server, season):
    partner_site.html = PARTNER_PAGE.format(
        api=live_server.url,
        tempest=season.tempest.pk,
        tempest_url=season.tempest.full_url,
        hamlet=season.hamlet.pk,
    )
    return partner_site.origin + "/"


@pytest.fixture
def open_page(browser):
    """open_page(screen) -> a new page on that screen, on a visitor's clock in Rome. Closed at
    the end of the test even when it fails: an open page would keep the live server's
    connections, and with them the test database, in use."""
    contexts = []

    def open_page(screen):
        context = browser.new_context(**screen, timezone_id="Europe/Rome")
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def api_responses(page):
    """The API's responses to the page, as they arrive."""
    responses = []
    page.on("response", lambda response: API_PATH in response.url and responses.append(response))
    return responses


def booking_url(performance):
    return f"{performance.show.full_url}?performance={performance.pk}#tickets"


# The tests ---------------------------------------------------------------------------------


def test_an_allowed_origin_lists_the_performances_with_live_availability(
    live_server, open_page, partner_site, settings
):
    season = build_season()
    settings.CORS_ALLOWED_ORIGINS = [partner_site.origin]
    page = open_page(DESKTOP)
    # Date.now() under the test's control, to come back to the tab a minute later.
    page.clock.install()
    responses = api_responses(page)
    page.goto(serve_partner_page(partner_site, live_server, season))

    cards = page.locator("#season li")
    expect(cards).to_have_count(4)
    assert seats_left(season.on_sale) == 27
    expected = [
        (season.on_sale, "The Tempest", "Teatro Piccolo", "27 seats left", "Book"),
        (
            season.sold_out,
            "The Tempest",
            "Sala Uno",
            f"Sold out {DASH} waiting list",
            "Join the waiting list",
        ),
        (season.cancelled, "The Tempest", "Teatro Piccolo", "Cancelled", "Details"),
        (season.last_seat, "Waiting for Godot", "Spazio Ex", "1 seat left", "Book"),
    ]
    for card, (performance, title, venue, availability, action) in zip(
        cards.all(), expected, strict=True
    ):
        starts_at = timezone.localtime(performance.starts_at)
        assert card.locator("time").get_attribute("datetime") == starts_at.isoformat()
        date = card.locator("time").inner_text()
        assert ENGLISH_DATE.fullmatch(date), date
        expect(card.locator(".title")).to_have_text(title)
        expect(card.locator(".venue")).to_have_text(venue)
        expect(card.locator(".state")).to_have_text(availability)
        link = card.get_by_role("link")
        assert link.get_attribute("href") == booking_url(performance)
        # The link's name tells which performance it is for, beyond its visible word.
        expect(link).to_have_accessible_name(f"{action}, {title}, {date}")
    expect(page.locator("#season ul")).to_have_attribute("aria-label", "Upcoming performances")
    # The partner's own link stays, below the list.
    expect(
        page.locator("#season").get_by_role("link", name="AzioneLab: the season")
    ).to_be_visible()

    # The Italian widget of one show, in the partner's colours.
    tempest = page.locator("#tempest li")
    expect(tempest).to_have_count(3)
    expect(page.locator("#tempest ul")).to_have_attribute(
        "aria-label", "Prossime repliche: The Tempest"
    )
    expect(tempest.locator(".state")).to_have_text(
        ["27 posti disponibili", f"Esaurito {DASH} lista d'attesa", "Annullato"]
    )
    expect(tempest.get_by_role("link")).to_have_text(["Prenota", "Lista d'attesa", "Dettagli"])
    date = tempest.first.locator("time").inner_text()
    assert ITALIAN_DATE.fullmatch(date), date
    expect(tempest.first.get_by_role("link")).to_have_accessible_name(
        f"Prenota, The Tempest, {date}"
    )
    assert tempest.locator(".title").count() == 0
    expect(tempest.first.locator(".action")).to_have_css("background-color", "rgb(29, 78, 137)")
    expect(tempest.first.locator(".action")).to_have_css("border-radius", "0px")

    # A show without performances says so, with a link to the site the widget added.
    expect(page.locator("#hamlet")).to_contain_text("No upcoming performances")
    expect(page.locator("#hamlet a")).to_have_attribute("href", live_server.url + "/")

    # What the API answered: every link is its booking_url, for the partner's origin only.
    assert len(responses) == 3
    for response in responses:
        assert response.headers["access-control-allow-origin"] == partner_site.origin
        # Six performances at most, unless the element says otherwise (data-limit).
        assert "page_size=6" in response.url
    answered = {item["id"]: item["booking_url"] for r in responses for item in r.json()["results"]}
    assert answered == {
        p.pk: booking_url(p)
        for p in (season.on_sale, season.sold_out, season.cancelled, season.last_seat)
    }

    # Two seats booked meanwhile: a reload shows them gone, once the answers the browser holds
    # have passed the micro-cache's bound (fresh until the end of their second, then stale for
    # at most one more: ADR 0012), as nginx's have.
    book_and_confirm(season.on_sale, seats=2)
    page.wait_for_timeout(2100)
    page.reload()
    expect(cards.first.locator(".state")).to_have_text("25 seats left")
    expect(tempest.first.locator(".state")).to_have_text("25 posti disponibili")
    assert seats_left(season.on_sale) == 25

    # Live: back on the tab within a minute, the widget does not ask again; after a minute
    # it does, and shows the seat booked in between.
    book_and_confirm(season.on_sale, seats=1)
    asked = len(responses)
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    page.wait_for_timeout(500)
    assert len(responses) == asked
    expect(cards.first.locator(".state")).to_have_text("25 seats left")
    # The browser's copies pass the micro-cache's bound in real time, not on the page's clock.
    page.wait_for_timeout(2100)
    page.clock.fast_forward("01:01")
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(cards.first.locator(".state")).to_have_text("24 seats left")
    expect(tempest.first.locator(".state")).to_have_text("24 posti disponibili")


def test_an_origin_not_allowed_gets_no_cors_header_and_the_fallback_link(
    live_server, open_page, partner_site, settings, artifacts
):
    season = build_season()
    settings.CORS_ALLOWED_ORIGINS = ["https://partner.example.org"]
    page = open_page(PHONE)
    # Chromium reads the API's answer, finds no header for the page's origin and fails the
    # request: the page's script never sees the answer.
    failed = []
    page.on("requestfailed", lambda request: API_PATH in request.url and failed.append(request))
    warnings = []
    page.on("console", lambda message: message.type == "warning" and warnings.append(message))
    page.goto(serve_partner_page(partner_site, live_server, season))

    # Each widget's request fails, and the widget says so in the console.
    for _ in range(50):
        if len(warnings) == 3:
            break
        page.wait_for_timeout(100)
    assert len(warnings) == 3, [warning.text for warning in warnings]
    assert all("Failed to fetch" in warning.text for warning in warnings)
    assert len(failed) == 3
    for selector in ("#season", "#tempest", "#hamlet"):
        assert page.evaluate(f"document.querySelector('{selector}').shadowRoot") is None
    assert page.locator("ul, li").count() == 0
    expect(page.locator("#season").get_by_role("link")).to_have_attribute(
        "href", live_server.url + "/shows/"
    )
    expect(page.get_by_role("link", name="La Tempesta sul sito di AzioneLab")).to_be_visible()
    expect(page.locator("#hamlet a")).to_have_attribute("href", live_server.url + "/")
    page.screenshot(path=artifacts / "partner-widget-fallback-phone.png", full_page=True)

    # The API itself answers such an origin without the header that would let it read.
    request = urllib.request.Request(
        live_server.url + API_PATH, headers={"Origin": partner_site.origin}
    )
    with urllib.request.urlopen(request) as response:
        assert response.status == 200
        assert response.headers["Access-Control-Allow-Origin"] is None
        assert json.load(response)["count"] == 4


@pytest.mark.parametrize(
    ("screen", "name"),
    [pytest.param(PHONE, "phone", id="phone"), pytest.param(DESKTOP, "desktop", id="desktop")],
)
def test_the_widget_passes_axe_and_fits_the_screen(
    live_server, open_page, partner_site, settings, artifacts, screen, name
):
    season = build_season()
    settings.CORS_ALLOWED_ORIGINS = [partner_site.origin]
    page = open_page(screen)
    page.goto(serve_partner_page(partner_site, live_server, season))
    expect(page.locator("#season li")).to_have_count(4)
    expect(page.locator("#tempest li")).to_have_count(3)
    expect(page.locator("#hamlet")).to_contain_text("No upcoming performances")

    # axe-core looks into open shadow roots.
    results = Axe().run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, violation_report(page.url, results.response["violations"])
    width = screen["viewport"]["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=artifacts / f"partner-widget-{name}.png", full_page=True)

"""axe-core finds no WCAG 2.1 A/AA violation on the public pages, on a phone, in both languages.

Each case builds its data with the factories and services, brings a 375 px Chromium page to
the state a visitor would see (through the browser where a cookie or a redirect makes the
page), and runs axe on it (ADR 0017). A failure lists every violation: rule, impact, what to
fix and the elements concerned.
"""

import io
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core import mail
from PIL import Image
from wagtail.models import Collection

from booking import services
from booking.models import ReservationStatus
from tests.booking.factories import book, book_and_confirm, make_performance
from tests.booking.mailbox import link_token, send_queued_emails
from tests.browser.visitor import book_on_a_phone
from tests.website.factories import (
    ensure_home_page,
    make_content_page,
    make_image,
    make_show,
    make_show_index,
)
from website.models import CompanySettings

pytestmark = pytest.mark.django_db(transaction=True)

# The rules axe checks: WCAG 2.0 and 2.1, levels A and AA (not its best practices).
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE = Axe()
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]}

LANGUAGES = ["en", "it"]
# The skip link, the first text of every page: tells that the Italian catalogue is loaded.
SKIP_LINK = {"en": "Skip to content", "it": "Vai al contenuto"}


# The site ----------------------------------------------------------------------------------


def build_site():
    """A home page, a show index, a privacy notice in the footer, and a show, the home page and
    the show with a poster: the factories' images are plain white, the worst case for the
    light text laid over them."""
    home = ensure_home_page()
    # Images go into the root collection, which the flush of the previous test removed.
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    home.hero_image = make_image(title="The company on stage", size=(1280, 720))
    home.hero_text = "Season 2026/27"
    home.intro = '<p>New writing and classics, <a href="/shows/">on stage in Rome</a>.</p>'
    home.save()
    index = make_show_index(home)
    privacy = make_content_page(home, title="Privacy notice", slug="privacy")
    CompanySettings.objects.update_or_create(
        pk=CompanySettings.load().pk,
        defaults={
            "tagline": "Theatre in Rome since 2009",
            "address": "Via del Teatro 12\n00153 Roma",
            "email": "info@example.org",
            "phone": "+39 06 1234 5678",
            "instagram_url": "https://instagram.example.org/azionelab",
            "privacy_notice_page": privacy,
        },
    )
    show = make_show(
        index,
        title="The Tempest",
        subtitle="A storm on a small stage",
        summary="Prospero's island, with six actors and a bathtub.",
        hero_image=make_image(title="The Tempest", size=(1280, 640)),
    )
    return index, show


def sold_out_performance(show):
    """A performance whose two seats are booked and confirmed, so only the waiting list is open."""
    performance = make_performance(show, venue_capacity=2, venue_name="Teatro Piccolo")
    booked = book_and_confirm(performance, seats=2)
    return performance, booked.reservation


def place_in_line(performance):
    """A confirmed place on the waiting list, and its link token."""
    place = services.join_waiting_list(
        performance.pk, name="Grace Hopper", email="grace@example.org", seats=1
    )
    already_sent = len(mail.outbox)
    send_queued_emails()
    token = link_token(mail.outbox[already_sent])
    services.confirm(token)
    place.refresh_from_db()
    assert place.status == ReservationStatus.WAITING
    return place, token


CONFIRM_FORM = "form[action$='/booking/reservation/confirm/']"
CANCEL_FORM = "form[action$='/booking/reservation/cancel/']"


def open_link(phone, live_server, token, cancel=False):
    """Follow an emailed link: /b/<token>/ keeps the token in a cookie and redirects."""
    phone.goto(f"{live_server.url}/b/{token}/{'cancel/' if cancel else ''}")


# The pages: each brings the phone to one page ------------------------------------------------


def home(phone, live_server):
    _, show = build_site()
    make_performance(show)
    phone.goto(live_server.url + "/")


def show_index(phone, live_server):
    index, show = build_site()
    make_performance(show)
    phone.goto(live_server.url + index.url)


def show_page_open(phone, live_server):
    _, show = build_site()
    make_performance(show)
    phone.goto(live_server.url + show.url)
    phone.wait_for_selector(".booking-form button[type=submit]")


def show_page_sold_out(phone, live_server):
    _, show = build_site()
    sold_out_performance(show)
    phone.goto(live_server.url + show.url)
    phone.wait_for_selector("#waiting-list details[open]")


def show_page_with_form_errors(phone, live_server):
    _, show = build_site()
    make_performance(show)
    phone.goto(live_server.url + show.url)
    # The browser's own validation off, so that the server's error messages show.
    phone.eval_on_selector(".booking-form", "form => { form.noValidate = true; }")
    phone.fill("#id_seats", "")
    phone.click(".booking-form button[type=submit]")
    phone.wait_for_selector(".booking-form .form-alert")


def check_your_email_after_booking(phone, live_server):
    _, show = build_site()
    performance = make_performance(show)
    book_on_a_phone(phone, live_server, show, performance, seats=2)


def check_your_email_after_joining_the_waiting_list(phone, live_server):
    _, show = build_site()
    performance, _ = sold_out_performance(show)
    phone.goto(live_server.url + show.url)
    phone.check(f"#waitlist-performance-{performance.pk}")
    phone.fill("#id_waitlist-name", "Grace Hopper")
    phone.fill("#id_waitlist-email", "grace@example.org")
    phone.fill("#id_waitlist-seats", "1")
    phone.check("#id_waitlist-privacy_acknowledged")
    phone.click(".waitlist__form button[type=submit]")
    phone.wait_for_url("**/booking/check-your-email/**")


def confirm_booking(phone, live_server):
    _, show = build_site()
    booked = book(make_performance(show), seats=2)
    open_link(phone, live_server, booked.token)
    phone.wait_for_selector(f"{CONFIRM_FORM} button")


def ticket(phone, live_server):
    """Confirmed in the browser: the ticket, under the message saying so."""
    _, show = build_site()
    booked = book(make_performance(show), seats=2)
    open_link(phone, live_server, booked.token)
    phone.click(f"{CONFIRM_FORM} button")
    phone.wait_for_selector(".ticket__qr svg")
    phone.wait_for_load_state("load")  # ticket.js shows the Print button


def cancel_booking(phone, live_server):
    _, show = build_site()
    booked = book_and_confirm(make_performance(show), seats=2)
    open_link(phone, live_server, booked.token, cancel=True)
    phone.wait_for_url("**/booking/reservation/cancel/")


def booking_cancelled(phone, live_server):
    """Cancelled in the browser: what is left of the booking, under the message saying so."""
    cancel_booking(phone, live_server)
    phone.click(f"{CANCEL_FORM} button[type=submit]")
    phone.wait_for_url("**/booking/reservation/")
    phone.wait_for_selector(".messages")


def waiting_list_place(phone, live_server):
    """The place confirmed in the browser: the place in line, under the message saying so."""
    _, show = build_site()
    performance, _ = sold_out_performance(show)
    services.join_waiting_list(
        performance.pk, name="Grace Hopper", email="grace@example.org", seats=1
    )
    already_sent = len(mail.outbox)
    send_queued_emails()
    open_link(phone, live_server, link_token(mail.outbox[already_sent]))
    phone.click(f"{CONFIRM_FORM} button")
    phone.wait_for_selector(".messages")
    phone.wait_for_selector("a[href$='/booking/reservation/cancel/']")


def seats_offered(phone, live_server):
    _, show = build_site()
    performance, booking = sold_out_performance(show)
    place, token = place_in_line(performance)
    services.cancel(booking.pk)  # its seats are offered to the line
    services.offer_freed_seats(performance.pk)
    place.refresh_from_db()
    assert place.status == ReservationStatus.OFFERED
    open_link(phone, live_server, token)
    phone.wait_for_selector(f"{CONFIRM_FORM} button")


def leave_the_waiting_list(phone, live_server):
    _, show = build_site()
    performance, _ = sold_out_performance(show)
    _, token = place_in_line(performance)
    open_link(phone, live_server, token, cancel=True)
    phone.wait_for_url("**/booking/reservation/cancel/")


def search(phone, live_server):
    _, show = build_site()
    make_performance(show)
    phone.goto(live_server.url + "/search/?q=Tempest")
    phone.wait_for_selector(".search-results a")


def group_request_open_with_a_wheelchair_space(phone, live_server):
    """The show page with wheelchair spaces on sale and the group request opened."""
    _, show = build_site()
    performance = make_performance(show, venue_wheelchair_spaces=2)
    phone.goto(live_server.url + show.url + "#group-request")
    phone.evaluate("document.getElementById('group-request').open = true")
    phone.check(f"#group-performance-{performance.pk}")


def group_request_sent(phone, live_server):
    _, show = build_site()
    performance = make_performance(show)
    phone.goto(live_server.url + show.url)
    phone.evaluate("document.getElementById('group-request').open = true")
    phone.check(f"#group-performance-{performance.pk}")
    phone.fill("#id_group-name", "Maria Montessori")
    phone.fill("#id_group-email", "maria@example.org")
    phone.fill("#id_group-seats", "25")
    phone.check("#id_group-privacy_acknowledged")
    phone.click(".group-request__form button[type=submit]")
    phone.wait_for_url("**/booking/group-request/sent/**")


def not_found(phone, live_server):
    build_site()
    response = phone.goto(live_server.url + "/no-such-page/")
    assert response.status == 404


PAGES = [
    home,
    show_index,
    show_page_open,
    show_page_sold_out,
    show_page_with_form_errors,
    check_your_email_after_booking,
    check_your_email_after_joining_the_waiting_list,
    confirm_booking,
    ticket,
    waiting_list_place,
    seats_offered,
    cancel_booking,
    booking_cancelled,
    leave_the_waiting_list,
    group_request_open_with_a_wheelchair_space,
    group_request_sent,
    search,
    not_found,
]

# Violations found and reported to the owners of templates this change may not touch, by
# (page, language): each case fails until its violation is fixed, then its xfail must go.
KNOWN_VIOLATIONS = {}


def cases():
    for visit in PAGES:
        for language in LANGUAGES:
            reason = KNOWN_VIOLATIONS.get((visit.__name__, language))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            yield pytest.param(visit, language, id=f"{visit.__name__}-{language}", marks=marks)


# The check -----------------------------------------------------------------------------------


def violation_report(url, violations):
    lines = [f"axe found {len(violations)} WCAG 2.1 A/AA violation(s) on {url}:"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']}"
            f" <{violation['helpUrl']}>"
        )
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    {target}")
            lines.append(f"      {node['html'][:300]}")
            lines.extend(
                f"      {line.strip()}"
                for line in node.get("failureSummary", "").splitlines()
                if line.strip()
            )
    return "\n".join(lines)


@pytest.mark.parametrize(("visit", "language"), list(cases()))
def test_page_has_no_wcag_violations(visit, language, live_server, phone, settings):
    settings.LANGUAGE_CODE = language
    visit(phone, live_server)

    assert phone.locator("html").get_attribute("lang") == language
    assert phone.locator(".skip-link").inner_text() == SKIP_LINK[language], (
        "the Italian catalogue is not compiled: run `manage.py compile_translations`"
    )
    results = AXE.run(phone, options=AXE_OPTIONS)
    assert results.violations_count == 0, violation_report(
        phone.url, results.response["violations"]
    )


# Text over a poster ---------------------------------------------------------------------------

# axe cannot tell the contrast of text laid over an image: it lists such text as "needs
# review", never as a violation. This check measures it, over a plain white poster (the worst
# case for light text): every piece of text must keep WCAG's 4.5:1 (3:1 when large) against
# the lightest pixel behind it.
HEROES = {"home": ".hero__content", "show_page_open": ".show-hero__content"}

# The text in a hero, with its colour and size; text on a background of its own (a button)
# is axe's to check.
TEXT_OVER_THE_IMAGE = """(selector) => {
    const content = document.querySelector(selector);
    const found = [];
    for (const element of [content, ...content.querySelectorAll("*")]) {
        const ownText = [...element.childNodes].some(
            (node) => node.nodeType === Node.TEXT_NODE && node.textContent.trim());
        if (!ownText) continue;
        let backed = false;
        for (let node = element; node !== content.parentElement; node = node.parentElement) {
            if (getComputedStyle(node).backgroundColor !== "rgba(0, 0, 0, 0)") backed = true;
        }
        if (backed) continue;
        const style = getComputedStyle(element);
        const box = element.getBoundingClientRect();
        found.push({
            text: element.textContent.trim().slice(0, 40),
            color: style.color,
            large: parseFloat(style.fontSize) >= 24
                || (parseFloat(style.fontSize) >= 18.66 && parseInt(style.fontWeight) >= 700),
            box: {x: box.x + scrollX, y: box.y + scrollY, width: box.width, height: box.height},
        });
    }
    return found;
}"""


def luminance(rgb):
    def linear(value):
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = rgb
    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)


def contrast(first, second):
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("page_name", list(HEROES))
def test_text_over_a_white_poster_keeps_its_contrast(
    page_name, language, live_server, phone, settings
):
    settings.LANGUAGE_CODE = language
    visit = next(visit for visit in PAGES if visit.__name__ == page_name)
    visit(phone, live_server)
    poster_drawn = """(selector) => {
        const image = document.querySelector(selector).parentElement.querySelector("picture img");
        return image !== null && image.complete && image.naturalWidth > 0;
    }"""
    phone.wait_for_function(poster_drawn, arg=HEROES[page_name])
    texts = phone.evaluate(TEXT_OVER_THE_IMAGE, HEROES[page_name])
    assert texts, "no text found over the poster"

    # What is behind the text: the same page with the text hidden.
    phone.add_style_tag(content=f"{HEROES[page_name]} {{ visibility: hidden !important; }}")
    failures = []
    for text in texts:
        # The site's text colours are opaque: rgb(r, g, b).
        color = tuple(int(part) for part in re.findall(r"\d+", text["color"])[:3])
        behind = Image.open(io.BytesIO(phone.screenshot(clip=text["box"], full_page=True)))
        pixels = behind.convert("RGB").getcolors(maxcolors=behind.width * behind.height)
        worst = min(contrast(color, pixel) for _, pixel in pixels)
        required = 3 if text["large"] else 4.5
        if worst < required:
            failures.append(
                f"{text['text']!r} ({text['color']}): {worst:.2f}:1 at worst, needs {required}:1"
            )
    assert not failures, "text over a white poster:\n" + "\n".join(failures)

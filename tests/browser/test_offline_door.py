"""The door without a network, in Chromium with Playwright's offline emulation: the page opens
from its service worker, tickets are decided on the phone from its sealed door list, a party is
never admitted twice on one phone, and the queue reaches the server once the network is back:
each check-in applied once, a party admitted at two doors reported to the box office."""

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.utils import timezone

from booking.models import Reservation
from booking.tokens import ticket_token
from checkin.models import OfflineCheckIn, OfflineOutcome
from tests.booking.factories import book_and_confirm, make_performance
from tests.browser.conftest import PHONE, log_in_to_the_admin
from tests.website.factories import ensure_home_page, make_show, make_show_index

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "door-test-password"


def staff_user(username, group_name, *codenames):
    """A staff user in a group rebuilt here (transactional tests flush migration data)."""
    group, _ = Group.objects.get_or_create(name=group_name)
    group.permissions.add(*Permission.objects.filter(codename__in=["access_admin", *codenames]))
    user = User.objects.create_user(username, password=PASSWORD, first_name=username.title())
    user.groups.add(group)
    return user


def evening(seats_by_name):
    """Tonight's performance with a confirmed booking per name: {name: (reservation, token)}."""
    show = make_show(make_show_index(ensure_home_page()), title="La locandiera")
    performance = make_performance(show, days_from_now=0.1, venue_capacity=60)
    tickets = {}
    for number, (name, seats) in enumerate(seats_by_name.items()):
        reservation = book_and_confirm(
            performance, name=name, seats=seats, email=f"guest{number}@example.org"
        ).reservation
        reservation.refresh_from_db()
        tickets[name] = (reservation, ticket_token(reservation.ticket_nonce))
    return performance, tickets


def open_door(browser, live_server, username, door_name=None):
    """A phone logged in to the door, ready to work offline: its worker keeps the page and the
    performance's door list is on the phone."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    log_in_to_the_admin(page, live_server, username, PASSWORD)
    page.goto(live_server.url + "/admin/checkin/")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.wait_for_function(
        "caches.keys().then(async (names) => { for (const name of names) {"
        " if (await (await caches.open(name)).match('/admin/checkin/')) return true; }"
        " return false; })",
        polling=200,
    )
    page.wait_for_selector("[data-network]:has-text('Ready to work offline')")
    if door_name:
        page.click("summary:has-text('This door')")
        page.fill("#door-name", door_name)
        page.press("#door-name", "Tab")
    return context, page


def scan(page, token):
    page.fill("#door-code", token)
    page.press("#door-code", "Enter")


def test_the_door_keeps_admitting_offline_and_sends_each_check_in_once(
    browser, live_server, artifacts
):
    _, tickets = evening(
        {"Mirandolina Rossi": 2, "Fabrizio Neri": 3, "Cavaliere Ripafratta": 1, "Dejanira Bo": 4}
    )
    staff_user("door", "Door staff", "check_in_reservation")
    context, page = open_door(browser, live_server, "door", door_name="Main entrance")
    # On a phone the chosen performance's venue shows in full under the selector.
    venue = Reservation.objects.first().performance.venue.name
    assert venue in page.locator("#door-performance-details").inner_text()
    assert page.locator("#door-performance-details").is_visible()

    # Online: one party in before the network goes.
    scan(page, tickets["Mirandolina Rossi"][1])
    page.click("[data-result][data-state=valid] [data-admit]")
    page.wait_for_selector("[data-result][data-state=checked_in]")
    page.wait_for_function("document.querySelector('[data-network]').textContent.includes(':')")
    page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 300))")
    # An old list of another evening, left on the phone: the next download drops it.
    page.evaluate(
        "localStorage.setItem('azionelab.door.list.999',"
        " JSON.stringify({generatedAt: '2026-01-01T20:00:00Z', entries: {}}))"
    )
    # The list picks up that check-in before the network goes (as the 30 s refresh would).
    page.reload()
    page.wait_for_selector("[data-network]:has-text('Ready to work offline')")
    page.wait_for_function("localStorage.getItem('azionelab.door.list.999') === null")

    context.set_offline(True)
    # The page opens without a network, from the service worker: the copy it kept, which
    # does not know of a performance added since.
    options = page.locator("#door-performance option").count()
    make_performance(days_from_now=0.15, venue_capacity=10)
    assert page.reload().from_service_worker
    page.wait_for_selector("[data-door]")
    assert page.locator("#door-performance option").count() == options
    page.wait_for_selector("[data-network][data-offline=true]:has-text('Offline')")

    # A party already checked in online is refused on the phone.
    scan(page, tickets["Mirandolina Rossi"][1])
    page.wait_for_selector("[data-result][data-offline][data-state=already_checked_in]")
    assert "Main entrance" in page.locator("[data-message]").inner_text()
    # At the theatre's time, whatever time zone the phone is set to (here Chromium's UTC).
    first = Reservation.objects.get(name="Mirandolina Rossi").checked_in_at
    assert f"at {timezone.localtime(first):%H:%M} by" in page.locator("[data-message]").inner_text()

    # Two parties admitted offline.
    for name in ("Fabrizio Neri", "Dejanira Bo"):
        scan(page, tickets[name][1])
        page.wait_for_selector("[data-result][data-offline][data-state=valid]")
        assert name in page.locator("[data-message]").inner_text()
        assert page.locator("[data-offline-badge]").is_visible()
        page.click("[data-admit]")
        page.wait_for_selector("[data-result][data-offline][data-state=checked_in]")
    assert page.locator("[data-network]").inner_text().endswith("Check-ins waiting to be sent: 2.")
    assert page.locator("[data-checked-in-seats]").inner_text() == "9"
    page.locator("[data-door]").evaluate("(door) => door.scrollIntoView()")
    page.screenshot(path=artifacts / "door-offline-queued.png")

    # The same ticket again: refused on this phone, without a network.
    scan(page, tickets["Fabrizio Neri"][1])
    page.wait_for_selector("[data-result][data-offline][data-state=already_checked_in]")
    assert "on this phone" in page.locator("[data-message]").inner_text()

    # A ticket of another performance, or no ticket at all: not on this door list.
    other = make_performance(days_from_now=3, venue_capacity=10)
    stranger = book_and_confirm(other, email="stranger@example.org").reservation
    stranger.refresh_from_db()
    scan(page, ticket_token(stranger.ticket_nonce))
    page.wait_for_selector("[data-result][data-offline][data-state=unknown]")

    # Lookup by name, offline: the parties this page has opened with their tickets.
    page.click("summary:has-text('Find a booking without a ticket')")
    page.fill("#door-search", "dejan")
    page.wait_for_selector("[data-search-results] button:has-text('Dejanira Bo')")
    assert page.locator("[data-search-results] button").count() == 1

    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    # Nothing reached the server yet; the phone holds no token and no name in its storage.
    assert Reservation.objects.filter(checked_in_at__isnull=False).count() == 1
    stored = page.evaluate("JSON.stringify(Object.assign({}, localStorage))")
    for name, (reservation, token) in tickets.items():
        assert token not in stored
        assert name not in stored
        assert reservation.reference not in stored

    # Back online: the queue goes, each check-in applied once.
    context.set_offline(False)
    page.wait_for_selector("[data-network]:has-text('Back online. Check-ins sent: 2.')")
    admitted = Reservation.objects.filter(checked_in_at__isnull=False)
    assert sorted(admitted.values_list("name", flat=True)) == [
        "Dejanira Bo",
        "Fabrizio Neri",
        "Mirandolina Rossi",
    ]
    assert set(admitted.values_list("checked_in_door", flat=True)) == {"Main entrance"}
    assert OfflineCheckIn.objects.filter(outcome=OfflineOutcome.RECORDED).count() == 2
    assert not OfflineCheckIn.objects.conflicts().exists()
    page.wait_for_function("document.querySelector('[data-checked-in-seats]').textContent === '9'")
    assert page.evaluate("JSON.parse(localStorage.getItem('azionelab.door.queue'))") == []
    context.close()


def test_two_doors_admitting_one_party_offline_record_one_check_in_and_one_conflict(
    browser, live_server, artifacts
):
    _, tickets = evening({"Ortensia Blu": 2, "Deianira Verdi": 1})
    staff_user("anna", "Door staff", "check_in_reservation")
    staff_user("bruno", "Door staff", "check_in_reservation")
    main, main_page = open_door(browser, live_server, "anna", door_name="Main entrance")
    side, side_page = open_door(browser, live_server, "bruno", door_name="Side door")

    main.set_offline(True)
    side.set_offline(True)
    for page in (main_page, side_page):
        scan(page, tickets["Ortensia Blu"][1])
        page.wait_for_selector("[data-result][data-offline][data-state=valid]")
        page.click("[data-admit]")
        page.wait_for_selector("[data-result][data-offline][data-state=checked_in]")

    main.set_offline(False)
    main_page.wait_for_selector("[data-network]:has-text('Back online. Check-ins sent: 1.')")
    side.set_offline(False)
    side_page.wait_for_selector(
        "[data-network]:has-text('Conflicts reported to the box office: 1.')"
    )

    reservation = Reservation.objects.get(name="Ortensia Blu")
    assert reservation.checked_in_door == "Main entrance"
    conflict = OfflineCheckIn.objects.conflicts().get()
    assert conflict.outcome == OfflineOutcome.ADMITTED_TWICE
    assert (conflict.earlier_door, conflict.door) == ("Main entrance", "Side door")
    assert OfflineCheckIn.objects.count() == 2

    # The box office sees the conflict, with both times and doors.
    staff_user("carla", "Box office", "view_offlinecheckin", "view_reservation")
    office = browser.new_context(**PHONE)
    page = office.new_page()
    log_in_to_the_admin(page, live_server, "carla", PASSWORD)
    page.goto(live_server.url + "/admin/door-conflicts/")
    row = page.locator("table.listing tbody tr").first
    text = row.inner_text()
    assert reservation.reference in text
    assert "Main entrance" in text and "Side door" in text
    page.screenshot(path=artifacts / "door-conflict-box-office.png", full_page=True)
    for context in (main, side, office):
        context.close()


def test_the_box_office_carries_the_guest_list_and_admits_a_guest_without_a_ticket_offline(
    browser, live_server
):
    _, tickets = evening({"Ortensia Blu": 2, "Fabrizio Neri": 3})
    staff_user("carla", "Box office", "check_in_reservation", "view_reservation")
    context, page = open_door(browser, live_server, "carla", door_name="Box office")

    page.click("summary:has-text('Find a booking without a ticket')")
    page.click("[data-carry-guest-list]")
    page.wait_for_selector("[data-guest-list-status]:has-text('2 bookings')")
    context.set_offline(True)
    page.fill("#door-search", "neri")
    page.click("[data-search-results] button:has-text('Fabrizio Neri')")
    page.wait_for_selector("[data-result][data-offline][data-state=valid]")
    page.click("[data-admit]")
    page.wait_for_selector("[data-result][data-offline][data-state=checked_in]")
    # The guest list never reaches the phone's storage.
    assert "Ortensia" not in page.evaluate("JSON.stringify(Object.assign({}, localStorage))")

    context.set_offline(False)
    page.wait_for_selector("[data-network]:has-text('Check-ins sent: 1.')")
    reservation = tickets["Fabrizio Neri"][0]
    reservation.refresh_from_db()
    assert reservation.checked_in_door == "Box office"
    context.close()


def test_the_door_decides_offline_when_the_application_behind_nginx_is_down(browser, live_server):
    _, tickets = evening({"Ortensia Blu": 2})
    staff_user("door", "Door staff", "check_in_reservation")
    context, page = open_door(browser, live_server, "door")

    # nginx answers 503 for the application: the network is there, the server that decides is not.
    page.route("**/admin/checkin/preview/", lambda route: route.fulfill(status=503, body="Down"))
    scan(page, tickets["Ortensia Blu"][1])
    page.wait_for_selector("[data-result][data-offline][data-state=valid]")
    page.click("[data-admit]")
    page.wait_for_selector("[data-result][data-offline][data-state=checked_in]")
    assert Reservation.objects.get().checked_in_at is None

    # The application is back: the queue goes at the next sign of it.
    page.unroute("**/admin/checkin/preview/")
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector("[data-network]:has-text('Check-ins sent: 1.')")
    assert Reservation.objects.get().checked_in_at is not None
    context.close()


def test_a_check_in_whose_answer_is_lost_is_admitted_once_and_no_conflict(browser, live_server):
    _, tickets = evening({"Ortensia Blu": 2, "Lelio Verdi": 3})
    staff_user("door", "Door staff", "check_in_reservation")
    context, page = open_door(browser, live_server, "door", door_name="Foyer")

    def check_in_with(handler, name):
        """Check `name`'s party in online, the check-in's request going through `handler`."""
        page.route("**/admin/checkin/check-in/", handler)
        scan(page, tickets[name][1])
        page.click("[data-result][data-state=valid] [data-admit]")
        # No answer: the door admits the party on the phone, under the check-in's own nonce.
        page.wait_for_selector("[data-result][data-offline][data-state=checked_in]")
        page.unroute("**/admin/checkin/check-in/")
        assert (
            page.locator("[data-network]").inner_text().endswith("Check-ins waiting to be sent: 1.")
        )
        page.evaluate("window.dispatchEvent(new Event('online'))")
        page.wait_for_selector("[data-network]:has-text('Check-ins sent: 1.')")

    # The request never reached the server: the queued admission checks the party in.
    check_in_with(lambda route: route.abort("connectionreset"), "Lelio Verdi")
    assert Reservation.objects.get(name="Lelio Verdi").checked_in_door == "Foyer"

    # The server checked the party in and the answer was lost: the queued admission is the
    # same one, not a second.
    def answer_lost(route):
        route.fetch()
        route.abort("connectionreset")

    check_in_with(answer_lost, "Ortensia Blu")

    assert not OfflineCheckIn.objects.conflicts().exists()
    assert OfflineCheckIn.objects.filter(outcome=OfflineOutcome.RECORDED).count() == 2
    assert Reservation.objects.filter(checked_in_at__isnull=False).count() == 2
    context.close()

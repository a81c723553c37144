"""At the door: a visitor's ticket, filmed by the door phone's camera, is checked in once."""

import io
import re

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core import mail
from PIL import Image

from booking.models import Reservation
from tests.booking.factories import make_performance
from tests.booking.mailbox import send_queued_emails
from tests.browser.conftest import log_in_to_the_admin
from tests.browser.visitor import book_on_a_phone
from tests.website.factories import ensure_home_page, make_show, make_show_index

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "door-test-password"


def door_staff_user():
    """A Door staff user (the group is rebuilt: transactional tests flush migration data)."""
    group, _ = Group.objects.get_or_create(name="Door staff")
    group.permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="check_in_reservation"),
    )
    user = User.objects.create_user("door", password=PASSWORD)
    user.groups.add(group)
    return user


def y4m_video(png, path, size=(640, 480), frames=10):
    """A short 4:2:0 Y4M clip of the picture on white, as Chromium's fake camera reads it."""
    picture = Image.open(io.BytesIO(png)).convert("RGB")
    scale = min(size[0] * 0.8 / picture.width, size[1] * 0.8 / picture.height)
    picture = picture.resize(
        (int(picture.width * scale), int(picture.height * scale)), Image.NEAREST
    )
    frame = Image.new("RGB", size, "white")
    frame.paste(picture, ((size[0] - picture.width) // 2, (size[1] - picture.height) // 2))
    y, cb, cr = frame.convert("YCbCr").split()
    half = (size[0] // 2, size[1] // 2)
    planes = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    with open(path, "wb") as video:
        video.write(f"YUV4MPEG2 W{size[0]} H{size[1]} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            video.write(b"FRAME\n" + planes)
    return path


def book_and_confirm_on_a_phone(phone, live_server, show, performance):
    book_on_a_phone(phone, live_server, show, performance, seats=3)
    send_queued_emails()  # the email worker's turn
    link = re.search(r"/b/[A-Za-z0-9_-]{43}/", mail.outbox[-1].body).group()
    phone.goto(live_server.url + link)
    phone.click("button:has-text('Confirm booking')")
    phone.wait_for_selector(".ticket__qr svg")
    return phone.locator(".ticket__qr").screenshot()


def log_in_to_the_door(page, live_server):
    log_in_to_the_admin(page, live_server, "door", PASSWORD)
    page.goto(live_server.url + "/admin/checkin/")


def test_the_camera_checks_a_ticket_in_once(live_server, phone, camera_phone, artifacts, tmp_path):
    show = make_show(make_show_index(ensure_home_page()), title="The Tempest")
    performance = make_performance(show, days_from_now=0.2, venue_capacity=30)
    door_staff_user()
    qr_png = book_and_confirm_on_a_phone(phone, live_server, show, performance)

    door = camera_phone(y4m_video(qr_png, tmp_path / "ticket.y4m"))
    log_in_to_the_door(door, live_server)
    door.screenshot(path=artifacts / "door-1-ready.png")
    door.click("[data-camera-toggle]")

    door.wait_for_selector("[data-result][data-state=valid]", timeout=20000)
    assert "Ada Lovelace" in door.locator("[data-message]").inner_text()
    assert door.locator("[data-admit]").inner_text() == "Check in 3 people"
    door.screenshot(path=artifacts / "door-2-preview.png")
    assert Reservation.objects.get().checked_in_at is None

    door.click("[data-admit]")
    door.wait_for_selector("[data-result][data-state=checked_in]")
    assert door.locator("[data-checked-in-seats]").inner_text() == "3"
    door.screenshot(path=artifacts / "door-3-checked-in.png")
    assert Reservation.objects.get().checked_in_by.username == "door"

    # The same ticket shown again: the camera restarts and scans it anew.
    door.click("[data-camera-toggle]")
    door.click("[data-camera-toggle]")
    door.wait_for_selector("[data-result][data-state=already_checked_in]", timeout=20000)
    assert "Already checked in at" in door.locator("[data-message]").inner_text()
    door.screenshot(path=artifacts / "door-4-already-checked-in.png")
    assert door.evaluate("document.documentElement.scrollWidth") <= 375


def test_a_typed_code_is_checked_in_once(live_server, phone, artifacts):
    show = make_show(make_show_index(ensure_home_page()), title="The Tempest")
    performance = make_performance(show, days_from_now=0.2)
    door_staff_user()
    book_and_confirm_on_a_phone(phone, live_server, show, performance)
    from booking.tokens import ticket_token

    code = f"{live_server.url}/t/{ticket_token(Reservation.objects.get().ticket_nonce)}/"
    log_in_to_the_door(phone, live_server)

    phone.fill("#door-code", code)
    phone.press("#door-code", "Enter")
    phone.wait_for_selector("[data-result][data-state=valid]")
    phone.click("[data-admit]")
    phone.wait_for_selector("[data-result][data-state=checked_in]")
    assert phone.evaluate("document.activeElement.id") == "door-code"

    phone.fill("#door-code", code)
    phone.press("#door-code", "Enter")
    phone.wait_for_selector("[data-result][data-state=already_checked_in]")
    phone.screenshot(path=artifacts / "door-5-typed-again.png")

    phone.fill("#door-code", "not a ticket")
    phone.press("#door-code", "Enter")
    phone.wait_for_selector("[data-result][data-state=unknown]")
    phone.screenshot(path=artifacts / "door-6-unknown.png")


def test_staff_opening_a_ticket_url_get_the_door_preview_and_can_check_in(live_server, phone):
    from booking.tokens import ticket_token

    show = make_show(make_show_index(ensure_home_page()), title="The Tempest")
    performance = make_performance(show, days_from_now=0.2)
    door_staff_user()
    book_and_confirm_on_a_phone(phone, live_server, show, performance)
    token = ticket_token(Reservation.objects.get().ticket_nonce)
    log_in_to_the_door(phone, live_server)

    # As a phone's own camera app opens it: the page sends no Referer, yet its requests pass CSRF.
    phone.goto(f"{live_server.url}/t/{token}/")
    phone.wait_for_selector("[data-result][data-state=valid]")
    phone.click("[data-admit]")
    phone.wait_for_selector("[data-result][data-state=checked_in]")
    assert Reservation.objects.get().checked_in_at is not None

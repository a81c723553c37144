"""Who may call the door's JSON endpoints, now that Django routes them before Wagtail's admin:
the same users as the admin's wrapper let through, the same refusals, the same language."""

import json
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.test import Client, override_settings
from django.urls import resolve, reverse
from wagtail.models import ModelLogEntry
from wagtail.users.models import UserProfile

from booking.models import Reservation
from booking.tokens import ticket_token
from checkin import services, views
from tests.booking.factories import book_and_confirm, make_performance
from tests.staff import staff

pytestmark = pytest.mark.django_db

PREVIEW, CHECK_IN, SEARCH, UNDO = (
    f"/admin/checkin/{name}/" for name in ("preview", "check-in", "search", "undo")
)
JSON_ENDPOINTS = [PREVIEW, CHECK_IN, SEARCH, UNDO]
XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


@pytest.fixture
def performance(home_page):
    return make_performance(venue_capacity=20, days_from_now=0.2)


def request(client, url, performance, *, xhr=True):
    """What door.js sends to `url`: a GET for the search, a JSON POST for the others."""
    headers = XHR if xhr else {}
    if url == SEARCH:
        return client.get(url, {"performance": performance.pk, "q": "ada"}, **headers)
    body = {"performance": performance.pk, "code": "a" * 43, "reservation": 1, "reason": "x"}
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def user_with(*codenames, superuser=False, active=True, through_group=True):
    """A user holding exactly these permissions, through a group of their own or directly."""
    user = User.objects.create_user(
        "someone", password="x", is_superuser=superuser, is_active=active
    )
    permissions = Permission.objects.filter(codename__in=codenames)
    assert permissions.count() == len(codenames)
    if through_group:
        group = Group.objects.create(name="Someone's group")
        group.permissions.set(permissions)
        user.groups.add(group)
    else:
        user.user_permissions.set(permissions)
    return user


def test_the_json_endpoints_are_routed_without_wagtails_admin_wrapper():
    for name, view in [
        ("preview", views.preview),
        ("check_in", views.check_in),
        ("search", views.search),
        ("undo", views.undo),
    ]:
        url = reverse(f"checkin:{name}")
        assert url.startswith("/admin/checkin/")
        assert resolve(url).func is view


def test_the_door_page_keeps_wagtails_admin_wrapper():
    match = resolve(reverse("checkin:door"))
    assert reverse("checkin:door") == "/admin/checkin/"
    assert match.func is not views.door
    assert match.func.__wrapped__ is views.door


@pytest.mark.parametrize("url", JSON_ENDPOINTS)
def test_nobody_logged_in_gets_403_from_the_door_script_and_the_login_page_otherwise(
    client, performance, url
):
    assert request(client, url, performance).status_code == 403

    response = request(client, url, performance, xhr=False)
    assert response.status_code == 302
    assert response["Location"].startswith(f"/admin/login/?next={url}")


@pytest.mark.parametrize("url", JSON_ENDPOINTS)
def test_a_deactivated_user_is_refused(client, performance, url):
    user = staff("Box office")
    client.force_login(user)
    User.objects.filter(pk=user.pk).update(is_active=False)

    assert request(client, url, performance).status_code == 403
    assert request(client, url, performance, xhr=False).status_code == 302


@pytest.mark.parametrize("url", JSON_ENDPOINTS)
def test_the_door_permissions_without_admin_access_are_refused(client, performance, url):
    client.force_login(user_with("check_in_reservation", "undo_check_in"))

    assert request(client, url, performance).status_code == 403
    response = request(client, url, performance, xhr=False)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("url", JSON_ENDPOINTS)
def test_admin_access_without_the_door_permission_is_refused(client, performance, url):
    client.force_login(staff("Editors"))

    assert request(client, url, performance).status_code == 403
    # As Wagtail refuses a page of its admin: to the dashboard, with a message.
    response = request(client, url, performance, xhr=False)
    assert (response.status_code, response["Location"]) == (302, "/admin/")


def test_undo_needs_its_own_permission(client, performance):
    client.force_login(user_with("access_admin", "check_in_reservation"))
    assert request(client, UNDO, performance).status_code == 403
    assert request(client, PREVIEW, performance).status_code == 200


@pytest.mark.parametrize("through_group", [True, False])
def test_the_permissions_count_whether_granted_to_a_group_or_to_the_user(
    client, performance, through_group
):
    client.force_login(
        user_with("access_admin", "check_in_reservation", through_group=through_group)
    )
    assert request(client, PREVIEW, performance).status_code == 200
    assert request(client, SEARCH, performance).status_code == 200


def test_a_superuser_needs_no_permission(client, performance):
    client.force_login(user_with(superuser=True))
    for url in (PREVIEW, SEARCH):
        assert request(client, url, performance).status_code == 200
    assert request(client, UNDO, performance).status_code == 409  # allowed; nothing to undo


def test_a_deactivated_superuser_is_refused(client, performance):
    user = user_with(superuser=True)
    client.force_login(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert request(client, PREVIEW, performance).status_code == 403


@override_settings(
    AUTHENTICATION_BACKENDS=[
        "django.contrib.auth.backends.ModelBackend",
        "django.contrib.auth.backends.AllowAllUsersModelBackend",
    ]
)
def test_with_other_backends_the_backends_are_asked(client, performance):
    client.force_login(staff("Door staff"), backend="django.contrib.auth.backends.ModelBackend")
    assert request(client, PREVIEW, performance).status_code == 200

    client.force_login(staff("Editors"), backend="django.contrib.auth.backends.ModelBackend")
    assert request(client, PREVIEW, performance).status_code == 403


@pytest.mark.parametrize("url", [PREVIEW, CHECK_IN, UNDO])
def test_a_wrong_method_gets_405_only_from_a_permitted_user(client, performance, url):
    client.force_login(staff("Editors"))
    assert client.get(url, **XHR).status_code == 403
    client.force_login(staff("Box office"))
    assert client.get(url, **XHR).status_code == 405


def test_a_post_to_the_search_gets_405(client, performance):
    client.force_login(staff("Door staff"))
    assert client.post(SEARCH, "{}", content_type="application/json", **XHR).status_code == 405


@pytest.mark.parametrize("url", [PREVIEW, CHECK_IN, UNDO])
def test_a_body_that_is_not_json_gets_415(client, performance, url):
    client.force_login(staff("Box office"))
    response = client.post(url, {"performance": performance.pk}, **XHR)
    assert response.status_code == 415
    assert response.json()["error"] == "unsupported_media_type"


@pytest.mark.parametrize("url", [PREVIEW, CHECK_IN, UNDO])
def test_a_post_without_the_csrf_token_is_refused_and_writes_nothing(performance, url):
    issued = book_and_confirm(performance)
    token = ticket_token(Reservation.objects.get().ticket_nonce)
    services.check_in(performance, by=None, reservation_id=issued.reservation.pk)
    Reservation.objects.update(checked_in_at=None)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(staff("Box office"))
    body = {"performance": performance.pk, "code": token, "reservation": 1, "reason": "x"}

    response = browser.post(url, json.dumps(body), content_type="application/json", **XHR)

    assert response.status_code == 403
    assert Reservation.objects.get().checked_in_at is None
    assert ModelLogEntry.objects.filter(action=services.CHECK_IN_ACTION).count() == 1


def test_a_check_in_is_logged_with_the_user_and_a_request_uuid(client, performance):
    issued = book_and_confirm(performance)
    client.force_login(staff("Door staff"))
    body = {"performance": performance.pk, "reservation": issued.reservation.pk}

    client.post(CHECK_IN, json.dumps(body), content_type="application/json", **XHR)

    entry = ModelLogEntry.objects.get(action=services.CHECK_IN_ACTION)
    assert entry.user.username == "door-staff"
    assert entry.uuid is not None


def test_answers_speak_the_users_admin_language_and_time_zone(client, performance):
    issued = book_and_confirm(performance, seats=2)
    user = staff("Door staff")
    UserProfile.objects.create(
        user=user, preferred_language="it", current_time_zone="America/New_York"
    )
    client.force_login(user)
    body = json.dumps({"performance": performance.pk, "reservation": issued.reservation.pk})

    admitted = client.post(CHECK_IN, body, content_type="application/json", **XHR).json()
    again = client.post(CHECK_IN, body, content_type="application/json", **XHR).json()

    assert admitted["message"] == "Entrate: 2 persone. Buono spettacolo!"
    checked_in_at = Reservation.objects.get().checked_in_at
    in_new_york = checked_in_at.astimezone(ZoneInfo("America/New_York")).strftime("%H:%M")
    assert again["message"] == f"Già entrata alle {in_new_york}, registrata da door-staff."


def test_without_a_profile_answers_speak_the_sites_language_and_time_zone(
    client, performance, settings
):
    issued = book_and_confirm(performance, seats=2)
    services.check_in(performance, by=None, reservation_id=issued.reservation.pk)
    client.force_login(staff("Door staff"))
    body = json.dumps({"performance": performance.pk, "reservation": issued.reservation.pk})

    answer = client.post(PREVIEW, body, content_type="application/json", **XHR).json()

    checked_in_at = Reservation.objects.get().checked_in_at
    local = checked_in_at.astimezone(ZoneInfo(settings.TIME_ZONE)).strftime("%H:%M")
    assert answer["message"] == f"Already checked in at {local} by someone."

"""A show page's view restrictions (password, login, groups) hold for its booking form too.

Whoever the page's URL turns away, booking:book turns away with the same answer, and books
nothing; whoever may view the page may book it.
"""

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group, User
from django.core import mail
from django.urls import reverse
from wagtail.models import PageViewRestriction

from booking.models import Reservation
from tests.booking.factories import after_commit, make_performance
from tests.booking.test_views import valid_data

pytestmark = pytest.mark.django_db

PASSWORD = "prova-generale"
SECRET_SUMMARY = "Only the friends of the company may read this."


class Restriction:
    """One kind of view restriction: how to put it on a page, and how a visitor satisfies it."""

    kind = None
    fields = {}

    def __init__(self, page):
        self.restriction = PageViewRestriction.objects.create(
            page=page, restriction_type=self.kind, **self.fields
        )

    def turn_away(self, client):
        """What the visitor does before satisfying the restriction (nothing, by default)."""


class PasswordRestriction(Restriction):
    kind = PageViewRestriction.PASSWORD
    fields = {"password": PASSWORD}

    def password_url(self, show):
        return reverse(
            "wagtailcore_authenticate_with_password", args=[self.restriction.pk, show.pk]
        )

    def satisfy(self, client, show):
        response = client.post(
            self.password_url(show), {"password": PASSWORD, "return_url": show.url}
        )
        assert response.status_code == 302

    def assert_refusal(self, response, show):
        assert response.status_code == 200
        form = soup(response).find("form", action=self.password_url(show))
        assert form is not None
        assert form.find("input", attrs={"name": "password"}) is not None


class LoginRestriction(Restriction):
    kind = PageViewRestriction.LOGIN

    def satisfy(self, client, show):
        client.force_login(User.objects.create_user("friend"))

    def assert_refusal(self, response, show):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("wagtailcore_login") + "?next=")


class GroupRestriction(LoginRestriction):
    kind = PageViewRestriction.GROUPS

    def __init__(self, page):
        super().__init__(page)
        self.friends = Group.objects.create(name="Friends of the company")
        self.restriction.groups.add(self.friends)

    def turn_away(self, client):
        # Logged in, but not one of the friends.
        client.force_login(User.objects.create_user("stranger"))

    def satisfy(self, client, show):
        friend = User.objects.create_user("friend")
        friend.groups.add(self.friends)
        client.force_login(friend)


RESTRICTIONS = [PasswordRestriction, LoginRestriction, GroupRestriction]


def soup(response):
    return BeautifulSoup(response.content, "html.parser")


def assert_show_content_absent(response, show):
    text = soup(response).get_text(" ", strip=True)
    assert SECRET_SUMMARY not in text
    assert show.title not in text
    assert soup(response).find("form", class_="booking-form") is None


def post_booking(client, show, data):
    with after_commit():
        return client.post(reverse("booking:book", args=[show.pk]), data)


@pytest.fixture
def performance(home_page):
    performance = make_performance(venue_capacity=20, max_seats_per_booking=4)
    performance.show.summary = SECRET_SUMMARY
    performance.show.save_revision().publish()
    return performance


@pytest.fixture
def show(performance):
    return performance.show


@pytest.fixture(params=RESTRICTIONS, ids=["password", "login", "group"])
def restriction(request, show):
    return request.param(show)


def test_a_restricted_show_page_turns_the_visitor_away(client, show, restriction):
    restriction.turn_away(client)
    response = client.get(show.url)
    restriction.assert_refusal(response, show)
    assert_show_content_absent(response, show)


def test_an_invalid_booking_for_a_restricted_show_gets_the_refusal_not_the_page(
    client, show, performance, restriction
):
    restriction.turn_away(client)
    response = post_booking(client, show, valid_data(performance, {"seats": "0"}))

    restriction.assert_refusal(response, show)
    assert_show_content_absent(response, show)


def test_a_valid_booking_for_a_restricted_show_books_nothing(
    client, show, performance, restriction
):
    restriction.turn_away(client)
    response = post_booking(client, show, valid_data(performance))

    restriction.assert_refusal(response, show)
    assert_show_content_absent(response, show)
    assert not Reservation.objects.exists()
    assert mail.outbox == []


def test_a_restriction_on_the_show_index_holds_for_its_shows_booking_forms(
    client, show, performance
):
    restriction = PasswordRestriction(show.get_parent())
    response = post_booking(client, show, valid_data(performance))

    assert response.status_code == 200
    password_url = reverse(
        "wagtailcore_authenticate_with_password",
        args=[restriction.restriction.pk, show.pk],
    )
    assert soup(response).find("form", action=password_url) is not None
    assert_show_content_absent(response, show)
    assert not Reservation.objects.exists()


def test_booking_opens_once_the_restriction_is_satisfied(client, show, performance, restriction):
    restriction.turn_away(client)
    post_booking(client, show, valid_data(performance))
    assert not Reservation.objects.exists()

    restriction.satisfy(client, show)
    response = post_booking(client, show, valid_data(performance))

    assert response.status_code == 302
    assert response["Location"] == reverse("booking:requested")
    assert Reservation.objects.get().email == "ada@example.org"
    assert len(mail.outbox) == 1


def test_once_the_restriction_is_satisfied_an_invalid_booking_shows_the_page_with_its_errors(
    client, show, performance, restriction
):
    restriction.satisfy(client, show)
    response = post_booking(client, show, valid_data(performance, {"seats": "0"}))

    assert response.status_code == 200
    page = soup(response)
    assert page.find("h1", class_="show-hero__title").get_text(strip=True) == show.title
    assert SECRET_SUMMARY in page.find(class_="lead").get_text()
    assert "Book at least one seat." in page.find(id="id_seats_error").get_text()
    assert page.find("input", attrs={"name": "name"})["value"] == "Ada Lovelace"
    assert not Reservation.objects.exists()
    # A page answering a POST holds what this visitor typed: nginx must never share it.
    assert "stale-while-revalidate" not in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]


def test_an_unpublished_restricted_show_is_not_found_even_for_an_allowed_visitor(
    client, show, performance, restriction
):
    restriction.satisfy(client, show)
    show.unpublish()

    for data in (valid_data(performance), valid_data(performance, {"seats": "0"})):
        response = post_booking(client, show, data)
        assert response.status_code == 404
        assert_show_content_absent(response, show)
    assert not Reservation.objects.exists()
    assert mail.outbox == []


def test_the_password_asked_for_by_a_refused_booking_leads_back_to_the_show(
    client, show, performance
):
    restriction = PasswordRestriction(show)
    response = post_booking(client, show, valid_data(performance))
    return_url = soup(response).find("input", attrs={"name": "return_url"})["value"]
    response = client.post(
        restriction.password_url(show),
        {"password": PASSWORD, "return_url": return_url},
        follow=True,
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == f"{show.url}#tickets"
    assert soup(response).find("form", class_="booking-form") is not None

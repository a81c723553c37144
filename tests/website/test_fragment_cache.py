"""The pages' cached fragments (ADR 0021): an editor's change shows on the next request, the
availability never comes from the cache, and previews and editors get pages rendered for them."""

import uuid

import pytest
from bs4 import BeautifulSoup
from django.core.cache import caches
from django.urls import reverse
from wagtail.models import Page, PageViewRestriction

from tests.booking.factories import book_and_confirm, make_performance
from tests.booking.test_views import valid_data
from tests.staff import staff
from tests.website.factories import make_content_page, make_image, make_show, make_show_index
from website.models import CompanySettings, ContentVersion, ShowPage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_fragment_cache():
    caches["template_fragments"].clear()


@pytest.fixture
def show(home_page):
    index = make_show_index(home_page)
    show = make_show(
        index, title="The Tempest", summary="A storm on a bare stage.", hero_image=make_image()
    )
    make_performance(show, days_from_now=3, venue_capacity=40)
    return show


@pytest.fixture
def about(home_page):
    return make_content_page(home_page, title="About us", slug="about", show_in_menus=True)


def soup_of(client, page):
    response = client.get(page.url)
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def menu(soup):
    return [link.get_text() for link in soup.select("nav.main-nav a")]


def seats_left(soup):
    return [status.get_text(" ", strip=True) for status in soup.select(".performance__status")]


def test_the_second_request_is_served_from_the_cache_with_the_same_page(client, show, about):
    first = client.get(show.url).content
    assert len(caches["template_fragments"]._cache) > 0
    assert client.get(show.url).content == first


def test_a_menu_pages_new_title_shows_on_the_next_request(client, show, about):
    assert menu(soup_of(client, show)) == ["Shows", "About us"]

    about.title = "Who we are"
    about.save_revision().publish()

    assert menu(soup_of(client, show)) == ["Shows", "Who we are"]


@pytest.mark.parametrize("action", ["unpublish", "move", "delete"])
def test_a_menu_page_unpublished_moved_or_deleted_leaves_the_menu_at_once(
    client, home_page, show, about, action
):
    assert "About us" in menu(soup_of(client, show))

    if action == "unpublish":
        about.unpublish()
    elif action == "move":
        about.move(make_content_page(home_page, title="Company"), pos="last-child")
    else:
        Page.objects.get(pk=about.pk).delete()

    assert "About us" not in menu(soup_of(client, show))


def test_a_menu_page_made_private_leaves_the_menu_at_once(client, show, about):
    assert "About us" in menu(soup_of(client, show))

    PageViewRestriction.objects.create(
        page=about, restriction_type=PageViewRestriction.PASSWORD, password="secret"
    )

    assert "About us" not in menu(soup_of(client, show))


def test_a_changed_setting_shows_in_the_title_header_and_footer(client, show):
    soup_of(client, show)

    settings = CompanySettings.load()
    settings.company_name = "Teatro Nuovo"
    settings.tagline = "Theatre for everyone"
    settings.save()

    soup = soup_of(client, show)
    assert soup.title.get_text() == "The Tempest · Teatro Nuovo"
    assert soup.select_one(".brand__name").get_text() == "Teatro Nuovo"
    assert soup.select_one(".site-footer__name").get_text() == "Teatro Nuovo"
    assert soup.select_one(".site-footer__company p").get_text() == "Theatre for everyone"


def test_a_new_privacy_notice_shows_in_the_footer_and_the_booking_forms(client, home_page, show):
    soup = soup_of(client, show)
    assert not soup.select(".field__link")

    settings = CompanySettings.load()
    settings.privacy_notice_page = make_content_page(home_page, title="Privacy", slug="privacy")
    settings.save()

    soup = soup_of(client, show)
    links = {link["href"] for link in soup.select(".field__link")}
    assert links == {"/privacy/"}
    assert soup.find("a", string="Privacy notice")["href"] == "/privacy/"


def test_the_shows_own_edit_shows_on_the_next_request(client, show):
    soup_of(client, show)

    show.title = "La Tempesta"
    show.summary = "Una tempesta su un palco nudo."
    show.save_revision().publish()

    soup = soup_of(client, show)
    assert soup.h1.get_text() == "La Tempesta"
    assert soup.select_one(".lead").get_text() == "Una tempesta su un palco nudo."
    assert soup.find("meta", property="og:title")["content"] == "La Tempesta"


def test_a_new_hero_image_shows_on_the_next_request(client, show):
    before = soup_of(client, show).select_one(".show-hero img")["src"]

    show.hero_image = make_image("New poster")
    show.save_revision().publish()

    assert soup_of(client, show).select_one(".show-hero img")["src"] != before


def test_an_edit_saved_by_another_worker_shows_here(client, show):
    """Each worker caches in its own memory and none hears another's signals: the token they
    all read from the database is what tells them. Here the edit reaches the database without
    this process's signals, as another worker's does, and renews the token as they do."""
    soup_of(client, show)

    ShowPage.objects.filter(pk=show.pk).update(title="La Tempesta")
    ContentVersion.objects.update_or_create(pk=1, defaults={"token": uuid.uuid4()})

    assert soup_of(client, show).h1.get_text() == "La Tempesta"


def test_seats_left_are_never_served_from_the_cache(client, show):
    assert seats_left(soup_of(client, show)) == ["40 seats left"]

    book_and_confirm(show.performances.get(), seats=3)

    assert seats_left(soup_of(client, show)) == ["37 seats left"]


def test_a_preview_is_rendered_for_the_editor_and_never_cached(client, show):
    client.get(show.url)
    editor = staff("Editors")
    show.title = "Draft title"
    show.save_revision()

    client.force_login(editor)
    preview = client.get(reverse("wagtailadmin_pages:view_draft", args=[show.pk]))
    assert BeautifulSoup(preview.content, "html.parser").h1.get_text() == "Draft title"

    client.logout()
    assert soup_of(client, show).h1.get_text() == "The Tempest"


def test_a_preview_before_any_visitor_leaves_nothing_for_them(client, show):
    show.title = "Draft title"
    show.save_revision()
    client.force_login(staff("Editors"))
    client.get(reverse("wagtailadmin_pages:view_draft", args=[show.pk]))

    client.logout()
    assert soup_of(client, show).h1.get_text() == "The Tempest"


def test_an_editor_gets_the_userbar_and_visitors_never_do(client, show):
    assert not soup_of(client, show).select(".wagtail-userbar, wagtail-userbar")

    client.force_login(staff("Editors"))
    assert b"userbar" in client.get(show.url).content

    client.logout()
    assert b"userbar" not in client.get(show.url).content


def test_a_restricted_show_cached_for_a_visitor_who_may_see_it_stays_closed_to_others(client, show):
    restriction = PageViewRestriction.objects.create(
        page=show, restriction_type=PageViewRestriction.PASSWORD, password="prova"
    )
    password_url = reverse("wagtailcore_authenticate_with_password", args=[restriction.pk, show.pk])
    client.post(password_url, {"password": "prova", "return_url": show.url})
    assert b"A storm on a bare stage." in client.get(show.url).content

    client.cookies.clear()
    response = client.get(show.url)
    assert b"A storm on a bare stage." not in response.content
    assert BeautifulSoup(response.content, "html.parser").find("input", attrs={"name": "password"})


def test_what_a_visitor_typed_is_never_cached_nor_replaced_by_the_cached_form(client, show):
    assert not soup_of(client, show).find("input", attrs={"name": "name"}).has_attr("value")

    data = valid_data(show.performances.get(), {"email": "not-an-email"})
    answer = BeautifulSoup(
        client.post(reverse("booking:book", args=[show.pk]), data).content, "html.parser"
    )
    assert answer.find("input", attrs={"name": "name"})["value"] == "Ada Lovelace"
    assert answer.find("input", attrs={"name": "email"})["aria-invalid"] == "true"

    client.cookies.clear()
    fresh = soup_of(client, show)
    assert not fresh.find("input", attrs={"name": "name"}).has_attr("value")
    assert not fresh.find("input", attrs={"name": "email"}).has_attr("aria-invalid")

"""The show page editor's "Performances" panel, which booking fills through website's seam,
and the new performance form that its "Add a performance" link opens pre-filled."""

import datetime

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.formats import date_format

from booking.models import Performance
from tests.booking.factories import book_and_confirm, make_performance
from tests.staff import staff
from tests.website.factories import make_show

pytestmark = pytest.mark.django_db

ADD_PERFORMANCE = "/admin/snippets/booking/performance/add/"


def editor_and_box_office():
    """Someone who edits pages and runs the box office: who the panel is for."""
    user = staff("Editors")
    user.groups.add(Group.objects.get(name="Box office"))
    return user


def panel_of(response):
    assert response.status_code == 200
    page = BeautifulSoup(response.content, "html.parser")
    return page.select_one("[data-show-performances]")


def panel_rows(panel):
    """Each performance: when it starts, its state, venue, confirmed and available seats."""
    return [
        [
            item.select_one(".show-performances__starts").get_text(strip=True),
            item.select_one(".w-status").get_text(strip=True),
            *(dd.get_text(strip=True) for dd in item.select("dd")),
        ]
        for item in panel.select(".show-performances__item")
    ]


@pytest.fixture
def show(home_page):
    return make_performance(venue_capacity=20).show


def edit_show(client, show, user=None):
    client.force_login(user or editor_and_box_office())
    return client.get(f"/admin/pages/{show.pk}/edit/")


def test_the_editor_lists_exactly_the_shows_performances_with_seats_and_state(client, show):
    first = show.performances.get()
    book_and_confirm(first, seats=3)
    later = make_performance(show, days_from_now=20, venue=first.venue)
    Performance.objects.filter(pk=later.pk).update(is_cancelled=True)
    other = make_performance(venue_name="Elsewhere")  # another show's

    panel = panel_of(edit_show(client, show))

    starts = date_format(timezone.localtime(first.starts_at), "D j M Y, H:i")
    later_starts = date_format(timezone.localtime(later.starts_at), "D j M Y, H:i")
    assert panel_rows(panel) == [
        [starts, "On sale", first.venue.name, "3", "17"],
        [later_starts, "Cancelled", first.venue.name, "0", "20"],
    ]
    edit_links = [a["href"] for a in panel.select("a.show-performances__starts")]
    assert edit_links == [
        f"/admin/snippets/booking/performance/edit/{first.pk}/",
        f"/admin/snippets/booking/performance/edit/{later.pk}/",
    ]
    assert f"/edit/{other.pk}/" not in str(panel)
    cancelled = panel.select(".show-performances__item--cancelled")
    assert [item.select_one(".w-status").get_text(strip=True) for item in cancelled] == [
        "Cancelled"
    ]


def test_the_add_link_opens_the_new_performance_form_with_the_show_chosen(client, show):
    panel = panel_of(edit_show(client, show))
    add = next(a for a in panel.find_all("a") if "Add a performance" in a.get_text())
    assert add["href"] == f"{ADD_PERFORMANCE}?show={show.pk}"

    form = BeautifulSoup(client.get(add["href"]).content, "html.parser")
    assert form.select_one("input[name=show]")["value"] == str(show.pk)


@pytest.mark.parametrize("value", ["abc", "999999", "-1", "1e3", "99999999999999999999", "٣"])
def test_a_bad_show_in_the_add_link_opens_an_empty_form(client, show, value):
    client.force_login(editor_and_box_office())
    response = client.get(ADD_PERFORMANCE, {"show": value})
    assert response.status_code == 200
    form = BeautifulSoup(response.content, "html.parser")
    assert not form.select_one("input[name=show]").get("value")


def test_the_panel_reads_all_the_performances_in_one_query(client, show):
    venue = show.performances.get().venue
    for days in range(1, 6):
        make_performance(show, days_from_now=days, venue=venue)
    with CaptureQueriesContext(connection) as queries:
        panel = panel_of(edit_show(client, show))
    assert len(panel_rows(panel)) == 6
    reading_performances = [q for q in queries if '"booking_performance"' in q["sql"]]
    assert len(reading_performances) == 1


def test_a_new_show_says_performances_come_once_it_is_saved(client, show):
    client.force_login(editor_and_box_office())
    response = client.get(f"/admin/pages/add/website/showpage/{show.get_parent().pk}/")
    panel = panel_of(response)
    assert "Performances can be added once the show is saved." in panel.get_text()
    assert not panel.select(".show-performances__item, a")


def test_editors_without_the_box_office_see_the_performances_and_who_manages_them(client, show):
    panel = panel_of(edit_show(client, show, staff("Editors")))
    assert len(panel_rows(panel)) == 1
    assert not panel.select("a")
    assert "The box office adds and changes performances" in panel.get_text()


def test_whoever_may_only_view_performances_gets_no_links(client, show):
    user = staff("Editors")
    user.user_permissions.add(Permission.objects.get(codename="view_performance"))
    panel = panel_of(edit_show(client, show, user))
    assert len(panel_rows(panel)) == 1
    assert not panel.select("a")


def test_a_show_without_performances_says_so(client, home_page):
    index = make_performance().show.get_parent()
    show = make_show(index)
    panel = panel_of(edit_show(client, show))
    assert "This show has no performances yet." in panel.get_text()
    assert [a["href"] for a in panel.find_all("a")] == [f"{ADD_PERFORMANCE}?show={show.pk}"]


def test_dates_are_local(client, show, settings):
    settings.TIME_ZONE = "Europe/Rome"
    performance = show.performances.get()
    Performance.objects.filter(pk=performance.pk).update(
        starts_at=datetime.datetime(2030, 1, 15, 19, 30, tzinfo=datetime.UTC)
    )
    panel = panel_of(edit_show(client, show))
    assert panel_rows(panel)[0][0] == "Tue 15 Jan 2030, 20:30"

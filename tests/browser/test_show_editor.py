"""The show page editor on a phone: the show's performances, and a new one added from there."""

import datetime

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from booking.models import Performance
from tests.booking.factories import book_and_confirm, make_performance
from tests.browser.conftest import log_in_to_the_admin
from tests.website.factories import ensure_home_page, make_show, make_show_index

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "editor-test-password"


def evening(days_from_now):
    day = timezone.localdate() + datetime.timedelta(days=days_from_now)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(20, 30)))


def test_the_show_editor_lists_its_performances_and_adds_one(live_server, phone, artifacts):
    # A superuser: transactional tests flush the staff groups the migrations made.
    User.objects.create_superuser("editor", password=PASSWORD)
    index = make_show_index(ensure_home_page())
    show = make_show(index, title="The Tempest")
    first = make_performance(
        show, starts_at=evening(3), venue_name="Teatro Verdi", venue_capacity=80
    )
    book_and_confirm(first, seats=4)
    second = make_performance(show, starts_at=evening(4), venue=first.venue)
    cancelled = make_performance(show, starts_at=evening(5), venue=first.venue)
    Performance.objects.filter(pk=cancelled.pk).update(is_cancelled=True)
    make_performance(make_show(index, title="Another show"), venue=first.venue)

    log_in_to_the_admin(phone, live_server, "editor", PASSWORD)
    phone.goto(f"{live_server.url}/admin/pages/{show.pk}/edit/")
    panel = phone.locator("[data-show-performances]")
    panel.scroll_into_view_if_needed()
    rows = panel.locator(".show-performances__item")
    assert rows.count() == 3
    assert rows.nth(2).locator(".w-status").text_content().strip() == "Cancelled"
    edit_links = [
        rows.nth(i).locator("a.show-performances__starts").get_attribute("href") for i in range(3)
    ]
    assert edit_links == [
        f"/admin/snippets/booking/performance/edit/{performance.pk}/"
        for performance in (first, second, cancelled)
    ]
    section = phone.locator("section", has=panel).last
    section.evaluate("element => element.scrollIntoView({block: 'start'})")
    phone.screenshot(path=artifacts / "show-editor-performances.png")

    panel.get_by_role("link", name="Add a performance").click()
    phone.wait_for_url("**/admin/snippets/booking/performance/add/?show=*")
    assert phone.locator("input[name=show]").input_value() == str(show.pk)
    assert "The Tempest" in phone.locator("[data-field-wrapper]:has(input[name=show])").inner_text()

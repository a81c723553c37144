"""The partner widget's page in the admin: the embed code for the season or one show, the
origins it works for, and who may see it."""

import pytest
from bs4 import BeautifulSoup

from tests.staff import main_menu_names, staff
from tests.website.factories import make_show, make_show_index

pytestmark = pytest.mark.django_db

PAGE = "/admin/booking/partner-widget/"


@pytest.fixture
def index(home_page):
    return make_show_index(home_page, title="Spettacoli", slug="spettacoli")


def embed_code(response):
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser").find(id="partner-widget-code").string


@pytest.mark.parametrize(
    ("group_name", "sees"),
    [("Box office", True), ("Editors", True), ("Door staff", False)],
)
def test_the_box_office_and_editors_find_the_partner_widget(client, home_page, group_name, sees):
    client.force_login(staff(group_name))

    assert ("partner-widget" in main_menu_names(client.get("/admin/"))) is sees
    assert (client.get(PAGE).status_code == 200) is sees


def test_visitors_are_sent_to_the_login(client, home_page):
    assert client.get(PAGE)["Location"].startswith("/admin/login/")


def test_the_season_code_names_the_stable_script_and_a_link_to_the_season(client, index):
    client.force_login(staff("Box office"))

    code = embed_code(client.get(PAGE))

    assert code == (
        '<script src="http://127.0.0.1:8000/static/booking/widget.js" defer></script>\n'
        f'<div data-azionelab-season><a href="{index.full_url}">AzioneLab: the season</a></div>'
    )


def test_a_shows_code_names_the_show_and_links_to_its_page(client, index):
    show = make_show(index, title="La tempesta")
    past = make_show(index, days_from_now=-40, run_days=2)
    client.force_login(staff("Editors"))

    response = client.get(PAGE, {"show": show.pk})
    code = embed_code(response)

    assert f'<div data-azionelab-show="{show.pk}">' in code
    assert f'<a href="{show.full_url}">La tempesta · AzioneLab</a>' in code
    options = BeautifulSoup(response.content, "html.parser").select("#partner-widget-show option")
    assert [option["value"] for option in options] == ["", str(show.pk)]
    # A show no longer running is not offered, and asking for it gives the season's code.
    assert "data-azionelab-season" in embed_code(client.get(PAGE, {"show": past.pk}))


def test_the_page_says_where_the_widget_works(client, index, settings):
    client.force_login(staff("Box office"))
    assert "No partner site is allowed yet" in client.get(PAGE).content.decode()

    settings.CORS_ALLOWED_ORIGINS = ["https://www.festival.example"]
    page = client.get(PAGE).content.decode()

    assert "<code>https://www.festival.example</code>" in page
    assert "No partner site is allowed yet" not in page

"""Every page type renders with its title, the navigation, a meta description and OpenGraph tags."""

import pytest
from bs4 import BeautifulSoup

from tests.website.factories import make_content_page, make_image, make_show, make_show_index
from website.models import CompanySettings


@pytest.fixture
def site_pages(home_page):
    home_page.hero_image = make_image("Stage")
    home_page.hero_text = "Season 2030"
    home_page.search_description = "An independent theatre company."
    home_page.save_revision().publish()
    index = make_show_index(home_page, search_description="Our programme.")
    show = make_show(
        index,
        title="The Tempest",
        subtitle="by William Shakespeare",
        summary="A storm on a bare stage.",
        hero_image=make_image(
            "Tempest poster", size=(1600, 1000), description="A storm of blue light"
        ),
        duration_minutes=110,
        has_interval=True,
        price_note="€15",
    )
    past_show = make_show(index, title="Waiting for Godot", days_from_now=-100)
    about = make_content_page(home_page, title="About us", intro="Who we are.", show_in_menus=True)
    hidden = make_content_page(home_page, title="Privacy", slug="privacy", show_in_menus=False)
    settings = CompanySettings.load()
    settings.privacy_notice_page = hidden
    settings.save()
    return {"home": home_page, "index": index, "show": show, "past": past_show, "about": about}


def get_soup(client, page):
    response = client.get(page.url)
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def meta(soup, **attrs):
    tag = soup.find("meta", attrs=attrs)
    return tag["content"] if tag else None


@pytest.mark.parametrize(
    ("key", "description"),
    [
        ("home", "An independent theatre company."),
        ("index", "Our programme."),
        ("show", "A storm on a bare stage."),
        ("about", "Who we are."),
    ],
)
def test_every_page_type_has_title_navigation_description_and_opengraph(
    client, site_pages, key, description
):
    page = site_pages[key]
    soup = get_soup(client, page)

    assert soup.title.string.startswith(page.title)
    assert soup.find("h1").get_text(strip=True) == page.title
    assert meta(soup, name="description") == description
    assert meta(soup, property="og:title") == page.title
    assert meta(soup, property="og:description") == description
    assert meta(soup, property="og:url") == page.full_url
    assert soup.find("link", rel="canonical")["href"] == page.full_url

    nav = soup.find("nav", attrs={"aria-label": "Main"})
    assert [a.get_text(strip=True) for a in nav.find_all("a")] == ["Shows", "About us"]


def test_the_current_section_is_marked_in_the_navigation(client, site_pages):
    soup = get_soup(client, site_pages["show"])
    nav = soup.find("nav", attrs={"aria-label": "Main"})
    current = nav.find("a", attrs={"aria-current": "page"})
    assert current.get_text(strip=True) == "Shows"


def test_seo_title_replaces_the_page_title_in_head(client, site_pages):
    about = site_pages["about"]
    about.seo_title = "About AzioneLab, theatre company"
    about.save_revision().publish()
    soup = get_soup(client, about)
    assert soup.title.string.startswith("About AzioneLab, theatre company")
    assert meta(soup, property="og:title") == "About AzioneLab, theatre company"


def test_sharing_image_defaults_to_the_hero_image_at_opengraph_size(client, site_pages):
    soup = get_soup(client, site_pages["show"])
    assert meta(soup, property="og:image").startswith("http")
    assert meta(soup, property="og:image:width") == "1200"
    assert meta(soup, property="og:image:height") == "630"
    assert meta(soup, property="og:image:alt") == "A storm of blue light"


def test_show_page_shows_run_and_practical_information(client, site_pages):
    soup = get_soup(client, site_pages["show"])
    facts = {
        dt.get_text(strip=True): dt.find_next_sibling("dd").get_text(" ", strip=True)
        for dt in soup.select(".facts__list dt")
    }
    assert facts["Duration"] == "110 minutes, with an interval"
    tickets = soup.find("section", id="tickets")
    assert tickets.find("h2").get_text(strip=True) == "Dates and tickets"
    assert "€15" in tickets.get_text()
    assert tickets.find("time")["datetime"] == site_pages["show"].opening_date.isoformat()


def test_show_urls_route_to_live_shows_only(client, site_pages):
    index, show = site_pages["index"], site_pages["show"]
    assert client.get(show.url).status_code == 200
    assert client.get(index.url + "no-such-show/").status_code == 404
    assert client.get(show.url + "no-such-page/").status_code == 404
    url = show.url
    show.unpublish()
    assert client.get(url).status_code == 404


def test_show_index_splits_upcoming_and_past_shows(client, site_pages):
    soup = get_soup(client, site_pages["index"])
    upcoming = soup.find("section", attrs={"aria-labelledby": "upcoming-title"})
    past = soup.find("section", attrs={"aria-labelledby": "past-title"})
    assert [h.get_text(strip=True) for h in upcoming.find_all("h3")] == ["The Tempest"]
    assert [h.get_text(strip=True) for h in past.find_all("h3")] == ["Waiting for Godot"]


def test_home_page_features_upcoming_shows_only(client, site_pages):
    soup = get_soup(client, site_pages["home"])
    featured = soup.find("section", attrs={"aria-labelledby": "featured-title"})
    assert [h.get_text(strip=True) for h in featured.find_all("h3")] == ["The Tempest"]


def test_footer_links_the_privacy_notice_from_company_settings(client, site_pages):
    soup = get_soup(client, site_pages["home"])
    link = soup.find("footer").find("a", string="Privacy notice")
    assert link["href"] == "/privacy/"


def test_images_have_alt_text_and_responsive_sources(client, site_pages):
    soup = get_soup(client, site_pages["home"])
    for img in soup.find_all("img"):
        assert img.has_attr("alt")
    hero = soup.select_one(".hero picture")
    assert hero.find("source", type="image/webp")["srcset"].count("w,") >= 2


def test_pages_render_in_italian_with_the_italian_catalogue(client, site_pages, settings):
    settings.LANGUAGE_CODE = "it"
    soup = get_soup(client, site_pages["show"])
    assert soup.html["lang"] == "it"
    assert soup.find("section", id="tickets").find("h2").get_text(strip=True) == "Date e biglietti"
    assert soup.find("a", class_="skip-link").get_text(strip=True) == "Vai al contenuto"

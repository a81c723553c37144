"""The page tree rules: editors can only build a tree that makes sense."""

from wagtail.models import Page, Site
from wagtail.test.utils import WagtailPageTestCase
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from tests.website.factories import make_image, make_show_index
from website.models import ContentPage, HomePage, ShowIndexPage, ShowPage


class PageTreeRulesTests(WagtailPageTestCase):
    def setUp(self):
        self.home = HomePage.objects.get(pk=Site.objects.get(is_default_site=True).root_page_id)
        self.login()

    def test_home_page_lives_only_at_the_root(self):
        self.assertAllowedParentPageTypes(HomePage, {Page})

    def test_home_page_holds_content_pages_and_the_show_index(self):
        self.assertAllowedSubpageTypes(HomePage, {ContentPage, ShowIndexPage})

    def test_content_pages_nest_under_home_or_other_content_pages(self):
        self.assertAllowedParentPageTypes(ContentPage, {HomePage, ContentPage})
        self.assertAllowedSubpageTypes(ContentPage, {ContentPage})

    def test_show_index_sits_under_home_and_holds_only_shows(self):
        self.assertAllowedParentPageTypes(ShowIndexPage, {HomePage})
        self.assertAllowedSubpageTypes(ShowIndexPage, {ShowPage})

    def test_shows_live_only_in_the_show_index_and_have_no_children(self):
        self.assertAllowedParentPageTypes(ShowPage, {ShowIndexPage})
        self.assertAllowedSubpageTypes(ShowPage, set())

    def test_a_second_home_page_or_show_index_cannot_be_created(self):
        self.assertTrue(ShowIndexPage.can_create_at(self.home))
        make_show_index(self.home)
        self.assertFalse(HomePage.can_create_at(Page.get_first_root_node()))
        self.assertFalse(ShowIndexPage.can_create_at(self.home))

    def test_editor_can_create_a_content_page_with_every_body_block(self):
        image = make_image()
        self.assertCanCreate(
            self.home,
            ContentPage,
            nested_form_data(
                {
                    "title": "About us",
                    "slug": "about-us",
                    "intro": "Who we are.",
                    "body": streamfield(
                        [
                            ("heading", {"text": "Our story", "level": "h2"}),
                            ("paragraph", rich_text("<p>Founded in 2009.</p>")),
                            (
                                "image",
                                {
                                    "image": {
                                        "image": image.pk,
                                        "decorative": "",
                                        "alt_text": "Rehearsal",
                                    },
                                    "caption": "In rehearsal",
                                    "credit": "",
                                },
                            ),
                            ("quote", {"text": "Bold and alive.", "source": "The press"}),
                            (
                                "call_to_action",
                                {
                                    "heading": "Come and see",
                                    "text": "",
                                    "button_label": "Programme",
                                    "page": "",
                                    "url": "https://example.org/programme/",
                                },
                            ),
                        ]
                    ),
                }
            ),
        )

    def test_editor_can_create_a_show_with_credits_and_practical_information(self):
        index = make_show_index(self.home)
        self.assertCanCreate(
            index,
            ShowPage,
            nested_form_data(
                {
                    "title": "The Tempest",
                    "slug": "the-tempest",
                    "subtitle": "by William Shakespeare",
                    "summary": "A storm on a bare stage.",
                    "opening_date": "2030-03-01",
                    "closing_date": "2030-03-08",
                    "body": streamfield([("paragraph", rich_text("<p>Magic and revenge.</p>"))]),
                    "credits": streamfield(
                        [("credit", {"role": "Direction", "names": "G. Ferri"})]
                    ),
                    "duration_minutes": "110",
                    "has_interval": "on",
                    "age_guidance": "14+",
                    "language": "Italian",
                    "price_note": "€15",
                    "accessibility_notes": rich_text("<p>Step-free access.</p>"),
                }
            ),
        )

    def test_a_show_cannot_close_before_it_opens(self):
        index = make_show_index(self.home)
        response = self.client.post(
            f"/admin/pages/add/website/showpage/{index.pk}/",
            nested_form_data(
                {
                    "title": "Backwards",
                    "slug": "backwards",
                    "opening_date": "2030-03-08",
                    "closing_date": "2030-03-01",
                    "body": streamfield([]),
                    "credits": streamfield([]),
                }
            ),
        )
        self.assertEqual(response.status_code, 200)
        self.assertFalse(ShowPage.objects.filter(slug="backwards").exists())
        self.assertIn("closing_date", response.context["form"].errors)

    def test_a_call_to_action_needs_exactly_one_destination(self):
        response = self.client.post(
            f"/admin/pages/add/website/contentpage/{self.home.pk}/",
            nested_form_data(
                {
                    "title": "Nowhere",
                    "slug": "nowhere",
                    "body": streamfield(
                        [
                            (
                                "call_to_action",
                                {
                                    "heading": "Go",
                                    "text": "",
                                    "button_label": "Go",
                                    "page": "",
                                    "url": "",
                                },
                            ),
                        ]
                    ),
                }
            ),
        )
        self.assertEqual(response.status_code, 200)
        self.assertFalse(ContentPage.objects.filter(slug="nowhere").exists())

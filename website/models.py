"""Wagtail pages of the company's site and its site-wide settings."""

import time
import uuid

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page, PageManager
from wagtail.query import PageQuerySet
from wagtail.search import index

from website.blocks import BodyBlock, CreditBlock
from website.cache import allow_micro_cache
from website.panels import HookPanel

# The Wagtail hook that fills the show page editor's "Performances" panel: booking registers
# it, since performances are booking's (website/panels.py).
SHOW_PERFORMANCES_HOOK = "show_page_performances"

# Renditions the show cards use: prefetched with the shows so a listing costs no query per card.
CARD_IMAGE_PREFETCH = "hero_image__renditions"


class BasePage(Page):
    """Fields and behaviour every page of the site shares: SEO, sharing, the micro-cache."""

    social_image = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("sharing image"),
        help_text=_("Shown when the page is shared on social media. Defaults to the main image."),
    )

    promote_panels = [
        *Page.promote_panels,
        FieldPanel("social_image"),
    ]

    class Meta:
        abstract = True

    def serve(self, request, *args, **kwargs):
        started = time.time()
        response = super().serve(request, *args, **kwargs)
        allow_micro_cache(request, response, started)
        return response

    def get_meta_description(self):
        return self.search_description or self.get_fallback_description()

    def get_fallback_description(self):
        return ""

    def get_sharing_image(self):
        return self.social_image or self.get_fallback_image()

    def get_fallback_image(self):
        return None


class HeroImageMixin(models.Model):
    """The picture at the top of a page; it also stands for the page when shared, unless a
    sharing image is set."""

    # The pages composed with it carry `noqa: DJ008`: through it ruff takes them for plain
    # Django models, blind to the `__str__` (the title) they inherit from Wagtail's Page.
    hero_image = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("hero image"),
    )

    class Meta:
        abstract = True

    def get_fallback_image(self):
        return self.hero_image


class HomePage(HeroImageMixin, BasePage):  # noqa: DJ008
    hero_text = models.CharField(
        _("hero text"),
        max_length=200,
        blank=True,
        help_text=_("One line over the hero image, for example the season's motto."),
    )
    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])
    featured_heading = models.CharField(
        _("heading of the featured shows"),
        max_length=120,
        blank=True,
        help_text=_("Leave empty for “On stage soon”."),
    )
    body = StreamField(BodyBlock(), blank=True, verbose_name=_("body"))

    content_panels = [
        *Page.content_panels,
        MultiFieldPanel(
            [FieldPanel("hero_image"), FieldPanel("hero_text"), FieldPanel("intro")],
            heading=_("Hero"),
        ),
        FieldPanel("featured_heading"),
        FieldPanel("body"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["website.ContentPage", "website.ShowIndexPage"]
    max_count = 1

    class Meta:
        verbose_name = _("home page")

    def get_fallback_description(self):
        return self.hero_text

    def route(self, request, path_components):
        # Its children are content pages and the show index: each is fetched with its own
        # table joined, in one query, instead of Wagtail's child lookup followed by another
        # for `.specific` (docs/performance.md).
        if path_components:
            child = (
                Page.objects.child_of(self)
                .filter(slug=path_components[0])
                .select_related("contentpage", "showindexpage")
                .first()
            )
            if child is not None:
                specific = (
                    getattr(child, "showindexpage", None)
                    or getattr(child, "contentpage", None)
                    or child.specific
                )
                specific._cached_parent_obj = self  # as Wagtail's own route() does
                return specific.route(request, path_components[1:])
        return super().route(request, path_components)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        # The site's view restrictions, read once for both lists (`public()` reads them each time).
        private = Page.objects.private_q()
        context["featured_shows"] = (
            ShowPage.objects.live().exclude(private).upcoming().with_card_images()[:3]
        )
        context["show_index"] = ShowIndexPage.objects.live().exclude(private).first()
        return context


class ContentPage(HeroImageMixin, BasePage):  # noqa: DJ008
    """A descriptive page: about, the company, people, contact, privacy."""

    intro = models.TextField(_("introduction"), blank=True, max_length=400)
    body = StreamField(BodyBlock(), blank=True, verbose_name=_("body"))

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        # The hero image of every page, under the name editors know it by on this one.
        FieldPanel("hero_image", heading=capfirst(_("main image"))),
        FieldPanel("body"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]

    parent_page_types = ["website.HomePage", "website.ContentPage"]
    subpage_types = ["website.ContentPage"]

    class Meta:
        verbose_name = _("content page")

    def get_fallback_description(self):
        return self.intro


class ShowIndexPage(BasePage):
    """The list of shows: on stage now and coming up first, then the archive."""

    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    search_fields = [*Page.search_fields, index.SearchField("intro")]

    parent_page_types = ["website.HomePage"]
    subpage_types = ["website.ShowPage"]
    max_count = 1
    past_shows_per_page = 12

    class Meta:
        verbose_name = _("show index page")

    def route(self, request, path_components):
        # Its children are shows: one query for the ShowPage, instead of Wagtail's generic
        # child lookup followed by another for `.specific` (docs/performance.md).
        if path_components:
            show = ShowPage.objects.child_of(self).filter(slug=path_components[0]).first()
            if show is not None:
                show._cached_parent_obj = self  # as Wagtail's own route() does
                return show.route(request, path_components[1:])
        return super().route(request, path_components)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        shows = ShowPage.objects.child_of(self).live().public().with_card_images()
        context["upcoming_shows"] = shows.upcoming()
        paginator = Paginator(shows.past(), self.past_shows_per_page)
        context["past_shows"] = paginator.get_page(request.GET.get("page"))
        return context


class ShowPageQuerySet(PageQuerySet):
    def with_last_date(self):
        return self.annotate(last_date=Coalesce("closing_date", "opening_date"))

    def upcoming(self, today=None):
        """Shows still running or still to come, soonest first."""
        today = today or timezone.localdate()
        return self.with_last_date().filter(last_date__gte=today).order_by("opening_date", "pk")

    def past(self, today=None):
        """Shows whose run has ended, most recent first."""
        today = today or timezone.localdate()
        return self.with_last_date().filter(last_date__lt=today).order_by("-last_date", "-pk")

    def with_card_images(self):
        return self.select_related("hero_image").prefetch_related(CARD_IMAGE_PREFETCH)


class ShowPage(HeroImageMixin, BasePage):  # noqa: DJ008
    subtitle = models.CharField(_("subtitle"), max_length=200, blank=True)
    summary = models.TextField(
        _("summary"),
        max_length=300,
        blank=True,
        help_text=_("Two or three sentences for show lists and search results."),
    )
    opening_date = models.DateField(
        _("opening date"), help_text=_("First day of the run, as announced.")
    )
    closing_date = models.DateField(
        _("closing date"),
        null=True,
        blank=True,
        help_text=_("Last day of the run. Leave empty for a single date."),
    )
    body = StreamField(BodyBlock(), blank=True, verbose_name=_("body"))
    credits = StreamField([("credit", CreditBlock())], blank=True, verbose_name=_("credits"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration in minutes"), null=True, blank=True
    )
    has_interval = models.BooleanField(_("with an interval"), default=False)
    age_guidance = models.CharField(
        _("age guidance"), max_length=120, blank=True, help_text=_("For example: from 14 years")
    )
    language = models.CharField(
        _("language"),
        max_length=120,
        blank=True,
        help_text=_("For example: in Italian, with English surtitles"),
    )
    accessibility_notes = RichTextField(
        _("accessibility notes"), blank=True, features=["bold", "italic", "link", "ul"]
    )
    price_note = models.CharField(
        _("price note"),
        max_length=200,
        blank=True,
        help_text=_("For example: €15, concessions €10"),
    )

    objects = PageManager.from_queryset(ShowPageQuerySet)()

    content_panels = [
        *Page.content_panels,
        FieldPanel("subtitle"),
        FieldPanel("hero_image"),
        FieldPanel("summary"),
        FieldRowPanel([FieldPanel("opening_date"), FieldPanel("closing_date")], heading=_("Run")),
        HookPanel(SHOW_PERFORMANCES_HOOK, heading=_("Performances"), icon="date"),
        FieldPanel("body"),
        FieldPanel("credits"),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("duration_minutes"), FieldPanel("has_interval")]),
                FieldPanel("age_guidance"),
                FieldPanel("language"),
                FieldPanel("price_note"),
                FieldPanel("accessibility_notes"),
            ],
            heading=_("Practical information"),
        ),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("subtitle"),
        index.SearchField("summary"),
        index.SearchField("body"),
        index.SearchField("credits"),
        index.FilterField("opening_date"),
    ]

    parent_page_types = ["website.ShowIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("show page")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closing_date__isnull=True)
                | models.Q(closing_date__gte=models.F("opening_date")),
                name="show_closes_after_it_opens",
            ),
        ]

    def clean(self):
        super().clean()
        if self.closing_date and self.opening_date and self.closing_date < self.opening_date:
            raise ValidationError({"closing_date": _("The run cannot close before it opens.")})

    def get_fallback_description(self):
        return self.summary

    @property
    def last_day(self):
        return self.closing_date or self.opening_date

    @property
    def is_past(self):
        return self.last_day < timezone.localdate()


@register_setting(icon="home")
class CompanySettings(BaseGenericSetting):
    """The company's contact details, shown in the footer and on the contact page."""

    company_name = models.CharField(_("company name"), max_length=120, default="AzioneLab")
    tagline = models.CharField(_("tagline"), max_length=200, blank=True)
    address = models.TextField(_("address"), blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    instagram_url = models.URLField(_("Instagram"), blank=True)
    facebook_url = models.URLField(_("Facebook"), blank=True)
    youtube_url = models.URLField(_("YouTube"), blank=True)
    privacy_notice_page = models.ForeignKey(
        "wagtailcore.Page",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("privacy notice page"),
        help_text=_("Linked from the footer and from every booking form."),
    )

    select_related = ["privacy_notice_page"]

    panels = [
        MultiFieldPanel([FieldPanel("company_name"), FieldPanel("tagline")], heading=_("Company")),
        MultiFieldPanel(
            [FieldPanel("address"), FieldPanel("email"), FieldPanel("phone")],
            heading=_("Contact details"),
        ),
        MultiFieldPanel(
            [FieldPanel("instagram_url"), FieldPanel("facebook_url"), FieldPanel("youtube_url")],
            heading=_("Social media"),
        ),
        FieldPanel("privacy_notice_page"),
    ]

    class Meta:
        verbose_name = _("company settings")

    def __str__(self):
        return self.company_name

    @property
    def social_links(self):
        links = [
            ("Instagram", self.instagram_url),
            ("Facebook", self.facebook_url),
            ("YouTube", self.youtube_url),
        ]
        return [(name, url) for name, url in links if url]


class ContentVersionQuerySet(models.QuerySet):
    def current(self):
        """The token of the content as it is now, or "initial" before the first change."""
        token = self.filter(pk=1).values_list("token", flat=True).first()
        return "initial" if token is None else token.hex

    def renew(self):
        """Give the content a new token: called, in the changing transaction, for every change
        the public pages may show (website/signals.py)."""
        if not self.filter(pk=1).update(token=uuid.uuid4()):
            self.get_or_create(pk=1)


class ContentVersion(models.Model):
    """One row whose token changes with everything the public pages show but availability:
    pages, site settings, images, documents, embeds, sites, view restrictions.

    The cached fragments of the pages carry the token in their keys (`{% content_version %}`,
    ADR 0021), so every gunicorn worker renders an edit on its next request. A random token,
    not a counter: a rolled-back change can never bring back a token already used.
    """

    token = models.UUIDField(default=uuid.uuid4)

    objects = ContentVersionQuerySet.as_manager()

    def __str__(self):
        return self.token.hex

"""Build a real-looking demo site: pages, shows with generated images, settings, an admin user.

The content is in website/demo/content.toml; this command turns it into pages, images,
settings and users. Idempotent: pages are found by slug, images by title, so a second run
updates in place and never duplicates. Dates are relative to today, so the programme always
has shows to come. Other apps add their part of the demo through the `demo_content_loaded`
signal (booking adds venues and performances).
"""

import io
import json
import random
import tomllib
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.images import ImageFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFilter
from wagtail.fields import RichTextField, StreamField
from wagtail.images import get_image_model
from wagtail.models import Site

from website.models import CompanySettings, ContentPage, HomePage, ShowIndexPage, ShowPage
from website.signals import demo_content_loaded

CONTENT_FILE = Path(__file__).resolve().parents[2] / "demo" / "content.toml"
CONTENT = tomllib.loads(CONTENT_FILE.read_text(encoding="utf-8"))

ADMIN_USERNAME = CONTENT["admin"]["username"]
ADMIN_PASSWORD = CONTENT["admin"]["password"]
# Each staff username with its group (the groups come from booking's migration).
STAFF_USERS = dict(CONTENT["staff_users"])


def rich(paragraphs):
    """Rich text from a list of paragraphs."""
    return "".join(f"<p>{text}</p>" for text in paragraphs)


def without(data, *keys):
    """A copy of the table data without keys."""
    return {key: value for key, value in data.items() if key not in keys}


def person(data):
    """A person of a `people` block; the demo has no portraits."""
    return {
        "name": data["name"],
        "role": data["role"],
        "photo": None,
        "biography": rich(data["biography"]),
    }


def fill_in(value, names):
    """value with every {name} in its strings replaced, through nested lists and tables."""
    if isinstance(value, str):
        return value.format_map(names)
    if isinstance(value, list):
        return [fill_in(item, names) for item in value]
    if isinstance(value, dict):
        return {key: fill_in(item, names) for key, item in value.items()}
    return value


class Command(BaseCommand):
    help = "Create or refresh the demo content and the demo admin user."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off (never on a production database).",
        )

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "load_demo writes demo pages and an admin user; it runs only with DEBUG on. "
                "Use --force if this really is a throwaway database."
            )
        self.today = timezone.localdate()
        with transaction.atomic():
            self.images = {key: self.image(key, spec) for key, spec in CONTENT["images"].items()}
            self.home = self.default_site_root()
            self.pages = {}
            shows = self.show_pages()
            about = [self.content_page(spec) for spec in CONTENT["about_pages"]]
            privacy = self.content_page(CONTENT["privacy_page"])
            self.content_page(CONTENT["contact_page"])
            self.home_page()
            self.company_settings(privacy)
            self.admin_user()
            self.staff_users()
            # Inside the transaction: what the receivers add commits or rolls back with the pages.
            responses = demo_content_loaded.send(
                sender=self.__class__, shows={show.slug: show for show in shows}, today=self.today
            )
        counts = [
            f"{len(shows)} shows",
            *(summary for __, summary in responses if summary),
            f"{len(about)} about pages",
            f"{len(self.images)} images",
        ]
        self.stdout.write(self.style.SUCCESS(f"Demo content ready: {', '.join(counts)}."))
        self.stdout.write(
            f"Log in to the admin at {settings.WAGTAILADMIN_BASE_URL}/admin/ "
            f"as “{ADMIN_USERNAME}” with the password “{ADMIN_PASSWORD}”."
        )
        roles = ", ".join(f"“{username}” ({group})" for username, group in STAFF_USERS.items())
        self.stdout.write(f"Staff roles, same password: {roles}.")

    # Images

    def image(self, key, spec):
        """The demo image titled spec["title"], generated from its palette if missing."""
        image_model = get_image_model()
        existing = image_model.objects.filter(title=spec["title"]).first()
        if existing:
            return existing
        palette = spec["palette"]
        picture = poster(
            random.Random(key),
            tuple(palette["top"]),
            tuple(palette["bottom"]),
            tuple(palette["light"]),
        )
        buffer = io.BytesIO()
        picture.save(buffer, "JPEG", quality=85, optimize=True)
        return image_model.objects.create(
            title=spec["title"],
            description=spec["description"],
            file=ImageFile(buffer, name=f"demo-{key}.jpg"),
        )

    # Pages

    def publish(self, page, parent=None, **fields):
        """Create the page under parent, or update it, and publish the result."""
        for name, value in fields.items():
            setattr(page, name, value)
        if page.pk is None:
            parent.add_child(instance=page)
        page.save_revision().publish()
        return page

    def child(self, parent, model, slug, **fields):
        """The page with this slug under parent, created or updated, published."""
        page = model.objects.child_of(parent).filter(slug=slug).first() or model(slug=slug)
        page = self.publish(page, parent, **fields)
        self.pages[slug] = page
        return page

    def default_site_root(self):
        site = Site.objects.get(is_default_site=True)
        self.answer_at_base_url(site)
        home = site.root_page.specific
        if not isinstance(home, HomePage):
            raise CommandError("The default site's root page is not a HomePage; run migrate.")
        return home

    def answer_at_base_url(self, site):
        """The site's full URLs (canonical links, the sitemap, the feeds and the API) point
        where the demo runs, WAGTAILADMIN_BASE_URL, when Wagtail can say it: its sites
        speak HTTP on any port but HTTPS only on 443."""
        base = urlsplit(settings.WAGTAILADMIN_BASE_URL)
        port = base.port or {"http": 80, "https": 443}.get(base.scheme)
        if base.hostname and (base.scheme == "http" or port == 443):
            site.hostname, site.port = base.hostname, port
            site.save(update_fields=["hostname", "port"])

    def home_page(self):
        return self.publish(self.home, **self.field_values(HomePage, CONTENT["home"]))

    def show_pages(self):
        """The show index and one page per show, in the order of the content file."""
        index_spec = CONTENT["show_index"]
        index = self.child(
            self.home,
            ShowIndexPage,
            index_spec["slug"],
            **self.field_values(ShowIndexPage, without(index_spec, "slug")),
        )
        return [self.show_page(index, spec) for spec in CONTENT["shows"]]

    def show_page(self, index, spec):
        """A show: the texts every show shares, filled in with its own, and its dates."""
        data = {**fill_in(CONTENT["show_defaults"], spec), **spec}
        return self.child(
            index,
            ShowPage,
            data["slug"],
            opening_date=self.today + timedelta(days=data["opens_in_days"]),
            closing_date=self.today + timedelta(days=data["closes_in_days"]),
            **self.field_values(ShowPage, without(data, "slug", "opens_in_days", "closes_in_days")),
        )

    def content_page(self, spec):
        """A content page under the home page, or under the demo page its `parent` names."""
        parent = self.pages[spec["parent"]] if "parent" in spec else self.home
        return self.child(
            parent,
            ContentPage,
            spec["slug"],
            **self.field_values(ContentPage, without(spec, "slug", "parent")),
        )

    def field_values(self, model, data):
        """The model's field values from content data: rich text from a list of paragraphs,
        a StreamField from a list of blocks, an image from its key, the rest as it is."""
        values = {}
        for name, value in data.items():
            field = model._meta.get_field(name)
            if isinstance(field, RichTextField):
                value = rich(value)
            elif isinstance(field, StreamField):
                value = json.dumps([self.block(block) for block in value])
            elif field.related_model is get_image_model():
                value = self.images[value]
            values[name] = value
        return values

    def block(self, data):
        """A StreamField block in Wagtail's JSON form from its `type` and value keys."""
        kind, value = data["type"], without(data, "type")
        if kind == "paragraph":
            value = rich(value["text"])
        elif kind == "image":
            value = {**value, "image": self.image_block_value(value["image"])}
        elif kind == "call_to_action":
            value = {**value, "page": self.pages[value["page"]].pk}
        elif kind == "people":
            value = [person(entry) for entry in value["people"]]
        return {"type": kind, "value": value}

    def image_block_value(self, key):
        image = self.images[key]
        return {"image": image.pk, "decorative": False, "alt_text": image.description}

    # Settings and users

    def company_settings(self, privacy):
        company = CompanySettings.load()
        for name, value in CONTENT["company_settings"].items():
            setattr(company, name, value)
        company.privacy_notice_page = privacy
        company.save()

    def admin_user(self):
        details = without(CONTENT["admin"], "username", "password")
        user, __ = get_user_model().objects.get_or_create(username=ADMIN_USERNAME, defaults=details)
        user.is_staff = user.is_superuser = user.is_active = True
        user.set_password(ADMIN_PASSWORD)
        user.save()

    def staff_users(self):
        for username, group_name in STAFF_USERS.items():
            user, __ = get_user_model().objects.get_or_create(
                username=username, defaults={"email": f"{username}@example.org"}
            )
            user.set_password(ADMIN_PASSWORD)
            user.save()
            user.groups.set([Group.objects.get(name=group_name)])


def poster(rng, top, bottom, light, size=(1600, 1000)):
    """A stage-like picture: a vertical gradient, soft spotlights and a floor line."""
    width, height = size
    image = PILImage.new("RGB", size)
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / (height - 1)
        colour = tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        draw.line([(0, y), (width, y)], fill=colour)

    glow = PILImage.new("RGB", size, (0, 0, 0))
    glow_draw = ImageDraw.Draw(glow)
    for _ in range(3):
        x = rng.randint(width // 5, 4 * width // 5)
        spread = rng.randint(width // 8, width // 4)
        glow_draw.polygon(
            [
                (x - 20, 0),
                (x + 20, 0),
                (x + spread, int(height * 0.82)),
                (x - spread, int(height * 0.82)),
            ],
            fill=tuple(c // 3 for c in light),
        )
        glow_draw.ellipse(
            [x - spread, int(height * 0.76), x + spread, int(height * 0.88)],
            fill=tuple(c // 2 for c in light),
        )
    glow = glow.filter(ImageFilter.GaussianBlur(40))
    image = PILImage.composite(
        PILImage.blend(image, glow, 0.5), image, PILImage.new("L", size, 200)
    )
    image = PILImage.eval(image, lambda v: min(255, int(v * 1.35)))

    draw = ImageDraw.Draw(image)
    floor = int(height * 0.82)
    draw.line([(0, floor), (width, floor)], fill=tuple(c // 2 for c in light), width=3)
    for _ in range(rng.randint(1, 3)):
        x = rng.randint(width // 4, 3 * width // 4)
        figure_height = rng.randint(height // 5, height // 4)
        draw.ellipse(
            [x - 18, floor - figure_height - 40, x + 18, floor - figure_height - 4],
            fill=(12, 8, 12),
        )
        draw.rounded_rectangle(
            [x - 30, floor - figure_height, x + 30, floor], radius=24, fill=(12, 8, 12)
        )
    return image

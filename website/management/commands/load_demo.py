"""Build a real-looking demo site: pages, shows with generated images, settings, an admin user.

Idempotent: pages are found by slug, images by title, so a second run updates in place and
never duplicates. Dates are relative to today, so the programme always has shows to come.
"""

import io
import json
import random
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.images import ImageFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFilter
from wagtail.images import get_image_model
from wagtail.models import Site

from booking.models import Performance, Venue
from website.models import CompanySettings, ContentPage, HomePage, ShowIndexPage, ShowPage

ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "azionelab-demo"
# One demo user per staff role (groups created by booking's migration), same password.
STAFF_USERS = {"redazione": "Editors", "biglietteria": "Box office", "porta": "Door staff"}

# (title, description used as alt text, palette of background top, bottom and light colours)
IMAGES = {
    "hero": (
        "Demo: stage in blue light",
        "An empty stage lit by blue and amber spotlights",
        ((24, 18, 48), (8, 6, 14), (255, 196, 110)),
    ),
    "tempest": (
        "Demo: La tempesta",
        "A storm of blue light over a bare stage with a lone figure",
        ((18, 44, 82), (6, 10, 24), (150, 210, 255)),
    ),
    "cherry": (
        "Demo: Il giardino dei ciliegi",
        "Pink light falling like petals on a set of chairs",
        ((92, 30, 60), (20, 8, 16), (255, 180, 205)),
    ),
    "voices": (
        "Demo: Voci dal fondo",
        "Three performers in a single warm spotlight",
        ((70, 36, 10), (14, 8, 4), (255, 210, 140)),
    ),
    "maids": (
        "Demo: Le serve",
        "Two figures in red light in front of a tall mirror",
        ((96, 8, 20), (16, 4, 6), (255, 120, 120)),
    ),
    "godot": (
        "Demo: Aspettando Godot",
        "A bare tree under a pale moon on an empty road",
        ((40, 44, 40), (10, 12, 10), (230, 230, 200)),
    ),
    "company": (
        "Demo: the company in rehearsal",
        "The company in a circle during a rehearsal",
        ((52, 22, 58), (12, 6, 14), (255, 205, 160)),
    ),
}


def rich(*paragraphs):
    return "".join(f"<p>{text}</p>" for text in paragraphs)


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
            self.images = {key: self.image(key, *spec) for key, spec in IMAGES.items()}
            home = self.default_site_root()
            shows = self.show_pages(home)
            performances = self.performances(shows)
            about = self.about_pages(home)
            privacy = self.privacy_page(home)
            self.contact_page(home)
            self.home_page(home, about_page=about[0])
            self.company_settings(privacy)
            self.admin_user()
            self.staff_users()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo content ready: {len(shows)} shows, {len(performances)} performances, "
                f"{len(about)} about pages, {len(self.images)} images."
            )
        )
        self.stdout.write(
            f"Log in to the admin at {settings.WAGTAILADMIN_BASE_URL}/admin/ "
            f"as “{ADMIN_USERNAME}” with the password “{ADMIN_PASSWORD}”."
        )
        roles = ", ".join(f"“{username}” ({group})" for username, group in STAFF_USERS.items())
        self.stdout.write(f"Staff roles, same password: {roles}.")

    # Images

    def image(self, key, title, description, palette):
        image_model = get_image_model()
        existing = image_model.objects.filter(title=title).first()
        if existing:
            return existing
        buffer = io.BytesIO()
        poster(random.Random(key), *palette).save(buffer, "JPEG", quality=85, optimize=True)
        return image_model.objects.create(
            title=title,
            description=description,
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
        page = model.objects.child_of(parent).filter(slug=slug).first() or model(slug=slug)
        return self.publish(page, parent, **fields)

    def default_site_root(self):
        home = Site.objects.get(is_default_site=True).root_page.specific
        if not isinstance(home, HomePage):
            raise CommandError("The default site's root page is not a HomePage; run migrate.")
        return home

    def home_page(self, home, about_page):
        return self.publish(
            home,
            title="AzioneLab",
            seo_title="AzioneLab — compagnia teatrale",
            search_description=(
                "AzioneLab è una compagnia teatrale indipendente: spettacoli, laboratori "
                "e nuove drammaturgie. Scopri il programma e prenota il tuo posto."
            ),
            hero_image=self.images["hero"],
            hero_text="Stagione 2026/27",
            intro=rich(
                "Teatro che si fa insieme: classici riletti, nuove scritture e "
                "laboratori aperti a tutti, in una piccola sala dove ogni posto è in prima fila."
            ),
            featured_heading="Prossimamente in scena",
            body=json.dumps(
                [
                    {"type": "heading", "value": {"text": "Un teatro vicino", "level": "h2"}},
                    {
                        "type": "paragraph",
                        "value": rich(
                            "Dal 2009 AzioneLab porta in scena testi classici e contemporanei con "
                            "attori professionisti e giovani diplomati. Ogni stagione apriamo le prove "
                            "al pubblico e accompagniamo gli spettacoli con incontri e laboratori."
                        ),
                    },
                    {
                        "type": "quote",
                        "value": {
                            "text": "Uno dei gruppi più vivi della scena indipendente.",
                            "source": "Rassegna stampa, 2025",
                        },
                    },
                    {
                        "type": "call_to_action",
                        "value": {
                            "heading": "Scopri la compagnia",
                            "text": "Chi siamo, come lavoriamo e con chi.",
                            "button_label": "Chi siamo",
                            "page": about_page.pk,
                            "url": "",
                        },
                    },
                ]
            ),
        )

    def show_pages(self, home):
        index = self.child(
            home,
            ShowIndexPage,
            "spettacoli",
            title="Spettacoli",
            show_in_menus=True,
            search_description="Il programma di AzioneLab: spettacoli in scena e archivio.",
            intro=rich("Gli spettacoli della stagione e l'archivio delle produzioni passate."),
        )
        day = self.today
        shows = [
            (
                "voci-dal-fondo",
                "voices",
                "Voci dal fondo",
                "Tre monologhi dalla periferia",
                day - timedelta(days=2),
                day + timedelta(days=5),
                75,
                False,
            ),
            (
                "la-tempesta",
                "tempest",
                "La tempesta",
                "da William Shakespeare",
                day + timedelta(days=12),
                day + timedelta(days=20),
                110,
                True,
            ),
            (
                "il-giardino-dei-ciliegi",
                "cherry",
                "Il giardino dei ciliegi",
                "di Anton Čechov",
                day + timedelta(days=40),
                day + timedelta(days=47),
                125,
                True,
            ),
            (
                "le-serve",
                "maids",
                "Le serve",
                "di Jean Genet",
                day - timedelta(days=120),
                day - timedelta(days=112),
                90,
                False,
            ),
            (
                "aspettando-godot",
                "godot",
                "Aspettando Godot",
                "di Samuel Beckett",
                day - timedelta(days=300),
                day - timedelta(days=292),
                100,
                True,
            ),
        ]
        pages = []
        for slug, image, title, subtitle, opening, closing, minutes, interval in shows:
            pages.append(
                self.child(
                    index,
                    ShowPage,
                    slug,
                    title=title,
                    subtitle=subtitle,
                    hero_image=self.images[image],
                    summary=(
                        f"{title}, {subtitle}: una messa in scena essenziale e intensa, "
                        "con la compagnia al completo e musica dal vivo."
                    ),
                    opening_date=opening,
                    closing_date=closing,
                    duration_minutes=minutes,
                    has_interval=interval,
                    age_guidance="Dai 14 anni",
                    language="In italiano",
                    price_note="Intero 15 €, ridotto 10 € (under 26 e over 65)",
                    accessibility_notes=rich(
                        "Sala al piano terra, accessibile in sedia a rotelle. "
                        "Posti riservati in prima fila: segnalalo al momento della prenotazione."
                    ),
                    body=json.dumps(
                        [
                            {
                                "type": "paragraph",
                                "value": rich(
                                    f"Con <i>{title}</i> AzioneLab torna a interrogare il presente "
                                    "attraverso un testo che parla di desiderio, perdita e riscatto.",
                                    "Una scena spoglia, pochi oggetti, la luce come unica scenografia: "
                                    "lo spettacolo si affida interamente agli attori e alla parola.",
                                ),
                            },
                            {
                                "type": "image",
                                "value": {
                                    "image": {
                                        "image": self.images[image].pk,
                                        "decorative": False,
                                        "alt_text": self.images[image].description,
                                    },
                                    "caption": "Una scena dalle prove",
                                    "credit": "Foto di scena",
                                },
                            },
                            {
                                "type": "quote",
                                "value": {
                                    "text": "Uno spettacolo che resta addosso.",
                                    "source": "Il pubblico",
                                },
                            },
                        ]
                    ),
                    credits=json.dumps(
                        [
                            {"type": "credit", "value": {"role": "Regia", "names": "Giulia Ferri"}},
                            {
                                "type": "credit",
                                "value": {
                                    "role": "Con",
                                    "names": "Marco Bellini, Sara Conti, Luca De Santis",
                                },
                            },
                            {"type": "credit", "value": {"role": "Luci", "names": "Paolo Rinaldi"}},
                            {
                                "type": "credit",
                                "value": {"role": "Musiche", "names": "Elena Moretti"},
                            },
                        ]
                    ),
                )
            )
        return pages

    def performances(self, shows):
        """Evenings at 21:00 (Sundays at 17:00) through each upcoming run, some nearly full."""
        main_hall, _ = Venue.objects.update_or_create(
            name="Sala Grande",
            defaults={
                "address": "Via del Teatro 12\n00153 Roma",
                "capacity": 80,
                "access_notes": "Ingresso senza gradini da Via del Teatro. Bagno accessibile.",
            },
        )
        studio, _ = Venue.objects.update_or_create(
            name="Spazio Studio",
            defaults={
                "address": "Via del Teatro 14\n00153 Roma",
                "capacity": 30,
                "access_notes": "Primo piano con ascensore.",
            },
        )
        tomorrow = self.today + timedelta(days=1)
        performances = []
        for show in shows:
            if show.is_past:
                continue
            venue = studio if show.slug == "voci-dal-fondo" else main_hall
            days = [
                day
                for offset in range((show.last_day - show.opening_date).days + 1)
                if (day := show.opening_date + timedelta(days=offset)) >= tomorrow
            ][:5]
            wanted = {
                timezone.make_aware(
                    timezone.datetime.combine(day, timezone.datetime.min.time())
                ).replace(hour=17 if day.weekday() == 6 else 21)
                for day in days
            }
            # Refresh the demo without touching performances that already have bookings.
            show.performances.exclude(starts_at__in=wanted).filter(reservations=None).delete()
            for number, starts_at in enumerate(sorted(wanted)):
                performance, _ = Performance.objects.update_or_create(
                    show=show,
                    starts_at=starts_at,
                    defaults={
                        "venue": venue,
                        # The second evening is nearly full, the third is sold out.
                        "manually_occupied_seats": {1: venue.capacity - 4, 2: venue.capacity}.get(
                            number, 0
                        ),
                        "max_seats_per_booking": 6,
                    },
                )
                performances.append(performance)
        return performances

    def about_pages(self, home):
        about = self.child(
            home,
            ContentPage,
            "chi-siamo",
            title="Chi siamo",
            show_in_menus=True,
            intro="Una compagnia indipendente che crede nel teatro come luogo d'incontro.",
            hero_image=self.images["company"],
            body=json.dumps(
                [
                    {
                        "type": "paragraph",
                        "value": rich(
                            "AzioneLab nasce nel 2009 da un gruppo di attori usciti dalla stessa scuola. "
                            "Da allora abbiamo prodotto più di trenta spettacoli e portato il teatro "
                            "nelle scuole, nelle biblioteche e nei cortili del quartiere."
                        ),
                    },
                    {"type": "heading", "value": {"text": "Come lavoriamo", "level": "h2"}},
                    {
                        "type": "paragraph",
                        "value": rich(
                            "Ogni produzione nasce da un laboratorio aperto: le prove sono un cantiere "
                            "a cui il pubblico è invitato a partecipare."
                        ),
                    },
                ]
            ),
        )
        people = self.child(
            about,
            ContentPage,
            "persone",
            title="Le persone",
            intro="La compagnia, i collaboratori e chi tiene acceso il teatro ogni sera.",
            body=json.dumps(
                [
                    {
                        "type": "people",
                        "value": [
                            {
                                "name": "Giulia Ferri",
                                "role": "Direzione artistica",
                                "photo": None,
                                "biography": rich(
                                    "Regista e pedagoga, ha fondato AzioneLab nel 2009."
                                ),
                            },
                            {
                                "name": "Marco Bellini",
                                "role": "Attore",
                                "photo": None,
                                "biography": rich("In compagnia dal 2012, insegna nei laboratori."),
                            },
                            {
                                "name": "Sara Conti",
                                "role": "Attrice",
                                "photo": None,
                                "biography": rich("Attrice e autrice di Voci dal fondo."),
                            },
                            {
                                "name": "Paolo Rinaldi",
                                "role": "Disegno luci",
                                "photo": None,
                                "biography": rich("Firma le luci di tutte le produzioni dal 2015."),
                            },
                        ],
                    },
                ]
            ),
        )
        return [about, people]

    def privacy_page(self, home):
        return self.child(
            home,
            ContentPage,
            "privacy",
            title="Informativa privacy",
            intro="Come trattiamo i dati che ci affidi quando prenoti.",
            body=json.dumps(
                [
                    {
                        "type": "paragraph",
                        "value": rich(
                            "Per prenotare chiediamo solo nome ed email: li usiamo per inviarti la "
                            "conferma e il biglietto e per avvisarti di eventuali cambiamenti.",
                            "I dati delle prenotazioni vengono cancellati dopo lo spettacolo, secondo i "
                            "tempi indicati in questa pagina. Non li cediamo a terzi.",
                        ),
                    },
                ]
            ),
        )

    def contact_page(self, home):
        return self.child(
            home,
            ContentPage,
            "contatti",
            title="Contatti",
            show_in_menus=True,
            intro="Biglietteria, ufficio stampa e laboratori: scrivici o passa a trovarci.",
            body=json.dumps(
                [
                    {"type": "heading", "value": {"text": "Biglietteria", "level": "h2"}},
                    {
                        "type": "paragraph",
                        "value": rich(
                            "La biglietteria apre un'ora prima di ogni spettacolo. Prenota online dalla "
                            "pagina dello spettacolo: riceverai il biglietto via email."
                        ),
                    },
                    {"type": "heading", "value": {"text": "Come arrivare", "level": "h2"}},
                    {
                        "type": "paragraph",
                        "value": rich(
                            "Via del Teatro 12, Roma. Metro B fermata Piramide, poi 5 minuti a piedi."
                        ),
                    },
                ]
            ),
        )

    # Settings and users

    def company_settings(self, privacy):
        company = CompanySettings.load()
        company.company_name = "AzioneLab"
        company.tagline = "Compagnia teatrale indipendente"
        company.address = "Via del Teatro 12\n00153 Roma"
        company.email = "biglietteria@example.org"
        company.phone = "+39 06 0000 0000"
        company.instagram_url = "https://www.instagram.com/example"
        company.facebook_url = ""
        company.youtube_url = ""
        company.privacy_notice_page = privacy
        company.save()

    def admin_user(self):
        user, __ = get_user_model().objects.get_or_create(
            username=ADMIN_USERNAME,
            defaults={"email": "admin@example.org", "first_name": "Demo", "last_name": "Admin"},
        )
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

"""Erase names and emails of past reservations (GDPR). Run it from cron, e.g. daily."""

from django.conf import settings
from django.core.management.base import BaseCommand

from booking import services


class Command(BaseCommand):
    help = (
        "Blank the name, email and tokens of reservations for performances older than "
        "BOOKING_PERSONAL_DATA_DAYS; seat counts and check-in times stay."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=settings.BOOKING_PERSONAL_DATA_DAYS,
            help="Days after the performance (default: BOOKING_PERSONAL_DATA_DAYS).",
        )

    def handle(self, *args, days, **options):
        count = services.erase_personal_data(days=days)
        self.stdout.write(f"Erased the personal data of {count} reservation(s).")

"""Mark pending reservations whose confirmation link has expired. Run it from cron, e.g. hourly."""

from django.core.management.base import BaseCommand

from booking import services


class Command(BaseCommand):
    help = "Mark pending reservations with an expired confirmation link as expired."

    def handle(self, *args, **options):
        count = services.expire_pending()
        self.stdout.write(f"Expired {count} pending reservation(s).")

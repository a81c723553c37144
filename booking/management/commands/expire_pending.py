"""Mark pending reservations whose confirmation link has expired, end the waiting list's
unanswered offers and offer free seats to the next in line. Run it from cron, every 10 minutes."""

from django.core.management.base import BaseCommand

from booking import services


class Command(BaseCommand):
    help = (
        "Mark pending reservations with an expired confirmation link as expired, end lapsed "
        "waiting-list offers and offer free seats to the waiting lists."
    )

    def handle(self, *args, **options):
        count = services.expire_pending()
        lapsed, made = services.lapse_offers()
        self.stdout.write(f"Expired {count} pending reservation(s).")
        if lapsed or made:
            self.stdout.write(f"Waiting lists: {lapsed} offer(s) lapsed, {made} made.")

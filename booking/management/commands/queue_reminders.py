"""Queue the reminders due before the next performances. Run it hourly from the host's timer;
the email worker sends them."""

from django.core.management.base import BaseCommand

from booking import services


class Command(BaseCommand):
    help = "Queue a reminder for every confirmed booking whose performance is near."

    def handle(self, *args, **options):
        count = services.queue_reminders()
        self.stdout.write(f"Queued {count} reminder(s).")

"""The benchmark's fixed data set, created through the booking services; prints it as JSON.

Run inside the stack's environment: python manage.py shell < bench/data.py
"""

import datetime
import json
import os
import re
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from booking import services
from booking.models import Performance, Venue
from booking.tokens import ticket_token
from website.models import ShowIndexPage, ShowPage

# bench/run.py says how many rounds it runs and how many parties its door runs check in
# (each ticket once); the defaults are `make bench`'s.
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
RUSH_SEATS, RUSH_BOOKERS = 50, 128
DOOR_PARTIES = int(os.environ.get("BENCH_DOOR_PARTIES", "320"))

index = ShowIndexPage.objects.get()
venue = Venue.objects.create(
    name="Bench hall", address="Via del Teatro 1\n00153 Roma", capacity=500
)
soon = timezone.now() + datetime.timedelta(days=2)


def emailed_links(addresses):
    """The confirmation link each address got, read from the mail folder as a booker would:
    the outbox is drained here, beside the stack's own worker (each email leaves once). An
    email that worker was sending while the drain ran is waited for: the drain skips it."""
    call_command("email_worker", "--batch", "--verbosity", "0")
    deadline = time.monotonic() + 30
    while True:
        links = {}
        for path in Path(settings.EMAIL_FILE_PATH).glob("*.log"):
            for message in path.read_text(errors="replace").split("-" * 79):
                to = re.search(r"^To: (\S+)$", message, re.MULTILINE)
                link = re.search(r"/b/([A-Za-z0-9_-]{43})/", message)
                if to and link and "Subject: Confirm your booking" in message:
                    links[to.group(1)] = link.group(1)
        missing = [address for address in addresses if address not in links]
        if not missing or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    return [links[address] for address in addresses]


def show_with(count, title, opening=soon):
    """A published show with `count` performances, one a day from `opening`."""
    show = index.add_child(
        instance=ShowPage(
            title=title, slug=title.lower().replace(" ", "-"), opening_date=opening.date()
        )
    )
    show.save_revision().publish()
    for number in range(count):
        Performance.objects.create(
            show=show, venue=venue, starts_at=opening + datetime.timedelta(days=number)
        )
    return show


shows = {count: show_with(count, f"Bench {count}").url for count in (1, 10, 20)}

# The rest of a season, for the API's list of performances: eight more shows of twelve
# evenings, one opening a fortnight. With the demo's evenings, the three shows above and the
# rush and door performances below, about 150 performances are listed (the count is printed
# with the results): three pages of the API's 50, so each request renders a full page and
# counts them all.
for number in range(1, 9):
    show_with(12, f"Bench season {number}", opening=soon + datetime.timedelta(days=14 * number))


def rush_performance(show, hall):
    """A performance with RUSH_SEATS seats, one a booking, and RUSH_BOOKERS pending bookings:
    their emailed confirmation links."""
    rush_venue = Venue.objects.create(name=hall, address="Via del Teatro 2", capacity=RUSH_SEATS)
    performance = Performance.objects.create(
        show=show, venue=rush_venue, starts_at=soon, max_seats_per_booking=1
    )
    prefix = hall.lower().replace(" ", "-")
    addresses = [f"{prefix}-{n}@example.org" for n in range(RUSH_BOOKERS)]
    for n, address in enumerate(addresses):
        services.request_booking(performance.pk, name=f"Booker {n}", email=address, seats=1)
    return {"performance": performance.pk, "seats": RUSH_SEATS, "tokens": emailed_links(addresses)}


# Per round, a rush for the closed-loop clients and one for bookers arriving at a fixed rate
# (open loop), the second on a show of its own so that the show pages measured keep theirs.
rush = [
    rush_performance(ShowPage.objects.get(title="Bench 1"), f"Rush hall {n}") for n in range(ROUNDS)
]
paced_show = show_with(0, "Bench paced rush")
paced_rush = [rush_performance(paced_show, f"Paced rush hall {n}") for n in range(ROUNDS)]

door = []
tonight = timezone.now() + datetime.timedelta(hours=2)
for round_number in range(ROUNDS):
    # Parties of two: seats added to the hall's for every party the door runs check in.
    performance = Performance.objects.create(
        show=ShowPage.objects.get(title="Bench 1"),
        venue=venue,
        starts_at=tonight,
        additional_seats=2 * DOOR_PARTIES,
    )
    addresses = [f"door{round_number}-{n}@example.org" for n in range(DOOR_PARTIES)]
    for n, address in enumerate(addresses):
        services.request_booking(performance.pk, name=f"Guest {n}", email=address, seats=2)
    codes = [
        ticket_token(services.confirm(token).ticket_nonce) for token in emailed_links(addresses)
    ]
    door.append({"performance": performance.pk, "codes": codes})

listed = Performance.objects.listed().count()
print(
    "BENCH-DATA "
    + json.dumps(
        {
            "shows": shows,
            "rush": rush,
            "paced_rush": paced_rush,
            "door": door,
            "listed_performances": listed,
        }
    )
)

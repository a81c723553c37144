"""The offline door's server side, timed in process: what a door list and a queue cost.

Confirms N parties for one performance, then times, through Django's full request handling on
PostgreSQL and as a door phone sends them: the door list (every phone fetches it when the
door opens and every 30 seconds while online), and the queue of N check-ins made offline, sent
in parts of 100 as door_offline.js sends it, then sent again (a replay that changes nothing).
Prints the figures docs/performance.md quotes:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/door_offline.py [--parties 300] [--rounds 20]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--parties", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=20)
    options = parser.parse_args()

    server_url = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    database = f"azionelab_door_{uuid.uuid4().hex[:8]}"
    subprocess.run(["psql", f"{server_url}/postgres", "-qc", f'CREATE DATABASE "{database}"'])
    os.environ.update(
        DATABASE_URL=f"{server_url}/{database}",
        DJANGO_SETTINGS_MODULE="tests.settings",
        LANGUAGE_CODE="en",
    )
    sys.path.insert(0, str(HERE))
    try:
        run(options)
    finally:
        from django.db import connections

        connections.close_all()
        subprocess.run(["psql", f"{server_url}/postgres", "-qc", f'DROP DATABASE "{database}"'])


def run(options):
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from booking.models import Reservation, ReservationStatus
    from booking.services import new_reference
    from booking.tokens import new_nonce, ticket_token, token_hash
    from tests.booking.factories import make_performance
    from tests.staff import staff
    from tests.website.factories import ensure_home_page, make_show, make_show_index

    call_command("migrate", verbosity=0)
    show = make_show(make_show_index(ensure_home_page()))
    performance = make_performance(show, days_from_now=0.2, venue_capacity=options.parties * 2)
    now = timezone.now()
    parties = []
    for number in range(options.parties):
        nonce = new_nonce()
        parties.append(
            Reservation(
                performance=performance,
                reference=new_reference(),
                name=f"Party {number}",
                email=f"party{number}@example.org",
                seats=1 + number % 4,
                status=ReservationStatus.CONFIRMED,
                confirmed_at=now,
                link_expires_at=now,
                ticket_nonce=nonce,
                ticket_token_hash=token_hash(ticket_token(nonce)),
            )
        )
    Reservation.objects.bulk_create(parties)
    door = Client()
    door.force_login(staff("Door staff"))
    headers = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}

    timings = []
    for _ in range(options.rounds):
        started = time.perf_counter()
        response = door.get("/admin/checkin/list/", {"performance": performance.pk}, **headers)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    size = len(response.content)
    print(
        f"door list, {options.parties} tickets, {options.rounds} downloads: "
        f"median {statistics.median(timings):.1f} ms, max {max(timings):.1f} ms, "
        f"{size / 1024:.0f} KiB ({size / options.parties:.0f} bytes a ticket)"
    )

    queue = [
        {
            "nonce": str(uuid.uuid4()),
            "performance": performance.pk,
            "reservation": reservation.pk,
            "admitted_at": now.isoformat(),
            "door": "Main entrance",
        }
        for reservation in Reservation.objects.filter(performance=performance)
    ]
    for label in ("queue", "the same queue again (a replay)"):
        started = time.perf_counter()
        for start in range(0, len(queue), 100):
            response = door.post(
                "/admin/checkin/sync/",
                json.dumps({"check_ins": queue[start : start + 100]}),
                content_type="application/json",
                **headers,
            )
            assert response.status_code == 200
        elapsed = (time.perf_counter() - started) * 1000
        print(
            f"{label} of {len(queue)} check-ins, in parts of 100: {elapsed:.0f} ms "
            f"({elapsed / len(queue):.2f} ms a check-in)"
        )
    checked_in = Reservation.objects.filter(checked_in_at__isnull=False).count()
    assert checked_in == options.parties, checked_in


if __name__ == "__main__":
    main()

"""The door list a door carries offline: one performance's tickets, readable only with a ticket.

Each entry is keyed by the SHA-256 of its ticket token (the `ticket_token_hash` the server
looks tickets up by) and holds the party (name, seats, state of its check-in) sealed with
AES-256-GCM under a key derived from the ticket token itself (HKDF-SHA256). The door's script
(checkin/static/checkin/door_offline.js) derives the same key with the browser's Web Crypto
from the code it scans. A phone with the list and without the tickets holds hashes and sealed
boxes: nobody's name (docs/adr/0022-offline-door.md, docs/security-notes.md).
"""

import base64
import json
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.utils import timezone

from booking.models import Reservation, ReservationStatus
from booking.tokens import ticket_token
from checkin.services import TicketCheck, TicketState, check_in_action, staff_name

# Bound into every key: a key derived for the door list opens nothing else.
KEY_INFO = b"azionelab door list v1"
# Sealed parties are padded to a multiple of this many bytes: a box's length tells little
# about the length of the name inside.
PADDING = 128
# Cancelled tickets are on the list too, so that an offline door says "cancelled", not
# "unknown". Unconfirmed bookings have no ticket yet.
LISTED_STATUSES = (ReservationStatus.CONFIRMED, ReservationStatus.CANCELLED)


def entry_key(token):
    """The AES-256 key of a ticket's entry, derived from its token (HKDF-SHA256, no salt)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=KEY_INFO)
    return hkdf.derive(token.encode())


def seal(token, entry_id, party):
    """The party, as JSON padded with spaces, sealed under the token's key; the entry's id
    is bound in as associated data, so a box moved to another entry fails to open."""
    plain = json.dumps(party, separators=(",", ":")).encode()
    plain += b" " * (-len(plain) % PADDING)
    iv = os.urandom(12)
    sealed = AESGCM(entry_key(token)).encrypt(iv, plain, entry_id.encode())
    return base64.urlsafe_b64encode(iv + sealed).rstrip(b"=").decode()


def open_box(token, entry_id, box):
    """The party sealed in `box` (the door's script does the same in the browser)."""
    raw = base64.urlsafe_b64decode(box + "=" * (-len(box) % 4))
    plain = AESGCM(entry_key(token)).decrypt(raw[:12], raw[12:], entry_id.encode())
    return json.loads(plain)


def party(reservation):
    """What an offline door shows and decides on for one ticket: the party, the state of its
    check-in, and the door's sentences for it, in the staff's language (checkin/services.py)."""
    return {
        "message": TicketCheck(TicketState.VALID, reservation).message,
        "admitted": TicketCheck(TicketState.CHECKED_IN, reservation).message,
        "action": check_in_action(reservation.seats),
        "id": reservation.pk,
        "reference": reservation.reference,
        "name": reservation.name,
        "seats": reservation.seats,
        "wheelchair_spaces": reservation.wheelchair_spaces,
        "status": reservation.status,
        "checked_in_at": (
            reservation.checked_in_at.isoformat() if reservation.checked_in_at else None
        ),
        "checked_in_by": staff_name(reservation.checked_in_by) if reservation.is_checked_in else "",
        "door": reservation.checked_in_door,
    }


def door_list(performance, now=None):
    """The performance's door list: its tickets' entries and its counters, as of `now`."""
    reservations = (
        Reservation.objects.filter(
            performance=performance,
            status__in=LISTED_STATUSES,
            ticket_token_hash__isnull=False,
        )
        .select_related("checked_in_by")
        .order_by("pk")
    )
    entries = []
    for reservation in reservations:
        token = ticket_token(reservation.ticket_nonce)
        entry_id = reservation.ticket_token_hash
        entries.append({"id": entry_id, "box": seal(token, entry_id, party(reservation))})
    return {
        "performance": performance.pk,
        "generated_at": (now or timezone.now()).isoformat(),
        "entries": entries,
    }

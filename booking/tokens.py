"""Opaque tokens: the booker's link tokens and the door's ticket token (see docs/adr).

Each carries 256 bits, is derived with Django's salted HMAC (keyed by SECRET_KEY) from a random
nonce stored in the database, and is looked up by its SHA-256 hash: a copy of the database alone
yields no usable token. The ticket token comes from the reservation's nonce, so the site can
draw the QR code again at any time. A link token comes from the nonce of the email that carries
it (ADR 0013), so every attempt at one email carries the same link, and the raw token exists
only in the emailed link and the booker's cookie.
"""

import base64
import hashlib
import re
import secrets

from django.utils.crypto import salted_hmac

TOKEN_BYTES = 32
# What a token looks like in a URL: used to validate input and to redact logs.
TOKEN_PATTERN = r"[A-Za-z0-9_-]{43}"
TOKEN_RE = re.compile(rf"^{TOKEN_PATTERN}$")


def new_nonce():
    return secrets.token_hex(TOKEN_BYTES)


def ticket_token(nonce):
    """The door's QR token of a reservation."""
    return derived_token("booking.ticket", nonce)


def link_token(nonce):
    """The booker's link token carried by one email."""
    return derived_token("booking.link", nonce)


def derived_token(purpose, nonce):
    # One salt per purpose: a link token never opens the door, nor a ticket token the booking.
    digest = salted_hmac(purpose, nonce, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def is_well_formed(token):
    return bool(TOKEN_RE.match(token or ""))

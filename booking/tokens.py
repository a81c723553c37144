"""Opaque tokens: the booker's link token and the door's ticket token (see docs/adr).

Both carry 256 bits and are stored only as SHA-256 hashes. The link token is random and exists
only in the emailed link. The ticket token is derived with Django's salted HMAC (keyed by
SECRET_KEY) from a random per-reservation nonce, so the site can draw the QR code again at any
time, while a copy of the database alone yields neither token.
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


def new_link_token():
    return secrets.token_urlsafe(TOKEN_BYTES)


def new_ticket_nonce():
    return secrets.token_hex(TOKEN_BYTES)


def ticket_token(nonce):
    digest = salted_hmac("booking.ticket", nonce, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def is_well_formed(token):
    return bool(TOKEN_RE.match(token or ""))

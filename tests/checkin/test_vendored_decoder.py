"""The vendored QR decoder is exactly the release docs/adr/0009 names."""

import hashlib
from pathlib import Path

from django.conf import settings

VENDOR = Path(settings.BASE_DIR) / "checkin" / "static" / "checkin" / "vendor" / "jsqr-1.4.0"
SHA256 = {
    "jsQR.js": "bc40c8a15196236b2314db0856f72ca0b49980cd5413b8c852a7349f5fee0859",
    "LICENSE": "c6596eb7be8581c18be736c846fb9173b69eccf6ef94c5135893ec56bd92ba08",
}


def test_vendored_jsqr_matches_the_recorded_release():
    found = {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in VENDOR.iterdir()}
    assert found == SHA256


def test_the_adr_names_the_same_version_and_checksum():
    adr = (Path(settings.BASE_DIR) / "docs" / "adr" / "0009-door-check-in.md").read_text()
    assert "jsQR 1.4.0" in adr
    assert SHA256["jsQR.js"] in adr

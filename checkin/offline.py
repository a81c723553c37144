"""What the door's service worker keeps on the phone so that the door opens without a network:
the door's own static files, named as the static files storage names them (with their hash
in production), and a cache name that changes whenever one of them does.

The door page itself and the Wagtail admin's files it loads are cached by the service worker
as the page loads them (checkin/templates/checkin/service_worker.js).
"""

import functools
import hashlib

from django.conf import settings
from django.contrib.staticfiles import finders
from django.templatetags.static import static

# The door's own files; the jsQR decoder is vendored (docs/adr/0009-door-check-in.md).
DOOR_STATIC_FILES = (
    "checkin/door.css",
    "checkin/door.js",
    "checkin/door_offline.js",
    "checkin/vendor/jsqr-1.4.0/jsQR.js",
    "checkin/icons/door-192.png",
    "checkin/icons/door-512.png",
)


def precache_urls():
    return [static(path) for path in DOOR_STATIC_FILES]


def version():
    """A digest of the door's files: a new one makes phones drop the old cache and fetch all
    again. Worked out once per process, except while developing, where files change."""
    if settings.DEBUG:
        return files_digest()
    return cached_files_digest()


def files_digest():
    digest = hashlib.sha256()
    for path in DOOR_STATIC_FILES:
        digest.update(path.encode())
        with open(finders.find(path), "rb") as file:
            digest.update(file.read())
    return digest.hexdigest()[:16]


cached_files_digest = functools.cache(files_digest)

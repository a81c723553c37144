"""The pages' micro-cache policy: which responses nginx may share between visitors, and for how
long (docs/performance.md, ADR 0012)."""

import time

from django.conf import settings


def shared_with_every_visitor(request):
    """Whether a page response may be cached and served to other visitors.

    Only plain GETs (and HEADs), never previews, rendered for a request that carried no cookie
    but the CSRF one: with any other the page may hold something of that visitor's (a session
    means a logged-in editor and the userbar, or a page password; a messages cookie, their
    message). The CSRF cookie changes nothing on a page without a form token, and a page with
    one sets the cookie again, which nginx never caches.
    """
    return (
        request.method in ("GET", "HEAD")
        and not getattr(request, "is_preview", False)
        and set(request.COOKIES) <= {settings.CSRF_COOKIE_NAME}
    )


def allow_micro_cache(request, response):
    """Let nginx share `response` for PAGE_MICRO_CACHE_SECONDS, if every visitor may see it."""
    if shared_with_every_visitor(request):
        # nginx may serve this page to others until the end of the second named here, an
        # absolute time: its relative form counts whole seconds from a clock that ticks
        # once a second, so "1" could mean nearly 2 (docs/performance.md, ADR 0012).
        # nginx hides the header from browsers; no other response carries it.
        last_second = int(time.time()) + settings.PAGE_MICRO_CACHE_SECONDS - 1
        response["X-Accel-Expires"] = f"@{last_second}"

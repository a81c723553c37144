"""The pages' micro-cache policy: which responses nginx may share between visitors, and for how
long (docs/performance.md, ADR 0012)."""

from django.conf import settings
from django.utils.cache import patch_cache_control
from django.utils.http import http_date


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


def allow_micro_cache(request, response, started):
    """Let nginx share `response` for PAGE_MICRO_CACHE_SECONDS, then serve it for at most
    PAGE_MICRO_CACHE_STALE_SECONDS more while one request renders the next copy, if every
    visitor may see it. Returns whether it may be shared. `started` is a time.time() taken
    before the view read anything the response shows: the bound counts from then.

    The copy is fresh until the end of the second named by Expires, an absolute time (a
    relative max-age counts whole seconds from a clock that ticks once a second, so "1" could
    mean nearly 2). stale-while-revalidate bounds how long nginx may go on serving it while
    it fetches the next one in the background: a copy is never older than the two added
    together, however long a render takes or however long the page went unrequested
    (docs/performance.md, ADR 0012). Only responses with Expires are stored by nginx, and
    only this function sets it. Browsers read the same headers, with the same bound.
    """
    if not shared_with_every_visitor(request):
        return False
    last_second = int(started) + settings.PAGE_MICRO_CACHE_SECONDS - 1
    response["Expires"] = http_date(last_second)
    patch_cache_control(
        response, public=True, stale_while_revalidate=settings.PAGE_MICRO_CACHE_STALE_SECONDS
    )
    return True

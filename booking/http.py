"""The HTTP rules of the booker's pages, apart from the views that follow them.

Pages never cached nor indexed, a CSRF check for the cached show pages' form, the signed cookies
that remember a booker's link and request, and a page's Wagtail hooks in front of a view.
"""

import functools
import re

from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.defaults import page_not_found
from wagtail import hooks

LINK_COOKIE = "booking_link"
REQUEST_COOKIE = "booking_request"
COOKIE_SALT = "booking.cookies"
COOKIE_PATH = "/booking/"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")
LINK_COOKIE_AGE = 60 * 60 * 24 * 180


def private(view):
    """Booking pages are personal: never cached, never indexed.

    Most of their URLs hold no token, so the site's Referrer-Policy (same-origin) applies; a
    stricter no-referrer would make browsers send "Origin: null" with the forms and fail CSRF
    checks. The two token URLs (the link redirect and the QR page, no forms) set no-referrer.
    """

    @functools.wraps(view)
    @never_cache
    def wrapped(request, *args, **kwargs):
        try:
            response = view(request, *args, **kwargs)
        except Http404 as error:
            response = page_not_found(request, error)
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapped


def sent_from_this_site(request):
    """Whether the browser says the request comes from this site (Fetch Metadata, Origin).

    Sec-Fetch-Site, sent by every current browser, names the relation directly; otherwise
    Origin must be this site or a trusted origin. A request with neither header does not come
    from a browser submitting a cross-site form, so it cannot ride a visitor's browser.
    """
    origin = request.headers.get("Origin")
    if origin in settings.CSRF_TRUSTED_ORIGINS:
        return True
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    return origin is None or origin == f"{request.scheme}://{request.get_host()}"


def cross_site_protected(view):
    """CSRF protection without Django's per-visitor token, for the cached show pages' form.

    nginx shares an anonymous show page between visitors for a second, so the booking form
    in it cannot carry one visitor's CSRF token (ADR 0012). The form carries no ambient
    authority (it needs no session or login); what it must refuse is a form on another site
    submitted through a visitor's browser, and that is what the browser's headers tell.
    """

    @functools.wraps(view)
    @csrf_exempt
    def wrapped(request, *args, **kwargs):
        # Only methods that change something, as Django's own check.
        if request.method not in SAFE_METHODS and not sent_from_this_site(request):
            # The same refusal as Django's token check: its failure view (CSRF_FAILURE_VIEW).
            refuse = import_string(settings.CSRF_FAILURE_VIEW)
            return refuse(request, reason="Sec-Fetch-Site or Origin names another site.")
        return view(request, *args, **kwargs)

    return wrapped


def set_booking_cookie(response, name, value, max_age):
    response.set_signed_cookie(
        name,
        value,
        salt=COOKIE_SALT,
        max_age=max_age,
        path=COOKIE_PATH,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def get_booking_cookie(request, name):
    return request.get_signed_cookie(name, default=None, salt=COOKIE_SALT)


def link_token(request):
    return get_booking_cookie(request, LINK_COOKIE)


def remember_request(response, reservation_id):
    """Which booking the "check your email" page is about."""
    set_booking_cookie(
        response,
        REQUEST_COOKIE,
        str(reservation_id),
        max_age=settings.BOOKING_LINK_VALIDITY_HOURS * 3600,
    )


def remembered_request(request):
    """The reservation id from remember_request's cookie, or None."""
    value = get_booking_cookie(request, REQUEST_COOKIE) or ""
    # Signed by us, but an older cookie held "id:flag"; only ASCII digits make an id.
    reservation_id = value.split(":")[0]
    return int(reservation_id) if re.fullmatch(r"[0-9]+", reservation_id) else None


def serve_behind_page_hooks(request, page, serve):
    """Answer for `page` as wagtail.views.serve does, with `serve` in place of `page.serve`.

    Wagtail enforces a page's view restrictions in these hooks (its check_view_restrictions
    answers with the password form or a login redirect), so whoever the page's own URL turns
    away, this turns away with the same answer before `serve` runs.
    """
    serve_chain = serve
    for hook in reversed(hooks.get_hooks("on_serve_page")):
        serve_chain = hook(serve_chain)
    for hook in hooks.get_hooks("before_serve_page"):
        response = hook(page, request, (), {})
        if isinstance(response, HttpResponse):
            return response
    return serve_chain(page, request, (), {})

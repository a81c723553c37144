"""The booker's pages: book, check your email, confirm, ticket, calendar, cancel.

The emailed link carries a token. Its first request moves the token into a cookie scoped to
/booking/ and redirects to a token-free URL, so the token never reaches a Referer header or a
later log line (as Django's password reset does with the session). The cookie, not the
database, holds the token: a copy of the database yields no usable link.
"""

import functools
import re

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.defaults import page_not_found
from wagtail import hooks

from booking import emails, services, tickets
from booking.forms import BookingForm
from booking.models import EmailKind, Performance, Reservation, ReservationStatus
from website.models import ShowPage

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


def reservation_for_request(request):
    token = link_token(request)
    if token is None:
        return None
    return (
        Reservation.objects.for_link_token(token)
        .select_related("performance__venue", "performance__show")
        .first()
    )


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


@require_http_methods(["GET", "HEAD", "POST"])
@cross_site_protected
@private
def book(request, show_id):
    """The show page's booking form: request the booking, or show the page with the errors.

    Only for those who may view the page: it is served behind the same hooks as the page.
    A GET leads to the show page: it is where Wagtail's password form and login send a visitor
    back after they turned a booking away.
    """
    show_page = get_object_or_404(ShowPage.objects.live(), pk=show_id)
    if request.method in SAFE_METHODS:
        return redirect(f"{show_page.url}#tickets")
    return serve_behind_page_hooks(request, show_page, book_or_show_errors)


def book_or_show_errors(show_page, request, args, kwargs):
    """Reached only once the page's hooks have let the visitor in."""
    form = BookingForm(Performance.objects.filter(show=show_page).listed(), request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            reservation = services.request_booking(
                data["performance"].pk, name=data["name"], email=data["email"], seats=data["seats"]
            )
        except services.BookingRefused as refusal:
            form.add_error(refusal.field, refusal.message)
        else:
            response = redirect("booking:requested")
            remember_request(response, reservation.pk)
            return response
    # Through the page's own serve, as viewing does: the same template and context, and the
    # micro-cache rule of BasePage.serve, which never shares the answer to a POST.
    return show_page.serve(request, *args, booking_form=form, **kwargs)


@private
@require_safe
def check_your_email(request):
    reservation_id = remembered_request(request)
    reservation = (
        Reservation.objects.select_related("performance__venue", "performance__show")
        .filter(pk=reservation_id)
        .first()
        if reservation_id
        else None
    )
    if reservation is None:
        return redirect("/")
    return TemplateResponse(
        request,
        "booking/check_your_email.html",
        {
            "reservation": reservation,
            "email": emails.latest(reservation, EmailKind.CONFIRMATION_LINK),
            "can_resend": reservation.can_get_a_new_link,
        },
    )


@private
@require_POST
def resend_link(request):
    reservation_id = remembered_request(request)
    if reservation_id is None:
        return redirect("/")
    try:
        services.resend_link(reservation_id)
    except Reservation.DoesNotExist:
        return redirect("/")
    except services.BookingRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            _("A new link is on its way. Once it arrives, the previous one no longer works."),
        )
    return redirect("booking:requested")


@private
@require_safe
def open_link(request, token):
    """The emailed link: keep its token in a cookie and continue on a token-free URL.

    Changes nothing, so a mail scanner that follows the link confirms nothing.
    """
    response = redirect("booking:reservation")
    set_booking_cookie(response, LINK_COOKIE, token, max_age=LINK_COOKIE_AGE)
    response["Referrer-Policy"] = "no-referrer"
    return response


@private
@require_safe
def reservation(request):
    """The booker's page: confirm a pending booking, see the ticket, or learn what happened."""
    reservation = reservation_for_request(request)
    if reservation is None:
        return TemplateResponse(
            request,
            "booking/reservation_closed.html",
            {"message": services.ReservationNotFound.message, "reservation": None},
            status=404,
        )
    context = {"reservation": reservation, "performance": reservation.performance}
    if reservation.status == ReservationStatus.CONFIRMED:
        context["qr_svg"] = tickets.qr_svg(reservation)
        context["can_cancel"] = reservation.can_be_cancelled()
        context["ticket_email"] = emails.latest(reservation, EmailKind.TICKET)
        return TemplateResponse(request, "booking/ticket.html", context)
    if reservation.status == ReservationStatus.PENDING and not reservation.link_has_expired():
        return TemplateResponse(request, "booking/reservation_pending.html", context)
    if reservation.status == ReservationStatus.PENDING:
        context["message"] = services.LinkExpired.message
    else:
        context["message"] = services.refusal_for(reservation).message
    return TemplateResponse(request, "booking/reservation_closed.html", context)


@private
@require_POST
def confirm(request):
    try:
        services.confirm(link_token(request) or "")
    except services.BookingRefused:
        # The reservation page tells what happened: expired, sold out, cancelled or unknown.
        return redirect("booking:reservation")
    messages.success(request, _("Your booking is confirmed. Here is your ticket."))
    return redirect("booking:reservation")


@private
@require_http_methods(["GET", "POST"])
def cancel(request):
    reservation = reservation_for_request(request)
    if reservation is None:
        return redirect("booking:reservation")
    if request.method == "POST":
        try:
            services.cancel(reservation.pk)
        except services.BookingRefused as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(
                request, _("Your booking is cancelled. Thank you for letting us know.")
            )
        return redirect("booking:reservation")
    return TemplateResponse(
        request,
        "booking/cancel.html",
        {"reservation": reservation, "performance": reservation.performance},
    )


@private
@require_safe
def calendar(request):
    reservation = reservation_for_request(request)
    if reservation is None or reservation.status != ReservationStatus.CONFIRMED:
        raise Http404
    from website.models import CompanySettings

    response = HttpResponse(
        tickets.calendar_file(reservation, CompanySettings.load().company_name),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{reservation.reference}.ics"'
    return response


@private
@require_safe
def ticket_code(request, token):
    """Where the QR code points: for anyone, what the ticket is for, without any personal data.

    An app that answers some visitors differently plugs in through the `serve_ticket_code`
    hook (the door, for staff: checkin/wagtail_hooks.py), so that booking needs to know
    nothing of it.
    """
    reservation = (
        Reservation.objects.for_ticket_token(token)
        .select_related("performance__venue", "performance__show")
        .first()
    )
    for serve in hooks.get_hooks("serve_ticket_code"):
        response = serve(request, token, reservation)
        if response is not None:
            break
    else:
        if reservation is None:
            raise Http404
        response = TemplateResponse(
            request,
            "booking/ticket_code.html",
            {"reservation": reservation, "performance": reservation.performance},
        )
    # This URL holds the door token: links and assets from this page must not carry it.
    response["Referrer-Policy"] = "no-referrer"
    return response

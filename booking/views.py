"""The booker's pages: book, a group request, check your email, confirm, ticket, calendar, cancel.

The emailed link carries a token. Its first request moves the token into a cookie scoped to
/booking/ and redirects to a token-free URL, so the token never reaches a Referer header or a
later log line (as Django's password reset does with the session). The cookie, not the
database, holds the token: a copy of the database yields no usable link. The cookies, and the
pages' other HTTP rules, are in booking/http.py.
"""

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from wagtail import hooks

from booking import emails, feeds, services, tickets
from booking.forms import BookingForm, GroupRequestForm, WaitingListForm
from booking.http import (
    LINK_COOKIE,
    LINK_COOKIE_AGE,
    SAFE_METHODS,
    cross_site_protected,
    link_token,
    private,
    remember_request,
    remembered_request,
    serve_behind_page_hooks,
    set_booking_cookie,
)
from booking.models import EmailKind, Performance, Reservation, ReservationStatus
from website.models import CompanySettings, ShowPage


def reservation_for_request(request):
    token = link_token(request)
    if token is None:
        return None
    return (
        Reservation.objects.for_link_token(token)
        .select_related("performance__venue", "performance__show")
        .first()
    )


@require_http_methods(["GET", "HEAD", "POST"])
@cross_site_protected
@private
def book(request, show_id):
    """The show page's booking form: request the booking, or show the page with the errors.

    Only for those who may view the page: it is served behind the same hooks as the page.
    A GET leads to the show page: it is where Wagtail's password form and login send a visitor
    back after they turned a booking away.
    """
    return show_page_form(request, show_id, anchor="tickets", handle=book_or_show_errors)


def show_page_form(request, show_id, *, anchor, handle):
    """Where each of the show page's forms posts: `handle(show_page, request, args, kwargs)`
    runs behind the page's own hooks, and a GET leads back to the form on the page."""
    show_page = get_object_or_404(ShowPage.objects.live(), pk=show_id)
    if request.method in SAFE_METHODS:
        return redirect(f"{show_page.url}#{anchor}")
    return serve_behind_page_hooks(request, show_page, handle)


def book_or_show_errors(show_page, request, args, kwargs):
    """Reached only once the page's hooks have let the visitor in."""
    form = BookingForm(Performance.objects.filter(show=show_page).listed(), request.POST)
    return ask_or_show_errors(show_page, request, form, services.request_booking, "booking_form")


@require_http_methods(["GET", "HEAD", "POST"])
@cross_site_protected
@private
def join_waiting_list(request, show_id):
    """The show page's waiting-list form, served as `book` is: ask for a place in line of a
    sold-out performance, or show the page with the errors."""
    return show_page_form(request, show_id, anchor="waiting-list", handle=join_or_show_errors)


def join_or_show_errors(show_page, request, args, kwargs):
    form = WaitingListForm(Performance.objects.filter(show=show_page).listed(), request.POST)
    return ask_or_show_errors(show_page, request, form, services.join_waiting_list, "waitlist_form")


def ask_or_show_errors(show_page, request, form, ask, form_name):
    """Run `ask` (a booking or a place in line) on a valid form and lead to "check your email";
    otherwise show the page again with the form's errors."""
    if form.is_valid():
        data = form.cleaned_data
        try:
            reservation = ask(
                data["performance"].pk,
                name=data["name"],
                email=data["email"],
                seats=data["seats"],
                wheelchair_spaces=int(data["wheelchair_space"]),
            )
        except services.BookingRefused as refusal:
            form.add_error(refusal.field, refusal.message)
        else:
            response = redirect("booking:requested")
            remember_request(response, reservation.pk)
            return response
    return show_page_again(show_page, request, form, form_name)


def show_page_again(show_page, request, form, form_name):
    """The show page with a submitted form, and its errors, in place of a fresh one.

    Through the page's own serve, as viewing does: the same template and context, and the
    micro-cache rule of BasePage.serve, which never shares the answer to a POST. The page's
    booking_panel finds the submitted form in the context, before the response renders.
    """
    response = show_page.serve(request)
    response.context_data[form_name] = form
    return response


@require_http_methods(["GET", "HEAD", "POST"])
@cross_site_protected
@private
def group_request(request, show_id):
    """The show page's group request form, served as `book` is: send the box office a request
    for more seats than one booking may hold, or show the page with the errors."""
    return show_page_form(
        request, show_id, anchor="group-request", handle=request_group_or_show_errors
    )


def request_group_or_show_errors(show_page, request, args, kwargs):
    form = GroupRequestForm(Performance.objects.filter(show=show_page).listed(), request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.request_group(
                data["performance"].pk,
                name=data["name"],
                email=data["email"],
                phone=data["phone"],
                seats=data["seats"],
                message=data["message"],
            )
        except services.BookingRefused as refusal:
            form.add_error(refusal.field, refusal.message)
        else:
            return redirect("booking:group_request_sent")
    return show_page_again(show_page, request, form, "group_form")


@private
@require_safe
def group_request_sent(request):
    """Where a group request lands: it is with the box office, and nothing is reserved yet."""
    return TemplateResponse(request, "booking/group_request_sent.html")


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
            "email": emails.latest(reservation, services.link_kind(reservation)),
            "can_resend": reservation.can_get_a_new_link,
            "joining": reservation.status == ReservationStatus.JOINING,
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
def open_link(request, token, then="booking:reservation"):
    """The emailed link: keep its token in a cookie and continue on a token-free URL.

    Changes nothing, so a mail scanner that follows the link confirms nothing.
    """
    response = redirect(then)
    set_booking_cookie(response, LINK_COOKIE, token, max_age=LINK_COOKIE_AGE)
    response["Referrer-Policy"] = "no-referrer"
    return response


def open_link_to_cancel(request, token):
    """The "can't come?" link of the reminder and the waiting list's "leave" link: the same,
    continuing on the page that asks whether to cancel (cancelling takes its POST)."""
    return open_link(request, token, then="booking:cancel")


@private
@require_safe
def reservation(request):
    """The booker's page: confirm a pending booking or a place on the waiting list, see the
    place in line, answer an offer, see the ticket, or learn what happened."""
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
    confirming = reservation.status in (ReservationStatus.PENDING, ReservationStatus.JOINING)
    if confirming and not reservation.link_has_expired():
        context["joining"] = reservation.status == ReservationStatus.JOINING
        return TemplateResponse(request, "booking/reservation_pending.html", context)
    if reservation.status == ReservationStatus.WAITING:
        context["position"] = reservation.position_in_line()
        context["offer_hours"] = settings.BOOKING_WAITLIST_OFFER_HOURS
        return TemplateResponse(request, "booking/waiting_list_place.html", context)
    if reservation.status == ReservationStatus.OFFERED and not reservation.offer_has_lapsed():
        return TemplateResponse(request, "booking/offer.html", context)
    if confirming:
        context["message"] = services.LinkExpired.message
    elif reservation.status == ReservationStatus.OFFERED:
        context["message"] = services.OfferLapsed.message
    else:
        context["message"] = services.refusal_for(reservation).message
    return TemplateResponse(request, "booking/reservation_closed.html", context)


@private
@require_POST
def confirm(request):
    try:
        reservation = services.confirm(link_token(request) or "")
    except services.BookingRefused:
        # The reservation page tells what happened: expired, sold out, cancelled or unknown.
        return redirect("booking:reservation")
    if reservation.status == ReservationStatus.CONFIRMED:
        messages.success(request, _("Your booking is confirmed. Here is your ticket."))
    else:
        messages.success(request, _("You are on the waiting list."))
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
            left_the_line = reservation.is_on_waiting_list
            messages.success(
                request,
                _("You have left the waiting list.")
                if left_the_line
                else _("Your booking is cancelled. Thank you for letting us know."),
            )
        return redirect("booking:reservation")
    return TemplateResponse(
        request,
        "booking/cancel.html",
        {"reservation": reservation, "performance": reservation.performance},
    )


FEED_MAX_AGE = 15 * 60


@require_safe
def season_calendar(request):
    """The season's calendar feed: every listed performance (booking/feeds.py)."""
    company = CompanySettings.load()
    name = feeds.season_name(company.company_name)
    return calendar_response(
        feeds.calendar_feed(
            feeds.season_performances(), name=name, company_name=company.company_name
        ),
        "season.ics",
    )


@require_safe
def show_calendar(request, show_id):
    """One show's calendar feed, for a show the public may see."""
    show = get_object_or_404(ShowPage.objects.live().public(), pk=show_id)
    company = CompanySettings.load()
    name = f"{show.title} · {company.company_name}"
    return calendar_response(
        feeds.calendar_feed(
            feeds.show_performances(show), name=name, company_name=company.company_name
        ),
        f"{show.slug}.ics",
    )


def calendar_response(ics, filename):
    response = HttpResponse(ics, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    patch_cache_control(response, public=True, max_age=FEED_MAX_AGE)
    return response


@private
@require_safe
def calendar(request):
    reservation = reservation_for_request(request)
    if reservation is None or reservation.status != ReservationStatus.CONFIRMED:
        raise Http404
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

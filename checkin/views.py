"""The door view in the Wagtail admin and the JSON endpoints it talks to.

All are mounted at /admin/checkin/ before Wagtail's admin URLs (checkin/urls.py): the page
wraps itself in Wagtail's admin guard, as the admin's own URLs are; the JSON endpoints have
the door's lighter one, which refuses the same users (checkin/access.py).
"""

import functools
import json

from django.conf import settings
from django.contrib.auth.decorators import permission_required
from django.http import JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from checkin import offline, services
from checkin.access import door_endpoint
from checkin.door_list import door_list as build_door_list
from checkin.door_list import party
from checkin.forms import (
    OfflineCheckInForm,
    PerformanceRequestForm,
    SearchForm,
    TicketRequestForm,
    UndoForm,
)
from checkin.services import NAMED_STATES, TicketState, check_in_action, staff_name

CHECK_IN_PERMISSION = "booking.check_in_reservation"
UNDO_PERMISSION = "booking.undo_check_in"
# Who may carry the performance's names for looking people up offline: the box office, who
# see the bookings in the admin anyway.
GUEST_LIST_PERMISSION = "booking.view_reservation"
# At most this many queued check-ins in one request: the door sends a long queue in parts.
SYNC_BATCH = 100

door_staff_only = permission_required(CHECK_IN_PERMISSION, raise_exception=True)


def as_json(check):
    reservation = check.reservation
    data = {
        "state": check.state,
        "admit": check.state == TicketState.VALID,
        "message": check.message,
        "seat_counts": check.seat_counts,
    }
    if reservation is not None and check.state != TicketState.UNKNOWN:
        data["reservation"] = {"id": reservation.pk, "reference": reservation.reference}
    # Names only for this performance's parties: the door needs no one else's.
    if check.state in NAMED_STATES:
        data["reservation"].update(
            name=reservation.name,
            seats=reservation.seats,
            wheelchair_spaces=reservation.wheelchair_spaces,
            show=reservation.show_title,
            action=check_in_action(reservation.seats),
        )
    if check.state in (TicketState.CHECKED_IN, TicketState.ALREADY_CHECKED_IN):
        data["checked_in_at"] = reservation.checked_in_at.isoformat()
        data["checked_in_by"] = staff_name(reservation.checked_in_by)
        data["checked_in_door"] = reservation.checked_in_door
    return data


def errors_as_sentence(form):
    """The form's errors as one text: what door.js shows."""
    return " ".join(error for errors in form.errors.values() for error in errors)


def bad_request(form):
    # door.js shows the message; the fields say which input it is about.
    return JsonResponse(
        {
            "error": "invalid",
            "message": errors_as_sentence(form),
            "fields": form.errors.get_json_data(),
        },
        status=400,
    )


def json_object_body(view):
    """Call the view with the request's JSON object; any other body is refused with a 4xx."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        # door.js sends only JSON. A form's body is refused unread: CsrfViewMiddleware has
        # already read it as a form, which leaves request.body unreadable.
        if request.content_type != "application/json":
            return JsonResponse(
                {
                    "error": "unsupported_media_type",
                    "message": _("The door sends its requests as JSON. Reload the page."),
                },
                status=415,
            )
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, RecursionError):  # undecodable, or nested deeper than Python goes
            data = None
        if not isinstance(data, dict):
            return JsonResponse(
                {
                    "error": "malformed",
                    "message": _("The door could not read this request. Reload the page."),
                },
                status=400,
            )
        return view(request, data, *args, **kwargs)

    return wrapped


@never_cache
@door_staff_only
@require_GET
def door(request):
    return render_door(request, request.GET.get("performance"))


def render_door(request, performance_id=None, initial_code=""):
    """The door page for a chosen performance (default: the next one), maybe with a code."""
    performances = list(services.door_performances()[:30])
    chosen = next(
        (p for p in performances if str(p.pk) == str(performance_id)),
        performances[0] if performances else None,
    )
    return render(
        request,
        "checkin/door.html",
        {
            "performances": performances,
            "performance": chosen,
            "seat_counts": services.seat_counts(chosen) if chosen else None,
            "can_undo": request.user.has_perm(UNDO_PERMISSION),
            "can_carry_guest_list": request.user.has_perm(GUEST_LIST_PERMISSION),
            "cancelled_message": TicketState.CANCELLED.label,
            "initial_code": initial_code,
        },
    )


def answer(data, check_ticket):
    """Validate a ticket request, run `check_ticket(performance, code=, reservation_id=,
    door=, nonce=)` and answer with its check, or with the check of the refusal: the door
    shows either."""
    form = TicketRequestForm(data)
    if not form.is_valid():
        return bad_request(form)
    try:
        check = check_ticket(
            form.cleaned_data["performance"],
            code=form.cleaned_data["code"],
            reservation_id=form.cleaned_data["reservation"],
            door=form.cleaned_data["door"],
            nonce=form.cleaned_data["nonce"],
        )
    except services.NotAdmitted as refusal:
        check = refusal.check
    return JsonResponse(as_json(check))


@door_endpoint(CHECK_IN_PERMISSION)
@never_cache
@require_POST
@json_object_body
def preview(request, data):
    # A preview admits nobody, at no door.
    return answer(
        data, lambda performance, door, nonce, **ticket: services.preview(performance, **ticket)
    )


@door_endpoint(CHECK_IN_PERMISSION)
@never_cache
@require_POST
@json_object_body
def check_in(request, data):
    return answer(data, functools.partial(services.check_in, by=request.user))


@door_endpoint(CHECK_IN_PERMISSION)
@never_cache
@require_GET
def search(request):
    form = SearchForm(request.GET)
    if not form.is_valid():
        return bad_request(form)
    results = [
        {
            "id": reservation.pk,
            "reference": reservation.reference,
            "name": reservation.name,
            "seats": reservation.seats,
            "checked_in": reservation.is_checked_in,
        }
        for reservation in services.search(form.cleaned_data["performance"], form.cleaned_data["q"])
    ]
    return JsonResponse({"results": results})


@door_endpoint(UNDO_PERMISSION)
@never_cache
@require_POST
@json_object_body
def undo(request, data):
    form = UndoForm(data)
    if not form.is_valid():
        return bad_request(form)
    try:
        reservation = services.undo_check_in(
            form.cleaned_data["reservation"], by=request.user, reason=form.cleaned_data["reason"]
        )
    except services.UndoRefused as refusal:
        return JsonResponse({"error": "refused", "message": refusal.message}, status=409)
    return JsonResponse(
        {
            "message": _("Check-in of %(reference)s undone.")
            % {"reference": reservation.reference},
            "seat_counts": services.seat_counts(reservation.performance),
        }
    )


@door_endpoint(CHECK_IN_PERMISSION)
@never_cache
@require_GET
def door_list(request):
    """The chosen performance's door list, for deciding offline (checkin/door_list.py)."""
    form = PerformanceRequestForm(request.GET)
    if not form.is_valid():
        return bad_request(form)
    performance = form.cleaned_data["performance"]
    return JsonResponse(
        {**build_door_list(performance), "seat_counts": services.seat_counts(performance)}
    )


@door_endpoint(CHECK_IN_PERMISSION, GUEST_LIST_PERMISSION)
@never_cache
@require_GET
def guest_list(request):
    """The performance's parties by name, for the box office to look people up offline.

    The door keeps it in the page's memory only, never in the device's storage.
    """
    form = PerformanceRequestForm(request.GET)
    if not form.is_valid():
        return bad_request(form)
    guests = services.guest_list(form.cleaned_data["performance"])
    return JsonResponse({"guests": [party(reservation) for reservation in guests]})


@door_endpoint(CHECK_IN_PERMISSION)
@never_cache
@require_POST
@json_object_body
def sync(request, data):
    """Apply the check-ins a door queued offline; answers each in the order sent."""
    queued = data.get("check_ins")
    if not isinstance(queued, list) or not 0 < len(queued) <= SYNC_BATCH:
        return JsonResponse(
            {
                "error": "invalid",
                "message": _("Send between 1 and %(count)d queued check-ins.")
                % {"count": SYNC_BATCH},
            },
            status=400,
        )
    results = []
    for item in queued:
        form = OfflineCheckInForm(item if isinstance(item, dict) else {})
        if not form.is_valid():
            # Never valid however often it is sent: the door drops it and says so.
            results.append({"outcome": "invalid", "message": errors_as_sentence(form)})
            continue
        admission = services.record_offline_check_in(
            form.cleaned_data["performance"],
            nonce=form.cleaned_data["nonce"],
            reservation_id=form.cleaned_data["reservation"],
            admitted_at=form.cleaned_data["admitted_at"],
            door=form.cleaned_data["door"],
            by=request.user,
        )
        results.append(
            {
                "nonce": str(admission.nonce),
                "outcome": admission.outcome,
                "message": admission.get_outcome_display(),
            }
        )
    return JsonResponse({"results": results})


@require_GET
def service_worker(request):
    """The door's service worker, served from the door's own path so that its scope is the
    door (a script under /static/ could only control /static/). It holds no secret: anyone
    may fetch it, and the browser fetches it again on every visit (no-cache)."""
    response = render(
        request,
        "checkin/service_worker.js",
        {
            "cache_name": json.dumps(f"azionelab-door-{offline.version()}"),
            "door_url": json.dumps(reverse("checkin:door")),
            "static_url": json.dumps(settings.STATIC_URL),
            "precache": json.dumps(offline.precache_urls()),
        },
        content_type="text/javascript",
    )
    patch_cache_control(response, no_cache=True)
    return response


@require_GET
def manifest(request):
    """The web app manifest that lets door staff install the door on their phone's home
    screen; it opens the door and nothing else of the admin."""
    door_url = reverse("checkin:door")
    response = JsonResponse(
        {
            "name": _("AzioneLab door"),
            "short_name": _("Door"),
            "description": _("Scan tickets and check parties in, with or without a network."),
            "start_url": door_url,
            "scope": door_url,
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#8c1c13",
            "icons": [
                {
                    "src": static(f"checkin/icons/door-{size}.png"),
                    "sizes": f"{size}x{size}",
                    "type": "image/png",
                    "purpose": "any maskable",
                }
                for size in (192, 512)
            ],
        },
        content_type="application/manifest+json",
    )
    patch_cache_control(response, no_cache=True)
    return response

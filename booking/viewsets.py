"""The box office in the Wagtail admin: venues, performances and reservations.

Listings count seats through PerformanceQuerySet.with_seat_counts(), as every reader does;
every change of a reservation's status goes through booking/services.py.
"""

import django_filters
from django import forms
from django.contrib import messages
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.widgets import Button, ListingButton
from wagtail.log_actions import log
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.snippets.views.snippets import (
    CreateView,
    EditView,
    IndexView,
    SnippetViewSet,
    SnippetViewSetGroup,
)

from booking import services
from booking.forms import PersonNameField
from booking.models import (
    WAITING_LIST_STATUSES,
    GroupRequest,
    Performance,
    Reservation,
    ReservationStatus,
    Venue,
    WaitingListPlace,
    seats_of_reservations,
)
from website.models import ShowPage


def last_email(reservation):
    """What the box office needs to know of the booker's latest email, in a few words."""
    if not reservation.last_email_kind:
        return "—"
    return f"{reservation.last_email_kind_display}: {reservation.last_email_status_display}"


def local_datetime(moment):
    """A moment as the box office's screens show it: in the theatre's time zone, weekday and
    month in the active language, a 24-hour clock; short enough for one line in a listing:
    "Tue 15 Jan 2030, 20:30", "Mar 15 Gen 2030, 20:30"."""
    return date_format(timezone.localtime(moment), "D j M Y, H:i")


def local_start(performance):
    """When a performance starts (local_datetime)."""
    return local_datetime(performance.starts_at)


def place_in_line(place):
    """A waiting place's position in line (needs with_position()); a dash for the others."""
    return "—" if place.position is None else place.position


def waiting_list_state(place):
    """Joining, on the waiting list, or offered seats: until when, or since when not."""
    if place.status != ReservationStatus.OFFERED:
        return place.get_status_display()
    deadline = local_datetime(place.offer_expires_at)
    if place.offer_has_lapsed():
        return _("Offer lapsed at %(deadline)s") % {"deadline": deadline}
    return _("Seats offered until %(deadline)s") % {"deadline": deadline}


class VenueViewSet(SnippetViewSet):
    model = Venue
    icon = "site"
    menu_label = _("Venues")
    list_display = ["name", Column("capacity", label=_("Room capacity"), sort_key="capacity")]
    search_fields = ["name", "address"]
    search_backend_name = None
    copy_view_enabled = False
    panels = [
        FieldPanel("name"),
        FieldPanel("address"),
        FieldPanel("capacity"),
        FieldPanel("access_notes"),
        FieldPanel("wheelchair_spaces"),
    ]


class PerformanceFilterSet(WagtailFilterSet):
    show = django_filters.ModelChoiceFilter(
        label=_("Show"), queryset=ShowPage.objects.order_by("title")
    )
    venue = django_filters.ModelChoiceFilter(label=_("Venue"), queryset=Venue.objects.all())
    when = django_filters.ChoiceFilter(
        label=_("When"),
        choices=[("upcoming", _("Upcoming")), ("past", _("Past"))],
        method="filter_when",
        empty_label=_("Any time"),
    )

    class Meta:
        model = Performance
        fields = ["show", "venue"]

    def filter_when(self, queryset, name, value):
        now = timezone.now()
        if value == "upcoming":
            return queryset.filter(starts_at__gte=now)
        if value == "past":
            return queryset.filter(starts_at__lt=now)
        return queryset


class PerformanceForm(WagtailAdminModelForm):
    """The performance editor: a reason for every capacity change, a check before overbooking."""

    capacity_change_reason = forms.CharField(
        label=_("Why does the capacity change?"),
        required=False,
        max_length=200,
        help_text=_("Kept in the performance's history, e.g. “8 seats for the press”."),
    )
    confirm_overbooking = forms.BooleanField(
        label=_("Yes, set fewer seats than are already confirmed"),
        required=False,
        help_text=_("Nobody loses a booking: the performance shows as sold out."),
    )

    def clean(self):
        cleaned_data = super().clean()
        changed = [field for field in services.CAPACITY_FIELDS if field in self.changed_data]
        if changed and self.instance.pk and not cleaned_data.get("capacity_change_reason"):
            self.add_error(
                "capacity_change_reason",
                _("Say why the capacity changes: the reason is kept in the history."),
            )
        venue = cleaned_data.get("venue")
        if venue is None or not all(f in cleaned_data for f in services.CAPACITY_FIELDS):
            return cleaned_data
        confirmed, over = services.seats_over_capacity(
            self.instance.pk,
            room_capacity=venue.capacity,
            additional_seats=cleaned_data["additional_seats"],
            manually_occupied_seats=cleaned_data["manually_occupied_seats"],
        )
        if over and not cleaned_data.get("confirm_overbooking"):
            self.add_error(
                "confirm_overbooking",
                _(
                    "%(confirmed)d seats are already confirmed, %(over)d more than this capacity "
                    "allows. Tick the box to save anyway."
                )
                % {"confirmed": confirmed, "over": over},
            )
        return cleaned_data


def cancel_performance_button(performance, user, *, priority):
    """The way to the confirmation page of "Cancel performance", for whoever may change the
    performance and while it is not cancelled yet; otherwise None.

    A `Button`, which Wagtail puts in a "more" menu, never a `ListingButton`, which it shows
    on every row: cancelling emails every booker, so it sits with the other destructive
    actions, behind a click.
    """
    if performance.is_cancelled or not ModelPermissionPolicy(
        Performance
    ).user_has_permission_for_instance(user, "change", performance):
        return None
    return Button(
        _("Cancel performance"),
        url=reverse("booking_cancel_performance", args=[performance.pk]),
        icon_name="cross",
        priority=priority,
    )


class PerformanceEditView(EditView):
    @cached_property
    def header_more_buttons(self):
        buttons = super().header_more_buttons
        # After Copy, Delete and Inspect (priorities 10 to 30), as in the listing's row menu.
        if button := cancel_performance_button(self.object, self.request.user, priority=50):
            buttons.append(button)
        return buttons

    def save_instance(self):
        before = {field: self.form.initial[field] for field in services.CAPACITY_FIELDS}
        instance = super().save_instance()
        services.log_capacity_change(
            instance,
            before=before,
            reason=self.form.cleaned_data.get("capacity_change_reason", ""),
            by=self.request.user,
        )
        # Seats the box office adds go to the waiting list first, in its order; so do seats
        # freed by a bigger venue or by booking reopened. Nothing free, nothing offered.
        offered = services.offer_freed_seats(instance.pk)
        if offered:
            messages.info(
                self.request,
                ngettext(
                    "Seats offered to %(count)d place on the waiting list.",
                    "Seats offered to %(count)d places on the waiting list.",
                    len(offered),
                )
                % {"count": len(offered)},
            )
        return instance


def local_naive(moment):
    """A moment as the theatre's clocks show it, for spreadsheets, which know no time zones."""
    return timezone.make_naive(moment).replace(second=0, microsecond=0)


class PerformanceIndexView(IndexView):
    # Exported starts in the theatre's time zone, as the listing shows them, not in UTC.
    custom_field_preprocess = {
        "starts_at": {
            IndexView.FORMAT_CSV: lambda moment: local_naive(moment).isoformat(" ", "minutes"),
            IndexView.FORMAT_XLSX: local_naive,
        }
    }

    @cached_property
    def columns(self):
        columns = super().columns
        # The title column is named after its lookup ("Show title", "Spettacolo titolo" in
        # Italian); the box office reads the show's name.
        next(column for column in columns if isinstance(column, TitleColumn)).label = _("Show")
        return columns

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        # After Edit, Copy and Delete (priorities 10 to 30): the last item of the row's menu.
        if button := cancel_performance_button(instance, self.request.user, priority=50):
            buttons.append(button)
        return buttons


class PerformanceCreateView(CreateView):
    """The new performance form; `?show=<page id>` chooses its show, as the show page
    editor's "Add a performance" link does. Anything else in `show` is ignored."""

    def get_initial(self):
        initial = super().get_initial()
        show_id = self.request.GET.get("show", "")
        # Digits only, and few enough for any integer column: a bad link opens an empty form.
        is_an_id = show_id.isascii() and show_id.isdigit() and len(show_id) <= 9
        if is_an_id and ShowPage.objects.filter(pk=int(show_id)).exists():
            initial["show"] = int(show_id)
        return initial


class PerformanceViewSet(SnippetViewSet):
    model = Performance
    icon = "date"
    menu_label = _("Performances")
    index_view_class = PerformanceIndexView
    add_view_class = PerformanceCreateView
    edit_view_class = PerformanceEditView
    filterset_class = PerformanceFilterSet
    ordering = "starts_at"
    copy_view_enabled = True
    # The show's title leads each row, linked to the performance's editor, and the date follows
    # once, localised: `__str__` would repeat the date in an unlocalised form.
    list_display = [
        "show__title",
        Column(
            "starts_at",
            label=_("Starts"),
            accessor=local_start,
            sort_key="starts_at",
            classname="w-whitespace-nowrap",  # one line: the date is what the eye looks for
        ),
        Column("venue", label=_("Venue"), accessor="venue.name"),
        Column("room_capacity", label=_("Room"), accessor="venue.capacity"),
        Column("additional_seats", label=_("Added"), sort_key="additional_seats"),
        Column("manually_occupied_seats", label=_("Occupied"), sort_key="manually_occupied_seats"),
        Column("confirmed_seats", label=_("Confirmed seats"), sort_key="confirmed_seats"),
        Column("available_seats", label=_("Available"), sort_key="available_seats"),
        Column("waiting_seats", label=_("Waiting"), sort_key="waiting_seats"),
        Column("booking_state", label=_("Status"), accessor="booking_state.label"),
        Column("reminders_sent", label=_("Reminders sent"), sort_key="reminders_sent"),
    ]
    list_export = [
        "show",
        "venue",
        "starts_at",
        "additional_seats",
        "manually_occupied_seats",
        "confirmed_seats",
        "available_seats",
        "waiting_seats",
        "booking_state.label",
        "reminders_sent",
    ]
    export_headings = {
        "confirmed_seats": _("Confirmed seats"),
        "available_seats": _("Available"),
        "waiting_seats": _("Waiting"),
        "booking_state.label": _("Status"),
        "reminders_sent": _("Reminders sent"),
    }
    edit_handler = ObjectList(
        [
            FieldPanel("show"),
            FieldRowPanel([FieldPanel("venue"), FieldPanel("starts_at")]),
            MultiFieldPanel(
                [
                    FieldRowPanel(
                        [FieldPanel("additional_seats"), FieldPanel("manually_occupied_seats")]
                    ),
                    FieldPanel("wheelchair_spaces"),
                    FieldPanel("capacity_change_reason"),
                    FieldPanel("confirm_overbooking"),
                ],
                heading=_("Capacity"),
            ),
            MultiFieldPanel(
                [
                    FieldRowPanel(
                        [FieldPanel("booking_cutoff_minutes"), FieldPanel("max_seats_per_booking")]
                    ),
                    FieldPanel("is_hidden"),
                ],
                heading=_("Booking"),
            ),
        ],
        base_form_class=PerformanceForm,
    )

    def get_queryset(self, request):
        return (
            Performance.objects.with_seat_counts()
            .with_reminders_sent()
            # The seats of the places in line, in the same query.
            .annotate(waiting_seats=seats_of_reservations(status=ReservationStatus.WAITING))
            .select_related("show", "venue")
        )


class ReservationFilterSet(WagtailFilterSet):
    performance = django_filters.ModelChoiceFilter(
        label=_("Performance"),
        queryset=Performance.objects.select_related("show").order_by("-starts_at"),
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=ReservationStatus.choices, empty_label=_("Any status")
    )
    checked_in = django_filters.BooleanFilter(label=_("Checked in"), method="filter_checked_in")

    class Meta:
        model = Reservation
        fields = ["performance", "status"]

    def filter_checked_in(self, queryset, name, value):
        return queryset.filter(~Q(checked_in_at=None) if value else Q(checked_in_at=None))


class ReservationPermissionPolicy(ModelPermissionPolicy):
    """Reservations are made by visitors and never deleted: nobody adds or deletes them here."""

    def user_has_permission(self, user, action):
        if action in ("add", "delete"):
            return False
        return super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)


class ReservationIndexView(IndexView):
    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if not self.permission_policy.user_has_permission(self.request.user, "change"):
            return buttons
        if instance.can_be_cancelled():
            buttons.append(
                ListingButton(
                    _("Cancel booking"),
                    url=reverse("booking_cancel_reservation", args=[instance.pk]),
                    icon_name="cross",
                    priority=50,
                )
            )
        if instance.status == ReservationStatus.CONFIRMED and not instance.is_checked_in:
            buttons.append(
                ListingButton(
                    _("Reissue ticket"),
                    url=reverse("booking_reissue_ticket", args=[instance.pk]),
                    icon_name="mail",
                    priority=60,
                )
            )
        if instance.status in services.EMAIL_FOR_STATUS:
            buttons.append(
                ListingButton(
                    _("Resend email"),
                    url=reverse("booking_resend_email", args=[instance.pk]),
                    icon_name="mail",
                    priority=70,
                )
            )
        return buttons


class ReservationEditView(EditView):
    def save_instance(self):
        """Save only the corrected fields, so a racing cancel or check-in is never undone."""
        instance = self.form.save(commit=False)
        instance.save(update_fields=[field for field in self.form.changed_data] or ["name"])
        self.has_content_changes = self.form.has_changed()
        log(instance=instance, action="wagtail.edit", content_changed=self.has_content_changes)
        return instance


class ReservationForm(WagtailAdminModelForm):
    """The box office's corrections: a name is held to the booking form's rules, so the door
    never shows invisible or reversed characters whoever typed it."""

    name = PersonNameField(
        label=_("name"), max_length=Reservation._meta.get_field("name").max_length
    )


class ReservationViewSet(SnippetViewSet):
    model = Reservation
    icon = "list-ul"
    menu_label = _("Reservations")
    index_view_class = ReservationIndexView
    edit_view_class = ReservationEditView
    filterset_class = ReservationFilterSet
    search_fields = ["reference", "name", "email"]
    search_backend_name = None
    inspect_view_enabled = True
    copy_view_enabled = False
    ordering = "-created_at"
    list_display = [
        "reference",
        Column("performance", label=_("Performance"), accessor="performance"),
        Column("name", label=_("Name"), sort_key="name"),
        Column("email", label=_("Email")),
        Column("seats", label=_("Seats"), sort_key="seats"),
        Column("wheelchair_spaces", label=_("Wheelchair spaces"), sort_key="wheelchair_spaces"),
        Column("status", label=_("Status"), accessor="get_status_display", sort_key="status"),
        Column("last_email", label=_("Last email"), accessor=last_email),
        DateColumn("confirmed_at", label=_("Confirmed at"), sort_key="confirmed_at"),
        DateColumn("checked_in_at", label=_("Checked in at"), sort_key="checked_in_at"),
    ]
    # The guest list, the door's paper backup: filter by performance, then export.
    list_export = [
        "reference",
        "name",
        "email",
        "seats",
        "get_status_display",
        "performance",
        "confirmed_at",
        "checked_in_at",
        "checked_in_door",
        "last_email_status_display",
        "wheelchair_spaces",
    ]
    export_headings = {
        "reference": _("Reference"),
        "name": _("Name"),
        "email": _("Email"),
        "seats": _("Seats"),
        "wheelchair_spaces": _("Wheelchair spaces"),
        "get_status_display": _("Status"),
        "performance": _("Performance"),
        "confirmed_at": _("Confirmed at"),
        "checked_in_at": _("Checked in at"),
        "checked_in_door": _("Door"),
        "last_email_status_display": _("Last email"),
    }
    export_filename = "guest-list"
    # Corrections only: status changes go through the actions, never through this form.
    edit_handler = ObjectList(
        [FieldPanel("name"), FieldPanel("email")], base_form_class=ReservationForm
    )
    inspect_view_fields = [
        "reference",
        "performance",
        "name",
        "email",
        "seats",
        "wheelchair_spaces",
        "status",
        "expiry_reason",
        "created_at",
        "confirmed_at",
        "reminder_queued_at",
        "cancelled_at",
        "checked_in_at",
        "checked_in_by",
        "checked_in_door",
    ]

    @property
    def permission_policy(self):
        return ReservationPermissionPolicy(self.model)

    def get_queryset(self, request):
        return Reservation.objects.select_related(
            "performance__show", "performance__venue"
        ).with_last_email()


class WaitingListFilterSet(WagtailFilterSet):
    performance = django_filters.ModelChoiceFilter(
        label=_("Performance"),
        # The performances with a waiting list only.
        queryset=Performance.objects.filter(reservations__status__in=WAITING_LIST_STATUSES)
        .distinct()
        .select_related("show")
        .order_by("-starts_at"),
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[(status.value, status.label) for status in WAITING_LIST_STATUSES],
        empty_label=_("Any status"),
    )

    class Meta:
        model = WaitingListPlace
        fields = ["performance", "status"]


class WaitingListPermissionPolicy(ReservationPermissionPolicy):
    """The waiting list is read here: its places are reservations, corrected in the
    reservations' listing and moved on by the actions (booking/admin_views.py).

    Checked against Reservation's permissions (the viewset builds it on Reservation), so
    whoever may view reservations sees the waiting list, the "Box office" group among them;
    nothing is added, edited or deleted.
    """

    def user_has_permission(self, user, action):
        if action == "change":
            return False
        return super().user_has_permission(user, action)


class WaitingListIndexView(IndexView):
    @cached_property
    def can_offer_seats(self):
        """Offering seats changes a reservation: the right to change reservations."""
        return ReservationPermissionPolicy(Reservation).user_has_permission(
            self.request.user, "change"
        )

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if (
            self.can_offer_seats
            and instance.status == ReservationStatus.WAITING
            and instance.performance.is_open_for_booking()
        ):
            buttons.append(
                ListingButton(
                    _("Offer seats"),
                    url=reverse("booking_offer_seats", args=[instance.pk]),
                    icon_name="tick",
                    priority=50,
                )
            )
        return buttons


class WaitingListViewSet(SnippetViewSet):
    """The waiting lists of sold-out performances: who is in line, in which order, and who has
    been offered seats until when. Filter by performance to see one line, then export it.

    Read only, over the WaitingListPlace proxy: a place is corrected in the reservations'
    listing, and offered seats by hand with "Offer seats" (booking/admin_views.py).
    """

    model = WaitingListPlace
    icon = "time"
    menu_label = _("Waiting list")
    index_view_class = WaitingListIndexView
    filterset_class = WaitingListFilterSet
    search_fields = ["reference", "name", "email"]
    search_backend_name = None
    inspect_view_enabled = True
    copy_view_enabled = False
    # Performance by performance, each line in its order (as `position` counts it): places
    # offered seats where they stood, places still joining last.
    ordering = [
        "performance__starts_at",
        "performance_id",
        F("waiting_since").asc(nulls_last=True),
        "created_at",
        "pk",
    ]
    list_display = [
        "reference",
        Column("position", label=_("Position"), accessor=place_in_line, sort_key="position"),
        Column("performance", label=_("Performance"), accessor="performance"),
        Column("seats", label=_("Seats"), sort_key="seats"),
        Column("wheelchair_spaces", label=_("Wheelchair spaces"), sort_key="wheelchair_spaces"),
        Column("status", label=_("Status"), accessor=waiting_list_state),
        Column("name", label=_("Name"), sort_key="name"),
        Column("email", label=_("Email")),
        DateColumn(
            "waiting_since",
            label=capfirst(Reservation._meta.get_field("waiting_since").verbose_name),
            sort_key="waiting_since",
        ),
    ]
    list_export = [
        "reference",
        "position",
        "name",
        "email",
        "seats",
        "get_status_display",
        "offer_expires_at",
        "waiting_since",
        "created_at",
        "performance",
        "wheelchair_spaces",
    ]
    export_headings = {
        "reference": _("Reference"),
        "position": _("Position"),
        "name": _("Name"),
        "email": _("Email"),
        "seats": _("Seats"),
        "wheelchair_spaces": _("Wheelchair spaces"),
        "get_status_display": _("Status"),
        "performance": _("Performance"),
    }
    export_filename = "waiting-list"
    inspect_view_fields = [
        "reference",
        "performance",
        "name",
        "email",
        "seats",
        "wheelchair_spaces",
        "status",
        "created_at",
        "link_expires_at",
        "waiting_since",
        "offered_at",
        "offer_expires_at",
    ]

    @property
    def permission_policy(self):
        return WaitingListPermissionPolicy(Reservation)

    def get_queryset(self, request):
        return WaitingListPlace.objects.with_position().select_related("performance__show")


class GroupRequestFilterSet(WagtailFilterSet):
    performance = django_filters.ModelChoiceFilter(
        label=_("Performance"),
        # The performances with a group request only.
        queryset=Performance.objects.filter(group_requests__isnull=False)
        .distinct()
        .select_related("show")
        .order_by("-starts_at"),
    )
    handled = django_filters.BooleanFilter(label=_("Handled"), method="filter_handled")

    class Meta:
        model = GroupRequest
        fields = ["performance"]

    def filter_handled(self, queryset, name, value):
        return queryset.filter(handled_at__isnull=not value)


class GroupRequestPermissionPolicy(ReservationPermissionPolicy):
    """Group requests are made by visitors and kept until their personal data is erased:
    nobody adds or deletes them here. The "Box office" group may view them and change them,
    which only marks them handled (migration 0008_group_requests)."""


class GroupRequestAdminForm(WagtailAdminModelForm):
    """The box office marks a request handled; the request itself is shown, not edited."""

    handled = forms.BooleanField(
        label=_("Handled"),
        required=False,
        help_text=_("Tick once the box office has answered the request."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["handled"] = self.instance.is_handled


class GroupRequestEditView(EditView):
    def save_instance(self):
        """Save only when it was handled, so that an erasure meanwhile is never undone."""
        instance = self.form.instance
        if not self.form.cleaned_data["handled"]:
            instance.handled_at = None
        elif instance.handled_at is None:
            instance.handled_at = timezone.now()
        instance.save(update_fields=["handled_at"])
        self.has_content_changes = self.form.has_changed()
        log(instance=instance, action="wagtail.edit", content_changed=self.has_content_changes)
        return instance


def handled(group_request):
    if group_request.handled_at is None:
        return "—"
    return local_datetime(group_request.handled_at)


class GroupRequestViewSet(SnippetViewSet):
    """Requests for more seats than one booking may hold, as the box office gets them by email:
    who, how many, for which performance, and whether someone has answered. Nothing is
    reserved by a request; the box office marks it handled on its edit page."""

    model = GroupRequest
    icon = "group"
    menu_label = _("Group requests")
    edit_view_class = GroupRequestEditView
    filterset_class = GroupRequestFilterSet
    search_fields = ["name", "email", "phone", "message"]
    search_backend_name = None
    inspect_view_enabled = True
    copy_view_enabled = False
    ordering = ["-created_at", "-pk"]
    list_display = [
        "performance",
        Column("name", label=_("Name"), sort_key="name"),
        Column("email", label=_("Email")),
        Column("phone", label=_("Phone")),
        Column("seats", label=_("Seats"), sort_key="seats"),
        DateColumn("created_at", label=_("Requested at"), sort_key="created_at"),
        Column("handled_at", label=_("Handled"), accessor=handled, sort_key="handled_at"),
    ]
    list_export = [
        "performance",
        "name",
        "email",
        "phone",
        "seats",
        "message",
        "created_at",
        "handled_at",
    ]
    export_headings = {
        "performance": _("Performance"),
        "name": _("Name"),
        "email": _("Email"),
        "phone": _("Phone"),
        "seats": _("Seats"),
        "message": _("Message"),
        "created_at": _("Requested at"),
        "handled_at": _("Handled at"),
    }
    export_filename = "group-requests"
    edit_handler = ObjectList(
        [
            FieldPanel("performance", read_only=True),
            FieldRowPanel(
                [FieldPanel("name", read_only=True), FieldPanel("seats", read_only=True)]
            ),
            FieldRowPanel(
                [FieldPanel("email", read_only=True), FieldPanel("phone", read_only=True)]
            ),
            FieldPanel("message", read_only=True),
            FieldPanel("created_at", read_only=True),
            FieldPanel("handled"),
        ],
        base_form_class=GroupRequestAdminForm,
    )
    inspect_view_fields = [
        "performance",
        "name",
        "email",
        "phone",
        "seats",
        "message",
        "created_at",
        "handled_at",
        "personal_data_erased_at",
    ]

    @property
    def permission_policy(self):
        return GroupRequestPermissionPolicy(self.model)

    def get_queryset(self, request):
        return GroupRequest.objects.select_related("performance__show")


class BoxOfficeGroup(SnippetViewSetGroup):
    menu_label = _("Box office")
    menu_icon = "calendar"
    menu_order = 150
    items = (
        PerformanceViewSet,
        ReservationViewSet,
        WaitingListViewSet,
        GroupRequestViewSet,
        VenueViewSet,
    )

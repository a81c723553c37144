"""What the door's endpoints accept: a performance with a scanned code, a reservation or a
search, an undo with its reason, and the check-ins an offline door queued.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from booking.models import Performance
from checkin.services import door_performances


def refuse_lone_surrogates(value):
    """Refuse half of a UTF-16 surrogate pair, which JSON's escapes can carry ("\\ud800").

    It is no character: UTF-8 cannot encode it, so neither a text nor a jsonb column takes it.
    """
    if not isinstance(value, str):  # a UUIDField is a CharField whose value is a UUID
        return
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(
            _("This text holds a character that cannot be stored. Type it again."),
            code="lone_surrogate",
        ) from None


class DoorRequestForm(forms.Form):
    """The base of every door form: text fields refuse what JSON carries and no column stores."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.CharField):
                field.validators.append(refuse_lone_surrogates)


class PerformanceRequestForm(DoorRequestForm):
    """A request about one of the performances the door can pick."""

    # The choices are today's, so they are set per request (below), never at import.
    performance = forms.ModelChoiceField(queryset=Performance.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # "Today" as of this request; the id is all an answer needs.
        self.fields["performance"].queryset = door_performances().select_related(None).only("pk")


class TicketRequestForm(PerformanceRequestForm):
    code = forms.CharField(required=False, max_length=500, strip=True)
    reservation = forms.IntegerField(required=False, min_value=1)
    # The name its staff gave this door on the device; blank when they gave none.
    door = forms.CharField(required=False, max_length=60, strip=True)
    # The door's id of a check-in (services.check_in); a preview's is ignored.
    nonce = forms.UUIDField(required=False)

    def clean(self):
        cleaned_data = super().clean()
        if not cleaned_data.get("code") and not cleaned_data.get("reservation"):
            raise forms.ValidationError(_("Send a scanned code or a reservation."))
        return cleaned_data


class UndoForm(DoorRequestForm):
    reservation = forms.IntegerField(min_value=1)
    reason = forms.CharField(max_length=200, strip=True)


class SearchForm(PerformanceRequestForm):
    # CharField refuses NUL characters, which PostgreSQL's text columns cannot compare with.
    q = forms.CharField(required=False, max_length=200)


class DeviceTimeField(forms.DateTimeField):
    """A time as door_offline.js sends it: an ISO 8601 string. JSON may carry a number or a
    list instead, which Django's field would choke on."""

    def to_python(self, value):
        if value not in self.empty_values and not isinstance(value, str):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class OfflineCheckInForm(DoorRequestForm):
    """One check-in a door made offline, as its queue sends it."""

    nonce = forms.UUIDField()
    # Any performance: a door may come back online after its performance has ended.
    # Its start: how early a door's clock is believed (services.plausible_time).
    performance = forms.ModelChoiceField(queryset=Performance.objects.only("pk", "starts_at"))
    reservation = forms.IntegerField(min_value=1)
    admitted_at = DeviceTimeField()
    door = forms.CharField(required=False, max_length=60, strip=True)

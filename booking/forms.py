"""The booking form: the contract for what a visitor may submit."""

import re
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext_lazy as _

from booking.models import (
    MAX_SEATS_PER_BOOKING,
    MAX_SEATS_PER_GROUP_REQUEST,
    BookingState,
    GroupRequest,
    Performance,
    Reservation,
)


def person_name(text):
    """A name as the door should read it: composed (NFC), its spaces collapsed, and without
    invisible format or control characters (zero-width joiners, bidi overrides).
    """
    # Stripped before composing: a zero-width character between a letter and its accent
    # would keep the two apart.
    visible = "".join(
        char for char in text if char.isspace() or unicodedata.category(char) not in ("Cc", "Cf")
    )
    return " ".join(unicodedata.normalize("NFC", visible).split())


def has_a_letter(name):
    if not any(unicodedata.category(char).startswith("L") for char in name):
        raise ValidationError(_("A name needs at least one letter."), code="no_letter")


class PersonNameField(forms.CharField):
    """A person's name, normalised by person_name() before its length and letters are checked."""

    default_validators = [has_a_letter]

    def to_python(self, value):
        value = super().to_python(value)
        # NUL is refused, as in every text input, not quietly stripped as a control character.
        ProhibitNullCharactersValidator()(value)
        return person_name(value)


class AcknowledgementCheckbox(forms.CheckboxInput):
    """Ticked only by "on", what browsers submit for a checkbox without a value attribute.

    CheckboxInput counts any string but "false" as ticked: "0", "off" or "no" would do.
    """

    def value_from_datadict(self, data, files, name):
        return data.get(name) == "on"


def performance_field():
    """The show page's choice of performance, among those a form is given (its queryset)."""
    return forms.ModelChoiceField(
        queryset=Performance.objects.none(),
        widget=forms.RadioSelect,
        label=_("Performance"),
        error_messages={
            "required": _("Choose a performance."),
            "invalid_choice": _("This performance cannot be booked. Choose another one."),
        },
    )


class BookingForm(forms.Form):
    performance = performance_field()
    name = PersonNameField(
        label=_("Your name"),
        max_length=Reservation._meta.get_field("name").max_length,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": _("Tell us the name to put on the booking.")},
    )
    email = forms.EmailField(
        label=_("Your email"),
        # The column's limit, not the 320 characters forms.EmailField accepts: no longer
        # address can be stored.
        max_length=Reservation._meta.get_field("email").max_length,
        help_text=_("We send the link to confirm the booking here."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": _("We need your email to send you the confirmation link."),
            "invalid": _("Enter a complete email address, like name@example.org."),
        },
    )
    seats = forms.IntegerField(
        label=_("Seats"),
        min_value=1,
        # The performance's own, lower limit is the service's to check: the form does not
        # know which performance is chosen until it is cleaned.
        max_value=MAX_SEATS_PER_BOOKING,
        initial=1,
        error_messages={
            "required": _("How many seats?"),
            "min_value": _("Book at least one seat."),
            "max_value": _("That is more seats than one booking can hold."),
            "invalid": _("Enter a number of seats."),
        },
    )
    wheelchair_space = forms.BooleanField(
        label=_("I need a wheelchair space"),
        required=False,
        widget=AcknowledgementCheckbox,
        help_text=_(
            "One wheelchair space, besides the seats above: count your companions in the seats."
        ),
    )
    privacy_acknowledged = forms.BooleanField(
        label=_("I have read the privacy notice."),
        widget=AcknowledgementCheckbox,
        error_messages={"required": _("Please confirm that you have read the privacy notice.")},
    )
    # Hidden from people by the stylesheet; robots that fill every field reveal themselves.
    website = forms.CharField(
        required=False,
        label=_("Leave this field empty"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, performances, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["performance"].queryset = performances

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get("website"):
            raise forms.ValidationError(_("Your booking could not be processed."))
        return cleaned_data


class WaitingListForm(BookingForm):
    """A place on the waiting list of a sold-out performance: the booking form's fields, under
    the prefix "waitlist" so both forms can share the show page."""

    prefix = "waitlist"

    def __init__(self, performances, *args, **kwargs):
        super().__init__(performances, *args, **kwargs)
        self.fields["performance"].error_messages.update(
            required=_("Choose the performance you are waiting for."),
            invalid_choice=_("This performance has no waiting list. Choose another one."),
        )


PHONE_CHARACTERS = re.compile(r"\+?[0-9 ()./-]+")


def phone_number(value):
    """A phone number as people write one: digits (6 to 20), spaces, brackets, dots, slashes and
    dashes, and a leading + for the country code."""
    digits = sum(char in "0123456789" for char in value)
    if not PHONE_CHARACTERS.fullmatch(value) or not 6 <= digits <= 20:
        raise ValidationError(
            _("Enter a phone number, like +39 06 1234 5678, or leave it empty."),
            code="invalid_phone",
        )


class GroupRequestForm(forms.Form):
    """A request to the box office for more seats than one booking may hold: nothing is
    reserved. Under the prefix "group", beside the booking form on the show page. Whether the
    seats are above the performance's limit is the service's to check (request_group)."""

    prefix = "group"

    performance = performance_field()
    name = PersonNameField(
        label=_("Your name"),
        max_length=GroupRequest._meta.get_field("name").max_length,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": _("Tell us your name.")},
    )
    email = forms.EmailField(
        label=_("Your email"),
        max_length=GroupRequest._meta.get_field("email").max_length,
        help_text=_("The box office answers your request here."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": _("We need your email to answer your request."),
            "invalid": _("Enter a complete email address, like name@example.org."),
        },
    )
    phone = forms.CharField(
        label=_("Your phone (optional)"),
        required=False,
        max_length=GroupRequest._meta.get_field("phone").max_length,
        validators=[phone_number],
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    seats = forms.IntegerField(
        label=_("Seats"),
        min_value=1,
        max_value=MAX_SEATS_PER_GROUP_REQUEST,
        error_messages={
            "required": _("How many seats?"),
            "min_value": _("Book at least one seat."),
            "max_value": _(
                "For more than %(limit_value)s seats, please call or write to the box office."
            ),
            "invalid": _("Enter a number of seats."),
        },
    )
    message = forms.CharField(
        label=_("Message (optional)"),
        required=False,
        max_length=GroupRequest._meta.get_field("message").max_length,
        help_text=_("For example: a school class, wheelchair users in the group, when to call."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    privacy_acknowledged = forms.BooleanField(
        label=_("I have read the privacy notice."),
        widget=AcknowledgementCheckbox,
        error_messages={"required": _("Please confirm that you have read the privacy notice.")},
    )
    # The honeypot, as in the booking form.
    website = forms.CharField(
        required=False,
        label=_("Leave this field empty"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, performances, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["performance"].queryset = performances

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get("website"):
            raise forms.ValidationError(_("Your request could not be processed."))
        return cleaned_data


def initial_performance(performances, query):
    """The performance a show page's form starts with: the only one on sale, if just one is,
    else the one its link names (the `performance` query parameter)."""
    on_sale = [p for p in performances if p.booking_state == BookingState.OPEN]
    if len(on_sale) == 1:
        return on_sale[0].pk
    return query.get("performance")

"""What the API says of a show and of a performance: the show page's public facts, nothing
more. Availability comes from the one seat model (PerformanceQuerySet.with_seat_counts())."""

from django.conf import settings
from django.urls import reverse
from rest_framework import serializers

from booking import feeds
from booking.models import Performance
from booking.tickets import absolute_url
from website.models import ShowPage

# The renditions of a show's image, by name: the show cards' own two sizes, which the show
# index has usually made already.
IMAGE_RENDITIONS = {"small": "fill-480x320-c100", "large": "fill-960x640-c100"}


class ShowImageSerializer(serializers.Serializer):
    alt = serializers.CharField(source="default_alt_text")
    renditions = serializers.SerializerMethodField()

    def get_renditions(self, image):
        renditions = image.get_renditions(*IMAGE_RENDITIONS.values())
        return {
            name: {
                "url": renditions[spec].full_url,
                "width": renditions[spec].width,
                "height": renditions[spec].height,
            }
            for name, spec in IMAGE_RENDITIONS.items()
        }


class ShowSerializer(serializers.ModelSerializer):
    url = serializers.CharField(source="full_url")
    image = ShowImageSerializer(source="hero_image", allow_null=True)
    performances_url = serializers.SerializerMethodField()
    calendar_url = serializers.SerializerMethodField()

    class Meta:
        model = ShowPage
        fields = [
            "id",
            "title",
            "subtitle",
            "summary",
            "url",
            "opening_date",
            "closing_date",
            "duration_minutes",
            "has_interval",
            "age_guidance",
            "language",
            "price_note",
            "image",
            "performances_url",
            "calendar_url",
        ]

    def get_performances_url(self, show):
        return absolute_url(f"{reverse('api:performances')}?show={show.pk}")

    def get_calendar_url(self, show):
        return absolute_url(reverse("booking:show_calendar", args=[show.pk]))


class ShowSummarySerializer(serializers.ModelSerializer):
    url = serializers.CharField(source="full_url")

    class Meta:
        model = ShowPage
        fields = ["id", "title", "url"]


class VenueSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    address = serializers.CharField()
    access_notes = serializers.CharField()


class PerformanceSerializer(serializers.ModelSerializer):
    """Needs with_seat_counts() and the show and venue selected (feeds.feed_performances)."""

    show = ShowSummarySerializer()
    venue = VenueSerializer()
    state = serializers.CharField(source="booking_state.value")
    state_label = serializers.CharField(source="booking_state.label")
    seats_left = serializers.IntegerField(source="public_seats_left")
    wheelchair_spaces_left = serializers.IntegerField(source="public_wheelchair_spaces_left")
    waiting_list = serializers.BooleanField(source="takes_waiting_list")
    booking_closes_at = serializers.DateTimeField()
    # The venue's clock: where the times above are to be read, whatever the caller's.
    time_zone = serializers.SerializerMethodField()
    booking_url = serializers.SerializerMethodField()

    class Meta:
        model = Performance
        fields = [
            "id",
            "show",
            "starts_at",
            "time_zone",
            "venue",
            "state",
            "state_label",
            "seats_left",
            "wheelchair_spaces_left",
            "waiting_list",
            "booking_closes_at",
            "booking_url",
        ]

    def get_time_zone(self, performance):
        return settings.TIME_ZONE

    def get_booking_url(self, performance):
        return feeds.performance_url(performance)

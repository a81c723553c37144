from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingConfig(AppConfig):
    name = "booking"
    verbose_name = _("Booking")

    def ready(self):
        # Imported here: booking.demo imports the models, which are not ready at import time.
        from booking.demo import add_demo_performances
        from website.signals import demo_content_loaded

        demo_content_loaded.connect(add_demo_performances, dispatch_uid="booking.demo")

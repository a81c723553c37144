"""Compile the translation catalogues (.po) to .mo files without GNU gettext.

Django's own `compilemessages` needs msgfmt, which a fresh machine or a slim Docker image
lacks; polib does the same job in pure Python
(see docs/adr/0004-translations-compiled-with-polib.md).
"""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile every .po catalogue under LOCALE_PATHS to its .mo file."

    def handle(self, *args, **options):
        catalogues = sorted(
            po_path
            for locale_path in settings.LOCALE_PATHS
            for po_path in Path(locale_path).glob("*/LC_MESSAGES/*.po")
        )
        for po_path in catalogues:
            polib.pofile(str(po_path)).save_as_mofile(str(po_path.with_suffix(".mo")))
            if options["verbosity"] > 1:
                self.stdout.write(f"Compiled {po_path}")
        self.stdout.write(f"Compiled {len(catalogues)} translation catalogue(s).")

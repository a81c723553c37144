"""Django's makemessages, with the project's folders that hold no source left out."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    ignore_by_default = ["var/*", "tests/*", "infra/*", "docs/*", "node_modules/*"]

    def handle(self, *args, **options):
        options["ignore_patterns"] = [*options.get("ignore_patterns", []), *self.ignore_by_default]
        # File names without line numbers: the catalogue changes only when strings do.
        options["add_location"] = options.get("add_location") or "file"
        options["no_obsolete"] = True
        return super().handle(*args, **options)

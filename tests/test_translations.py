"""The Italian catalogue is complete, consistent and in step with the source strings."""

import re
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "it" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")


def entries(catalogue):
    return [entry for entry in catalogue if not entry.obsolete]


def test_every_string_is_translated_and_none_is_fuzzy():
    catalogue = polib.pofile(str(CATALOGUE))
    untranslated = [entry.msgid for entry in entries(catalogue) if not entry.translated()]
    assert untranslated == []


def test_translations_keep_the_placeholders_of_their_source():
    def placeholders(text):
        return set(PLACEHOLDER.findall(text))

    for entry in entries(polib.pofile(str(CATALOGUE))):
        if entry.msgid_plural:
            # A singular may leave out the count ("one seat"), never use an unknown name.
            allowed = placeholders(entry.msgid) | placeholders(entry.msgid_plural)
            for text in entry.msgstr_plural.values():
                assert placeholders(text) <= allowed, entry.msgid
            assert placeholders(entry.msgstr_plural[1]) == placeholders(entry.msgid_plural)
        else:
            assert placeholders(entry.msgstr) == placeholders(entry.msgid), entry.msgid


def test_compiled_catalogue_is_loaded():
    with translation.override("it"):
        assert translation.gettext("Skip to content") == "Vai al contenuto"
        assert translation.ngettext("%(minutes)s minute", "%(minutes)s minutes", 2) == (
            "%(minutes)s minuti"
        )


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext (CI installs it)")
def test_catalogue_has_every_string_of_the_source_and_no_stale_one(tmp_path, monkeypatch):
    # Extract into a scratch tree that links to the sources, so the real catalogue is untouched:
    # makemessages writes to the `locale` folder that sits above the files it reads.
    base_dir = Path(settings.BASE_DIR)
    for source in base_dir.iterdir():
        if source.name != "locale" and not source.name.startswith("."):
            (tmp_path / source.name).symlink_to(source)
    shutil.copytree(base_dir / "locale", tmp_path / "locale")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(settings, "LOCALE_PATHS", [tmp_path / "locale"])
    call_command("makemessages", locale=["it"], symlinks=True, verbosity=0)

    def keys(path):
        return {(entry.msgctxt, entry.msgid) for entry in entries(polib.pofile(str(path)))}

    extracted = keys(tmp_path / "locale" / "it" / "LC_MESSAGES" / "django.po")
    committed = keys(CATALOGUE)
    assert extracted - committed == set(), "run `make messages` and translate the new strings"
    assert committed - extracted == set(), "run `make messages` to drop strings no longer used"

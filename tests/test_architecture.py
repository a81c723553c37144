"""The apps depend one way: website ← booking ← checkin (docs/architecture.md).

`booking` builds on the website's pages and `checkin` on booking, so no module of `website`
imports `booking` or `checkin`, and no module of `booking` imports `checkin`. Migrations
aside: they record the models as they were.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MUST_NOT_IMPORT = {"website": {"booking", "checkin"}, "booking": {"checkin"}}


def imported_apps(path):
    """The top-level packages a module imports, wherever in the module it does."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module.split(".")[0]


def modules_of(app):
    return [path for path in (ROOT / app).rglob("*.py") if "migrations" not in path.parts]


@pytest.mark.parametrize("app", sorted(MUST_NOT_IMPORT))
def test_imports_between_apps_point_one_way(app):
    wrong = {
        f"{path.relative_to(ROOT)} imports {imported}"
        for path in modules_of(app)
        for imported in imported_apps(path)
        if imported in MUST_NOT_IMPORT[app]
    }
    assert not wrong, sorted(wrong)


def test_the_scan_sees_an_import_inside_a_function(tmp_path):
    module = tmp_path / "module.py"
    module.write_text("def f():\n    from booking.models import Performance\n")
    assert list(imported_apps(module)) == ["booking"]

"""The Compose interpolation the schema test relies on (tests/deploy/compose_interpolation.py)
follows the specification's rules."""

import pytest

from tests.deploy.compose_interpolation import (
    InterpolationError,
    interpolate,
    interpolate_tree,
    parse_env_file,
)

VARIABLES = {"SET": "value", "EMPTY": ""}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("$SET and ${SET}", "value and value"),
        ("${SET:-d} ${EMPTY:-d} ${UNSET:-d}", "value d d"),
        ("${SET-d} ${EMPTY-d} ${UNSET-d}", "value  d"),
        ("${SET:+r} ${EMPTY:+r} ${UNSET:+r}", "r  "),
        ("${SET+r} ${EMPTY+r} ${UNSET+r}", "r r "),
        ("${EMPTY?e}", ""),
        ("${SET:?e}", "value"),
        ("${UNSET:-${SET}-x}", "value-x"),
        ("${UNSET:-a:b}", "a:b"),
        ("$$SET $${SET%% *} a$$", "$SET ${SET%% *} a$"),
        ("$SET.x $SET-x", "value.x value-x"),
    ],
)
def test_substitutes_as_compose_does(template, expected):
    assert interpolate(template, VARIABLES) == expected


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("${UNSET:?set UNSET in .env}", "UNSET is missing a value: set UNSET in .env"),
        ("${EMPTY:?empty}", "EMPTY is missing a value: empty"),
        ("${UNSET?unset}", "UNSET is missing a value: unset"),
        ("cost: 5$", "invalid interpolation format"),
        ("${SET%% *}", "invalid interpolation format"),
        ("${}", "invalid interpolation format"),
        ("${SET", "unterminated"),
    ],
)
def test_refuses_what_compose_refuses(template, message):
    with pytest.raises(InterpolationError, match=message):
        interpolate(template, VARIABLES)


def test_names_used_unset_without_a_default_are_reported():
    missing = set()
    assert interpolate("$UNSET ${OTHER} ${DEFAULTED:-x} $SET", VARIABLES, missing) == "  x value"
    assert missing == {"UNSET", "OTHER"}


def test_only_values_are_interpolated_in_a_document():
    document = {"${SET}": ["$SET", 8080, {"key": "${UNSET:-d}"}], "n": None, "b": True}
    assert interpolate_tree(document, VARIABLES) == {
        "${SET}": ["value", 8080, {"key": "d"}],
        "n": None,
        "b": True,
    }


def test_reads_an_env_file():
    text = (
        "# a comment\n"
        "\n"
        "PLAIN=a b c\n"
        "export EXPORTED=yes\n"
        "COMMENTED=value # a comment\n"
        "HASH=a#b\n"
        "SINGLE='${PLAIN} # kept'\n"
        'DOUBLE="${PLAIN}\\tx"\n'
        "USES=${EXPORTED}-1\n"
        "EMPTY=\n"
    )
    assert parse_env_file(text) == {
        "PLAIN": "a b c",
        "EXPORTED": "yes",
        "COMMENTED": "value",
        "HASH": "a#b",
        "SINGLE": "${PLAIN} # kept",
        "DOUBLE": "a b c\tx",
        "USES": "yes-1",
        "EMPTY": "",
    }
    with pytest.raises(InterpolationError, match="line 1"):
        parse_env_file("not a variable\n")

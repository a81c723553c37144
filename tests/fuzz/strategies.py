"""Hostile inputs: any text, numbers in any spelling, JSON of any shape, bodies in any encoding."""

import json
from dataclasses import dataclass

from hypothesis import strategies as st

from tests.fuzz.harness import as_wire_bytes, as_wsgi, query_string

# Every code point, lone surrogates included (Hypothesis leaves them out unless told).
any_character = st.characters(codec=None, exclude_categories=())

# Characters that have broken web applications before: NUL and other controls, zero-width and
# bidi controls, non-characters, lone surrogates, the last code point, and the separators of
# the formats a request is made of.
NASTY_CHARACTERS = (
    "\x00\x01\x08\x0b\x1b\x7f\x85\xa0\xad\u200b\u200c\u200d\u2028\u2029\u202e\u2066\u3164"
    "\ufeff\ufffd\ufffe\uffff\ud800\udbff\udc00\udfff\U0010ffff"
    "&=;%+:,\"'\\<>/?#[]{} \t\r\n"
)
nasty_character = st.sampled_from(NASTY_CHARACTERS)

NASTY_STRINGS = [
    "",
    " ",
    "\x00",
    "\u200b\u200c\u200d",
    "\u202egnp.exe",
    "%00",
    "%",
    "%zz",
    "%ff%fe",
    "../../../../etc/passwd",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "null",
    "None",
    "undefined",
    "true",
    "[]",
    "{}",
    "NaN",
    "Infinity",
    "\ufeffAda",
    "\uff21\uff44\uff41",  # "Ada" in fullwidth letters
    "ﬀ",  # a ligature NFKC turns into two letters
]

# Numbers as a field receives them: huge, negative, fractional, in other scripts' digits.
number_text = st.one_of(
    st.integers().map(str),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.floats().map(repr),
    st.sampled_from(
        [
            "0",
            "-0",
            "+1",
            " 1 ",
            "1_000",
            "1e3",
            "0x10",
            "1.0",
            "1,5",
            "٣",  # Arabic-Indic three: int() reads it
            "²",  # a superscript two: str.isdigit() says yes, int() says no
            "①",
            "\U0001d7d9",  # a mathematical double-struck one
            "32767",
            "32768",
            "65536",
            "2147483648",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775809",
            "9" * 40,
        ]
    ),
)


def long_strings(alphabet, min_size=200, max_size=100_000):
    """Long strings cheaply: one drawn piece repeated, not 100,000 drawn characters."""
    return st.builds(
        lambda piece, times: (piece * times)[:max_size],
        st.text(alphabet, min_size=1, max_size=4),
        st.integers(min_size, max_size),
    )


any_text = st.one_of(
    st.text(any_character, max_size=30),
    st.text(st.one_of(nasty_character, any_character), max_size=30),
    st.lists(st.one_of(st.sampled_from(NASTY_STRINGS), st.text(max_size=8)), max_size=4).map(
        "".join
    ),
    long_strings(st.one_of(nasty_character, any_character)),
)

field_value = st.one_of(any_text, number_text)

stray_fields = st.lists(st.tuples(any_text, field_value), max_size=2)

# JSON of any shape: the door's endpoints expect an object of a few fields.
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), any_text, number_text)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_text, inner, max_size=3),
    max_leaves=8,
)


def nest(depth, brackets):
    opening, closing = brackets
    return opening * depth + ("1" if opening.endswith(":") else "") + closing * depth


# JSON nested 1,000 to 100,000 levels deep, in arrays or in objects.
deeply_nested_json = st.builds(
    nest, st.integers(1_000, 100_000), st.sampled_from([("[", "]"), ('{"a":', "}")])
)


FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class FormEncoding:
    """How a client puts form fields in a body; `parameter` is a charset, boundary or type."""

    kind: str
    parameter: str = ""

    def encode(self, pairs):
        """(body, content type) for the (name, value) pairs."""
        if self.kind == "form":
            return query_string(pairs).encode(), FORM_CONTENT_TYPE + self.parameter
        if self.kind == "unescaped form":
            body = b"&".join(as_wire_bytes(k) + b"=" + as_wire_bytes(v) for k, v in pairs)
            return body, FORM_CONTENT_TYPE + self.parameter
        if self.kind in ("multipart", "files"):
            return multipart(pairs, as_files=self.kind == "files"), self.parameter
        if self.kind == "json":
            return json.dumps(dict(pairs)).encode(), "application/json"
        return query_string(pairs).encode(), as_wsgi(self.parameter)


def multipart(pairs, as_files=False):
    lines = []
    for name, value in pairs:
        disposition = b'Content-Disposition: form-data; name="' + as_wire_bytes(name) + b'"'
        if as_files:
            disposition += b'; filename="ticket.txt"'
        lines += [b"--" + BOUNDARY.encode(), disposition, b"", as_wire_bytes(value)]
    lines += [b"--" + BOUNDARY.encode() + b"--", b""]
    return b"\r\n".join(lines)


BOUNDARY = "fuzz-boundary"
CHARSETS = ["", "; charset=utf-8", "; charset=ISO-8859-1", "; charset=utf-16", "; charset=bogus"]
MULTIPART_TYPES = [
    f"multipart/form-data; boundary={BOUNDARY}",
    "multipart/form-data",
    "multipart/form-data; boundary=",
    "multipart/form-data; boundary=\x00",
    f"multipart/mixed; boundary={BOUNDARY}",
]

# Mostly what a browser sends, so that many requests reach the form and the database.
form_encoding = st.one_of(
    st.builds(FormEncoding, st.just("form"), st.just("")),
    st.builds(FormEncoding, st.just("form"), st.just("")),
    st.builds(FormEncoding, st.sampled_from(["form", "unescaped form"]), st.sampled_from(CHARSETS)),
    st.builds(
        FormEncoding,
        st.sampled_from(["multipart", "files"]),
        st.sampled_from(MULTIPART_TYPES[:1] * 3 + MULTIPART_TYPES),
    ),
    st.builds(FormEncoding, st.just("json")),
    st.builds(
        FormEncoding,
        st.just("other type"),
        st.sampled_from(["", "text/plain", "application/octet-stream"]) | any_text,
    ),
)


@st.composite
def parameters(draw, **values):
    """Query or form parameters: each missing, once, or repeated, in any order, plus strays."""
    pairs = []
    for name, strategy in values.items():
        pairs += [(name, draw(strategy)) for _ in range(draw(st.sampled_from([1, 0, 2, 3])))]
    return draw(st.permutations(pairs + draw(stray_fields)))


# A query string as bytes on the wire, decoded as ISO-8859-1 as a WSGI server passes it.
def query(**values):
    encoded = parameters(**values).map(query_string)
    broken = st.binary(max_size=60).map(lambda raw: raw.decode("latin-1"))
    return st.one_of(encoded, encoded, broken)

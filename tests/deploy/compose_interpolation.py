"""What `docker compose --env-file FILE -f compose.yml config` does to the file before it checks
it against the Compose Specification's schema: read FILE, then substitute its variables into
every string value of the YAML.

The rules are the specification's (https://github.com/compose-spec/compose-spec/blob/main/
12-interpolation.md), as Compose implements them:

- `$$` is a literal `$`;
- `$NAME` and `${NAME}` are the value, or an empty string when NAME is unset (Compose warns);
- `${NAME:-default}`: the default when NAME is unset or empty; `${NAME-default}`: when unset;
- `${NAME:?message}`: an error with the message when NAME is unset or empty;
  `${NAME?message}`: when unset;
- `${NAME:+other}`: `other` when NAME is set and not empty, else empty; `${NAME+other}`: when
  set;
- defaults, messages and replacements are interpolated in turn (`${A:-${B}}`);
- any other `$` is an error ("invalid interpolation format").

Only the env file's values are used, not the process environment (where Compose lets the
environment win): the check must not depend on the machine it runs on.
"""

import re

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
ENV_LINE = re.compile(r"(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)")
OPERATORS = (":-", ":?", ":+", "-", "?", "+")


class InterpolationError(ValueError):
    """A `${NAME:?message}` whose variable is missing, or a `$` Compose would refuse."""


def parse_env_file(text):
    """The variables of a Compose env file: `NAME=value` lines, `export ` allowed, `#`
    comments, values in single quotes (literal) or double quotes (escapes and `${}`), or bare
    (up to a ` #` comment, trimmed). A bare or double-quoted value may use earlier ones."""
    variables = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = ENV_LINE.fullmatch(line)
        if match is None:
            raise InterpolationError(f"line {number} of the env file is not NAME=value: {line}")
        name, raw = match.groups()
        if raw[:1] == "'":
            value = raw[1 : raw.index("'", 1)]
        elif raw[:1] == '"':
            end = re.search(r'(?<!\\)"', raw[1:]).start() + 1
            value = re.sub(r'\\([\\"nt])', unescape, raw[1:end])
            value = interpolate(value, variables)
        else:
            value = interpolate(re.split(r"\s+#", raw, maxsplit=1)[0].strip(), variables)
        variables[name] = value
    return variables


def unescape(match):
    return {"n": "\n", "t": "\t"}.get(match.group(1), match.group(1))


def interpolate(text, variables, missing=None):
    """`text` with the variables substituted. Names used while unset and given no default are
    added to `missing` (a set), when one is passed."""
    out, i = [], 0
    while i < len(text):
        if text[i] != "$":
            out.append(text[i])
            i += 1
            continue
        following = text[i + 1 : i + 2]
        if following == "$":
            out.append("$")
            i += 2
        elif following == "{":
            end = closing_brace(text, i + 2)
            out.append(substitute(text[i + 2 : end], variables, missing))
            i = end + 1
        elif name := NAME.match(text, i + 1):
            out.append(lookup(name.group(), variables, missing))
            i = name.end()
        else:
            raise InterpolationError(f"invalid interpolation format in {text!r}: escape $ as $$")
    return "".join(out)


def closing_brace(text, start):
    depth, i = 1, start
    while i < len(text):
        if text.startswith("$$", i):
            i += 2
            continue
        if text.startswith("${", i):
            depth += 1
            i += 2
            continue
        if text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise InterpolationError(f"unterminated ${{ in {text!r}")


def lookup(name, variables, missing):
    if name not in variables and missing is not None:
        missing.add(name)
    return variables.get(name, "")


def substitute(inner, variables, missing):
    name = NAME.match(inner)
    if name is None:
        raise InterpolationError(f"invalid interpolation format: ${{{inner}}}")
    rest = inner[name.end() :]
    name = name.group()
    if not rest:
        return lookup(name, variables, missing)
    operator = next((op for op in OPERATORS if rest.startswith(op)), None)
    if operator is None:
        raise InterpolationError(f"invalid interpolation format: ${{{inner}}}")
    argument = rest[len(operator) :]
    is_set = name in variables
    present = is_set and variables[name] != "" if operator.startswith(":") else is_set
    if operator in (":-", "-"):
        return variables[name] if present else interpolate(argument, variables, missing)
    if operator in (":?", "?"):
        if not present:
            message = interpolate(argument, variables, missing)
            raise InterpolationError(f"required variable {name} is missing a value: {message}")
        return variables[name]
    return interpolate(argument, variables, missing) if present else ""


def interpolate_tree(node, variables, missing=None):
    """Every string value of a loaded YAML document interpolated; keys stay as they are."""
    if isinstance(node, dict):
        return {key: interpolate_tree(value, variables, missing) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolate_tree(value, variables, missing) for value in node]
    if isinstance(node, str):
        return interpolate(node, variables, missing)
    return node

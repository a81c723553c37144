"""Hypothesis profiles for the fuzz tests, and the count of requests they sent.

"fuzz", the default, replays the same 40 examples per test on every run (derandomize): a
failure in the ordinary suite comes from the change under test, not from a lucky draw, and the
module stays within a minute or two on a small machine. FUZZ_EXAMPLES=N selects "fuzz-long"
(`make fuzz`): N new random examples per test, and Hypothesis's example database
(.hypothesis/, not in git) replays the failures it found first on the next long run.
No deadline in either: a request's time depends on the machine's load, not on the input.
"""

import os

from hypothesis import Phase, settings

from tests.fuzz.harness import tally

settings.register_profile(
    "fuzz",
    max_examples=40,
    deadline=None,
    derandomize=True,
    print_blob=True,
    # Explaining a failure replays it hundreds of times: minutes with requests this slow.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
)
settings.register_profile(
    "fuzz-long",
    max_examples=int(os.environ.get("FUZZ_EXAMPLES") or 2000),
    deadline=None,
    print_blob=True,
)
settings.load_profile("fuzz-long" if os.environ.get("FUZZ_EXAMPLES") else "fuzz")


def pytest_terminal_summary(terminalreporter):
    if tally.requests:
        terminalreporter.write_line(f"fuzz: {tally.requests} requests, {tally.server_errors} 5xx")

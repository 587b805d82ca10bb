"""Shared test configuration. Tests write only under ``tmp_path``.

Hypothesis: no example database (it would write .hypothesis/ into the checkout), and under CI (``CI`` set)
derandomised, so a red CI always means a change broke something, never an unlucky draw. Locally it keeps
exploring new examples on every run.
"""

import os
import tempfile

import pytest
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir

# hypothesis keeps caches (constants, unicode tables) in its home folder: keep them out of the checkout
set_hypothesis_home_dir(tempfile.mkdtemp(prefix="hypothesis-"))

settings.register_profile("dev", database=None, deadline=None)
settings.register_profile("ci", database=None, deadline=None, derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite the golden frames under tests/golden/ that are missing or no longer match, delete "
        "stale ones (`make golden`); review the PNGs in the diff before committing",
    )


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    """Whether this run rewrites golden frames (``--update-golden``) instead of comparing with them."""
    return bool(request.config.getoption("--update-golden"))

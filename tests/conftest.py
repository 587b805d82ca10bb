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


def xdist_scope(nodeid: str) -> str:
    """The worker scope of a test: a scene's layout and narration cases (tests/scenes/engine/test_layout.py,
    ids ``<scene>-<locale>-<set>``) share a worker with its own drawn-values file (tests/scenes/<topic>/
    test_<name>.py), so the memoised fast-mode runs are shared and the scenes spread over the workers; every
    other file stays whole on one worker (its module fixtures are built once)."""
    path, _, rest = nodeid.partition("::")
    parts = path.split("/")
    if path == "tests/scenes/engine/test_layout.py" and "[" in rest:
        return rest[rest.index("[") + 1 :].split("-")[0]
    if len(parts) == 4 and parts[:2] == ["tests", "scenes"] and parts[3].startswith("test_"):
        return f"{parts[2]}.{parts[3].removeprefix('test_').removesuffix('.py')}"
    return path


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """Schedule by :func:`xdist_scope` (pytest-xdist's own ``loadgroup`` marks are lost on this pytest:
    xdist renames ``item._nodeid``, which pytest 9 no longer reads)."""
    from xdist.scheduler import LoadScopeScheduling

    class ByScene(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return xdist_scope(nodeid)

    return ByScene(config, log)

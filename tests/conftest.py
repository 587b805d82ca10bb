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


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the marks (--dist loadgroup)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """One xdist group per scene, else per file: a scene's layout and narration cases (tests/scenes/
    test_layout.py) run on the worker that runs its own drawn-values file (tests/scenes/<topic>/
    test_<name>.py), so the memoised fast-mode runs are shared and the scenes spread over the workers;
    every other file stays whole on one worker (its module fixtures are built once)."""
    for item in items:
        if any(item.iter_markers("xdist_group")):
            continue
        path = item.path.relative_to(config.rootpath)
        params = getattr(getattr(item, "callspec", None), "params", {})
        if path.as_posix() == "tests/scenes/test_layout.py" and "scene_id" in params:
            group = str(params["scene_id"])
        elif len(path.parts) == 4 and path.parts[:2] == ("tests", "scenes") and path.stem.startswith("test_"):
            group = (
                f"{path.parts[2]}.{path.stem.removeprefix('test_')}"  # tests/scenes/<topic>/test_<name>.py
            )
        else:
            group = path.as_posix()
        item.add_marker(pytest.mark.xdist_group(group))

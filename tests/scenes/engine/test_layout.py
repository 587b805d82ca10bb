"""Every registered scene constructs in fast mode with its defaults (both locales) and with each of its
EXAMPLES, and at every pause no text leaves the frame and no two texts overlap."""

from __future__ import annotations

import pytest
from manim import Square, Text

from scenes.engine.base import LectureScene
from scenes.engine.layout import check_layout
from tests.scenes.conftest import REGISTRY

CASES = [(sid, None, loc) for sid in sorted(REGISTRY) for loc in ("en", "zh")] + [
    (sid, ex, "en") for sid in sorted(REGISTRY) for ex in REGISTRY[sid].cls.EXAMPLES
]


def test_registry_is_populated_and_every_scene_has_a_second_parameter_set():
    assert len(REGISTRY) >= 2
    for sid, spec in REGISTRY.items():
        assert issubclass(spec.cls, LectureScene), sid
        assert spec.cls.EXAMPLES, f"{sid} declares no EXAMPLES parameter set"


def test_every_scene_has_the_same_strings_in_both_locales():
    for sid, spec in REGISTRY.items():
        en, zh = spec.cls.STRINGS["en"], spec.cls.STRINGS["zh"]
        assert set(en) == set(zh), f"{sid}: keys differ: {set(en) ^ set(zh)}"


@pytest.mark.parametrize(
    ("scene_id", "params", "locale"),
    CASES,
    ids=[f"{s}-{loc}-{'defaults' if p is None else 'example'}" for s, p, loc in CASES],
)
def test_scene_layout(fast_run, scene_id, params, locale):
    scene, problems = fast_run(scene_id, params, locale)
    assert scene.pause_count >= 2, "a scene should pause at least once before its end"
    assert not problems, "\n".join(map(str, problems))


def test_layout_check_catches_overlap_and_overflow():
    """The check itself must fail on a bad layout (so a green layout test means something)."""
    a = Text("overlap", font_size=30)
    b = Text("overlap too", font_size=30).move_to(a)
    far = Text("outside", font_size=30).shift(8 * 1.0 * a.get_center() * 0 + [9.0, 0, 0])
    box = Square().move_to(a)  # shapes are not text: no problem
    problems = check_layout([a, b, far, box])
    messages = " ".join(map(str, problems))
    assert "overlap" in messages and "leaves the frame" in messages
    assert len(problems) == 2


# --- narration (scenes/engine/narration.py): same beats in both locales, numbers only from fields, every
# number said is drawn, every slide of a narrated scene has something said (its speaker notes)
# ----------------- lectures whose scenes must narrate every slide
NARRATED_TOPICS = ("mamba.", "transformer.", "training.", "layers.")


def test_narration_tables_match_across_locales_and_hold_no_typed_numbers():
    from scenes.engine.narration import literal_numbers, template_fields

    for sid, spec in REGISTRY.items():
        table = spec.cls.NARRATION
        if sid.startswith(NARRATED_TOPICS):
            assert table["en"], f"{sid} has no narration"
        assert set(table["en"]) == set(table["zh"]), (
            f"{sid}: beats differ: {set(table['en']) ^ set(table['zh'])}"
        )
        for beat, en in table["en"].items():
            zh = table["zh"][beat]
            assert template_fields(en) == template_fields(zh), f"{sid}.{beat}: en and zh use different fields"
            for loc, text in (("en", en), ("zh", zh)):
                assert not literal_numbers(text), (
                    f"{sid}.{beat} ({loc}) types a number: {literal_numbers(text)}"
                )
        if any(table.values()):  # storyboards' overrides are checked against the table read from the source
            assert spec.narration() == table, f"{sid}: NARRATION must be a literal dict (read by ast)"


@pytest.mark.parametrize(
    ("scene_id", "params", "locale"),
    CASES,
    ids=[f"{s}-{loc}-{'defaults' if p is None else 'example'}" for s, p, loc in CASES],
)
def test_scene_narration(fast_run, scene_id, params, locale):
    from scenes.engine.narration import unshown_numbers

    scene, _ = fast_run(scene_id, params, locale)
    table = type(scene).NARRATION[locale]
    played = [b.id for b in scene.beats]
    assert len(played) == len(set(played)), f"a beat plays twice: {played}"
    assert set(table) <= set(played), f"narration never played: {set(table) - set(played)}"
    drawn = [s for p in scene.pictures for s in p.strings]
    for b in scene.beats:
        assert not unshown_numbers(b.text, drawn), (
            f"{b.id} says {unshown_numbers(b.text, drawn)}, never drawn"
        )
    if scene_id.startswith(NARRATED_TOPICS):
        slides = {b.slide for b in scene.beats if b.text}
        silent = set(range(scene.pause_count)) - slides
        assert not silent, f"slides without narration (no speaker notes): {sorted(silent)}"

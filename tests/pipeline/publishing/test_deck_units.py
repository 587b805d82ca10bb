"""The deck export without rendering: the pinned reveal.js version, ``--slides FORMATS``, and how the
reveal.js files a page uses are found and copied beside it (``pipeline/publishing/slides.py``)."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

import pipeline.publishing.slides as slides
from pipeline.cli import main

ROOT = Path(__file__).resolve().parents[3]


def test_the_vendored_reveal_is_the_version_the_manim_slides_template_expects():
    from manim_slides.convert import RevealJS

    expected = RevealJS.model_fields["reveal_version"].default
    assert slides.REVEAL_VERSION == expected
    script = (ROOT / "scripts" / "setup-web.sh").read_text()
    assert re.search(r"^VERSION=(\S+)$", script, re.M).group(1) == expected


@pytest.mark.parametrize(
    ("text", "formats"),
    [
        ("html", ("html",)),
        ("pptx,html", ("html", "pptx")),
        (" PDF , pdf", ("pdf",)),
        ("html,pdf,pptx", slides.FORMATS),
    ],
)
def test_slide_formats_parse_in_a_fixed_order(text, formats):
    assert slides.parse_formats(text) == formats


@pytest.mark.parametrize("text", ["ppt", "html,key", "", ","])
def test_unknown_slide_formats_are_refused(text):
    with pytest.raises(ValueError, match="expected one of: html, pdf, pptx"):
        slides.parse_formats(text)


BOARD = """\
title: T
quality: low
plugins: [tests.pipeline.fixture_scenes]
scenes:
  - scene: fixture.shapes
"""


def test_cli_refuses_an_unknown_format_with_one_line(tmp_path, capsys):
    board = tmp_path / "t.yaml"
    board.write_text(BOARD)
    assert main([str(board), "--slides", "html,ppt", "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["render.py: error: --slides: unknown slide format 'ppt'; expected one of: html, pdf, pptx"]
    assert not (tmp_path / "out").exists()


def test_cli_takes_a_storyboard_right_after_a_bare_slides(tmp_path, capsys):
    board = tmp_path / "t.yaml"
    board.write_text(BOARD)
    assert main(["--slides", str(board), "--dry-run", "-o", str(tmp_path / "out")]) == 0
    assert "1 to render" in capsys.readouterr().out


@pytest.fixture
def fake_reveal(tmp_path, monkeypatch):
    """A vendored reveal.js of a few files; a theme that loads a font and an image by relative URL."""
    root = tmp_path / "vendor" / "reveal.js-9.9.9"
    for rel, text in {
        "dist/reveal.js": "window.Reveal = {}",
        "dist/reveal.css": ".reveal {}",
        "dist/theme/black.css": "@font-face { src: url(./fonts/a.woff?v=1); } "
        "body { background: url('../img/b.png'); mask: url(data:image/png;base64,AAAA); }",
        "dist/theme/fonts/a.woff": "font",
        "dist/img/b.png": "png",
        "dist/unused.js": "not copied",
        "LICENSE": "MIT",
    }.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    monkeypatch.setattr(slides, "REVEAL_DIR", root)
    return root


def page(tmp_path: Path, head: str) -> Path:
    html = tmp_path / "deck" / "index.html"
    html.parent.mkdir()
    html.write_text(f"<html><head>{head}</head><body></body></html>")
    return html


def test_only_the_files_the_page_uses_are_copied_with_what_their_css_loads(tmp_path, fake_reveal):
    pre = "index_assets/reveal.js-9.9.9/dist"
    html = page(
        tmp_path,
        f'<link rel="stylesheet" href="{pre}/reveal.css"><link rel="stylesheet" href="{pre}/theme/black.css">'
        f'<script src="{pre}/reveal.js"></script>',
    )
    slides._vendor_assets(html)
    copied = sorted(str(p.relative_to(html.parent)) for p in html.parent.rglob("*") if p.is_file())
    assert copied == [
        "index.html",
        "index_assets/reveal.js-9.9.9/LICENSE",
        f"{pre}/img/b.png",
        f"{pre}/reveal.css",
        f"{pre}/reveal.js",
        f"{pre}/theme/black.css",
        f"{pre}/theme/fonts/a.woff",
    ]
    assert (html.parent / pre / "theme" / "fonts" / "a.woff").read_text() == "font"


@pytest.mark.parametrize(
    ("head", "message"),
    [
        (
            '<script src="https://cdn.jsdelivr.net/npm/reveal.js@6.0.1/dist/reveal.js"></script>',
            "from the network",
        ),
        ('<link rel="stylesheet" href="//unpkg.com/reveal.js/dist/reveal.css">', "from the network"),
        ('<script src="index_assets/reveal.js-9.9.9/dist/missing.js"></script>', "has no dist/missing.js"),
        ('<script src="index_assets/reveal.js-9.9.9/../../etc/passwd"></script>', "has no"),
        ("<script>inline()</script>", "does not load reveal.js"),
    ],
)
def test_a_page_that_would_need_the_network_or_a_missing_file_is_refused(
    tmp_path, fake_reveal, head, message
):
    with pytest.raises(slides.SlidesError, match=message):
        slides._vendor_assets(page(tmp_path, head))


def test_export_without_the_vendored_reveal_says_run_make_setup(tmp_path, monkeypatch):
    monkeypatch.setattr(slides, "REVEAL_DIR", tmp_path / "nothing")
    plan = SimpleNamespace(board=SimpleNamespace(name="x", title="X"))
    with pytest.raises(slides.SlidesError, match=r"make setup"):
        slides.export_deck(plan, [], tmp_path / "deck")  # type: ignore[arg-type]
    assert not (tmp_path / "deck").exists()

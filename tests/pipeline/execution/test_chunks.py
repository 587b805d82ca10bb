"""Chunked entries: an entry rendered as ranges of its animations on separate workers and joined is the
single-process render — the same frame count (the sum of the chunks'), the same decoded frames at every
seam (raw RGB, byte for byte), the same speech track, pause frames, beat times and deck slides — and the
stitched video of a storyboard with a chunked entry has the right length."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from pipeline.execution.chunks import ChunkMeta, chunk_key, have_chunk, ranges
from pipeline.planning.jobs import ClipMeta, Job
from pipeline.publishing.media import frame_count, probe, raw_rgb
from tests.pipeline.cli_run import render

BOARD = """\
title: {title}
name: {name}
quality: low
plugins: [tests.pipeline.fixture_scenes]
scenes:
  - scene: fixture.spoken
    params: {{squares: 2, seconds: 0.3}}
{chunks}
  - scene: fixture.shapes
    params: {{slides: 2, seconds: 0.3}}
"""


def test_ranges_cover_every_animation_once():
    for total in range(1, 40):
        for n in range(1, 9):
            spans = ranges(total, n)
            assert len(spans) == min(n, total)
            assert spans[0][0] == 0 and spans[-1][1] == -1  # the last runs to the end, whatever the count
            assert all(a[1] == b[0] for a, b in zip(spans, spans[1:], strict=False))
            assert all(a < b for a, b in spans[:-1]) and spans[-1][0] < total
            sizes = [b - a for a, b in spans[:-1]] + [total - spans[-1][0]]
            assert max(sizes) - min(sizes) <= 1
    assert ranges(10, 3) == [(0, 3), (3, 7), (7, -1)]
    assert len({chunk_key("k", 0, 3, 10), chunk_key("k", 0, 4, 10), chunk_key("k", 0, 3, 11)}) == 3


def rgb_frames(video: Path) -> list[bytes]:
    """Every frame of ``video`` decoded to raw RGB, one bytes object per frame."""
    info = probe(video)
    raw = raw_rgb(video)
    size = info.width * info.height * 3
    assert len(raw) % size == 0
    return [raw[i : i + size] for i in range(0, len(raw), size)]


def pcm(video: Path) -> bytes:
    return subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(video), "-map", "0:a", "-f", "s16le", "-"],
        capture_output=True,
        check=True,
    ).stdout


def _entry(out: Path, board: str, index: int) -> Path:
    manifest = json.loads((out / board / "manifest.json").read_text())
    return out / ".cache" / "clips" / manifest["entries"][index]["key"]


@pytest.mark.render
def test_a_chunked_entry_is_the_single_process_render(tmp_path):
    chunked, whole = tmp_path / "chunked.yaml", tmp_path / "whole.yaml"
    chunked.write_text(BOARD.format(title="Chunked", name="chunked", chunks="    chunks: 3"))
    whole.write_text(BOARD.format(title="Whole", name="whole", chunks=""))
    out = tmp_path / "out"
    proc = render(chunked, out, str(whole), "--slides")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for i in (1, 2, 3):
        assert f"chunked/e01_fixture_spoken_c{i}of3: done" in proc.stdout

    a, b = _entry(out, "chunked", 0), _entry(out, "whole", 0)
    assert a != b  # joined bytes are not Manim's: another key
    found = [p for p in (out / ".cache" / "clips").iterdir() if (p / "chunk.json").is_file()]
    metas = {p: ChunkMeta.model_validate_json((p / "chunk.json").read_bytes()) for p in found}
    pieces = sorted(((metas[p], p) for p in found), key=lambda cp: cp[0].first)
    assert [c.first for c, _ in pieces][0] == 0 and pieces[-1][0].last and len(pieces) == 3
    counts = [frame_count(p / "clip.mp4") for _, p in pieces]
    joined, single = rgb_frames(a / "clip.mp4"), rgb_frames(b / "clip.mp4")
    assert len(joined) == sum(counts) == len(single) == frame_count(b / "clip.mp4")
    seam = 0
    for n in counts[:-1]:  # the last frame of a chunk and the first of the next, as one process drew them
        seam += n
        assert joined[seam - 1] == single[seam - 1] and joined[seam] == single[seam]
    assert hashlib.sha256(b"".join(joined)).digest() == hashlib.sha256(b"".join(single)).digest()
    assert pcm(a / "clip.mp4") == pcm(b / "clip.mp4")  # the speech laid over the joined clip

    ma, mb = (json.loads((e / "meta.json").read_text()) for e in (a, b))
    for field in ("duration", "animations", "slides", "beats", "frames", "shown", "voice", "resolution"):
        assert ma[field] == mb[field], field
    for fa, fb in zip(ma["frames"], mb["frames"], strict=True):  # pause frames captured by the right chunk
        assert (a / fa["file"]).read_bytes() == (b / fb["file"]).read_bytes()

    deck = [json.loads(next((e / "slides").glob("*.json")).read_text()) for e in (a, b)]
    assert len(deck[0]["slides"]) == len(deck[1]["slides"]) == ma["slides"] + 1
    for sa, sb in zip(deck[0]["slides"], deck[1]["slides"], strict=True):
        assert {k: v for k, v in sa.items() if "file" not in k} == {
            k: v for k, v in sb.items() if "file" not in k
        }
        assert rgb_frames(a / "slides" / sa["file"]) == rgb_frames(b / "slides" / sb["file"])
    assert (out / "chunked" / "slides" / "index.html").is_file()

    # the stitched video of the storyboard with the chunked entry: the right length, frame for frame
    manifest = json.loads((out / "chunked" / "manifest.json").read_text())
    video = out / "chunked" / "chunked.mp4"
    clips = [out / "chunked" / e["clip"] for e in manifest["entries"]]
    assert frame_count(video) == sum(map(frame_count, clips))
    assert probe(video).duration == pytest.approx(sum(e["duration"] for e in manifest["entries"]), abs=0.1)
    assert probe(video).duration == pytest.approx(probe(out / "whole" / "whole.mp4").duration, abs=1e-3)

    # the chunks are cached like clips: with the joined clip gone, only the join runs again
    import shutil

    shutil.rmtree(a)
    again = render(chunked, out)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "0 to render" in again.stdout and "c1of3: rendering" not in again.stdout
    assert rgb_frames(a / "clip.mp4") == single


def test_a_cached_chunk_is_used_only_while_its_clip_is_the_one_written(tmp_path):
    job = Job(0, "fixture.shapes", "m", {}, "low", "en", "c", "k" * 32, "e01_c1of2", str(tmp_path), "x.log")
    entry = job.entry_dir
    entry.mkdir()
    data = b"a chunk's clip " * 1000
    (entry / "clip.mp4").write_bytes(data)
    (entry / "chunk.json").write_text("{}")
    meta = ClipMeta(key=job.key, scene="fixture.shapes", params={}, quality="low", locale="en", name=job.name,
                    duration=0.2, resolution=(854, 480), fps=15, animations=1, slides=0, frames=(), shown={},
                    render_seconds=1.0, peak_rss_mb=1.0, clip_bytes=len(data),
                    clip_sha256=hashlib.sha256(data).hexdigest())  # fmt: skip
    (entry / "meta.json").write_text(meta.model_dump_json())
    assert have_chunk(job)
    flipped = bytearray(data)
    flipped[7] ^= 0xFF
    (entry / "clip.mp4").write_bytes(bytes(flipped))  # same size, other bytes
    assert not have_chunk(job)
    (entry / "clip.mp4").write_bytes(data[: len(data) // 2])
    assert not have_chunk(job)
    (entry / "clip.mp4").write_bytes(b"")
    assert not have_chunk(job)
    (entry / "clip.mp4").write_bytes(data)
    assert have_chunk(job)
    (entry / "meta.json").write_text(meta.model_copy(update={"clip_sha256": None}).model_dump_json())
    assert not have_chunk(job)  # nothing recorded: not trusted

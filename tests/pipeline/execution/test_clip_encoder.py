"""The worker's patches of Manim's partial-movie encoder (pipeline/execution/clip_encoder.py): a bounded
frame queue (back-pressure, not gigabytes of frames), the clip preset, and held frames converted to YUV once
with the same bytes as Manim's frame-by-frame encoding."""

from __future__ import annotations

import hashlib
import subprocess
import threading

import av
import numpy as np
from manim.scene import scene_file_writer as sfw

from pipeline.execution.clip_encoder import CLIP_PARAMS, CLIP_PRESET, FRAME_QUEUE, patch_clip_encoder


def unpatched(monkeypatch) -> None:
    """Manim's own encoder job for this test (restored afterwards), whatever an earlier test patched."""
    job = sfw._PartialMovieEncodeJob
    init, encode = vars(job).get("manim_originals", (job.__init__, job._encode_and_write_frame))
    monkeypatch.setattr(job, "__init__", init)
    monkeypatch.setattr(job, "_encode_and_write_frame", encode)
    monkeypatch.delattr(job, "pipeline_patched", raising=False)
    monkeypatch.delattr(job, "manim_originals", raising=False)


class SlowStream:
    """An encoder that takes frames only when the test lets it."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.encoded = 0

    def encode(self, frame=None):
        if frame is not None:
            self.gate.wait(timeout=10)
            self.encoded += 1
        return []


class NullContainer:
    def mux(self, packet) -> None:
        pass

    def close(self) -> None:
        pass


def test_frame_queue_is_bounded_so_the_renderer_waits_for_the_encoder(monkeypatch):
    unpatched(monkeypatch)
    patch_clip_encoder()
    patch_clip_encoder()  # idempotent: a second call does not wrap twice
    stream = SlowStream()
    monkeypatch.setattr(sfw.av.VideoFrame, "from_ndarray", staticmethod(lambda frame, format: frame))
    # the same keyword Manim passes when its single encoder would otherwise get an unbounded queue
    job = sfw._PartialMovieEncodeJob(
        path="x.mp4", animation_index=0, container=NullContainer(), stream=stream, frame_queue_size=0
    )
    assert job.queue.maxsize == FRAME_QUEUE
    # with the encoder stalled, a renderer thread blocks after FRAME_QUEUE (+1 in the encoder's hands) frames
    produced = 0

    def renderer() -> None:
        nonlocal produced
        for _ in range(3 * FRAME_QUEUE):
            job.put(1, object())
            produced += 1

    t = threading.Thread(target=renderer, daemon=True)
    t.start()
    t.join(timeout=1.0)
    assert t.is_alive() and produced <= FRAME_QUEUE + 1
    stream.gate.set()  # let the encoder run: everything drains
    t.join(timeout=10)
    job.seal()
    job.join()
    assert stream.encoded == 3 * FRAME_QUEUE


W, H = 320, 180
RNG = np.random.default_rng(0)
A = RNG.integers(0, 255, (H, W, 4), dtype=np.uint8)
A[..., 3] = 255
B = np.ascontiguousarray(A[::-1])
# what a scene hands the encoder: single frames and held frames with a repeat count
SEQUENCE = [(1, A), (30, A), (1, B), (20, B)]


def open_stream(path, options):
    container = av.open(str(path), "w")
    stream = container.add_stream("libx264", rate=60, options=options)
    stream.pix_fmt, stream.width, stream.height = "yuv420p", W, H
    return container, stream


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_held_frames_encode_to_the_bytes_of_frame_by_frame_encoding_at_the_clip_preset(tmp_path, monkeypatch):
    # the reference: Manim's loop written out — every frame converted from RGBA by the encoder itself
    ref = tmp_path / "ref.mp4"
    container, stream = open_stream(
        ref, {"an": "1", "crf": "23", "preset": CLIP_PRESET, "x264-params": CLIP_PARAMS}
    )
    for n, frame in SEQUENCE:
        for _ in range(n):
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgba")):
                container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)
    container.close()

    unpatched(monkeypatch)
    patch_clip_encoder()
    out = tmp_path / "patched.mp4"
    encode_partial(out, SEQUENCE)
    assert sha(out) == sha(ref)
    decoded = list(av.open(str(out)).decode(video=0))
    assert len(decoded) == sum(n for n, _ in SEQUENCE)
    # x264 writes its settings into the stream: veryfast's 1 reference frame, the clip's diamond search at
    # subme 1, one thread
    settings = out.read_bytes()
    assert b"subme=1 " in settings and b" ref=1 " in settings and b" me=dia " in settings
    assert b" threads=1 " in settings and b" mbtree=1 " in settings


def encode_partial(path, sequence) -> None:
    """One partial movie as Manim's patched writer makes it (Manim's options: no preset)."""
    container, stream = open_stream(path, {"an": "1", "crf": "23"})
    job = sfw._PartialMovieEncodeJob(
        path=str(path), animation_index=0, container=container, stream=stream, frame_queue_size=0
    )
    for n, frame in sequence:
        job.put(n, frame)
    job.seal()
    job.join()


def parameter_sets(path) -> bytes:
    with av.open(str(path)) as c:
        return bytes(c.streams.video[0].codec_context.extradata)


def test_a_wait_is_encoded_cheaply_and_still_concatenates_by_stream_copy(tmp_path, monkeypatch):
    unpatched(monkeypatch)
    patch_clip_encoder()
    play, wait = tmp_path / "play.mp4", tmp_path / "wait.mp4"
    encode_partial(play, [(1, A), (1, B), (1, A)])  # an animation: frame by frame
    encode_partial(wait, [(40, B)])  # a wait: one picture held
    settings = wait.read_bytes()  # x264's settings message in the stream
    assert b"subme=0 " in settings and b" me=dia " in settings and b" mbtree=0 " in settings
    assert b"subme=1 " in play.read_bytes() and b" mbtree=1 " in play.read_bytes()  # CLIP_PARAMS
    assert parameter_sets(wait) == parameter_sets(play)  # same SPS/PPS: one stream when joined
    # joined as Manim joins partials (concat demuxer, stream copy), every frame decodes exactly as it does
    # in its own partial: one set of parameter sets serves both
    listing = tmp_path / "list.txt"
    listing.write_text(f"file '{play}'\nfile '{wait}'\n")
    joined = tmp_path / "joined.mp4"
    cmd = ["ffmpeg", "-v", "error", "-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy"]
    cmd.append(str(joined))
    assert subprocess.run(cmd, capture_output=True).returncode == 0
    alone = decoded_planes(play) + decoded_planes(wait)
    together = decoded_planes(joined)
    assert len(alone) == len(together) == 43
    for a, b in zip(alone, together, strict=True):
        np.testing.assert_array_equal(a, b)


def decoded_planes(path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray() for f in c.decode(video=0)]  # yuv420p as decoded, no conversion

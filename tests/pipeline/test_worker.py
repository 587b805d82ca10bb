"""The worker's patch of Manim's encoder: a bounded frame queue (back-pressure, not gigabytes of frames)."""

from __future__ import annotations

import threading

from manim.scene import scene_file_writer as sfw

from pipeline.worker import FRAME_QUEUE, _bound_frame_queue


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
    monkeypatch.setattr(sfw._PartialMovieEncodeJob, "__init__", sfw._PartialMovieEncodeJob.__init__)
    _bound_frame_queue()
    _bound_frame_queue()  # idempotent: a second call does not wrap twice
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

"""How a worker encodes its clip: patches of Manim 0.21's partial-movie encoder (one private class).

Manim writes every animation (and every ``wait``) as a partial movie through one x264 encoder thread fed by
a frame queue. Measured at 1080p60 on this machine (benchmarks/encoder.json), three things cost more than
they need to for a clip that is an intermediate file:

- The queue is unbounded: the renderer outruns x264 and buffers 8 MB frames (2.2 GB seen in a 10 s
  animation). :data:`FRAME_QUEUE` bounds it, so the renderer waits for the encoder instead.
- A held frame (a ``wait``: in a narrated lecture most of the video is the picture held while the voice
  speaks) is handed over once with a repeat count, but Manim converts the same RGBA array to YUV 4:2:0 again
  for every one of its frames (~15 ms of swscale per 1080p frame, more than x264 spends on a static frame).
  It is converted once here; the encoded bytes are the same.
- x264's default preset is ``medium``. Clips are stitched by stream copy and re-encoded once more by
  ``publish`` for upload, so the clip encoder trades some file size for speed: :data:`CLIP_PRESET`, with
  a cheaper motion search and one thread (:data:`CLIP_PARAMS`: ~30 % less CPU a frame, same size).
- A ``wait`` is a partial movie of one picture repeated: x264 still analyses every copy (~22 ms a 1080p
  frame at veryfast). Such a partial is encoded with :data:`HOLD_PARAMS`, the searches that find nothing in
  a still picture switched off (~14 ms). They change no sequence or picture parameter set, so the partials
  still concatenate by stream copy (tested).
"""

from __future__ import annotations

from typing import Any

FRAME_QUEUE = 8  # frames waiting for the encoder: 8 × 8 MB at 1080p
CLIP_PRESET = "veryfast"  # x264 preset of the partial movies (Manim's default is medium)
# An animation's frames: diamond motion search, subpixel refinement 1 instead of 2, no trellis; one thread
# (in a worker the renderer already keeps a second core busy; frame threads only add synchronisation).
# Measured on a moving 1080p test picture: 23.3 → 16.2 CPU-ms a frame, 77.8 vs 79.7 KB, PSNR 45.3 vs 45.6 dB.
CLIP_PARAMS = "threads=1:me=dia:subme=1:trellis=0"
# A still picture's copies: no motion search, subpixel refinement, trellis or lookahead/macroblock tree
# (nothing moves), and one thread (frame threads only add synchronisation). Measured per 1080p frame:
# 21.6 → 14.4 CPU-ms (benchmarks/clip_encoder.json). Not here: anything that changes the SPS/PPS
# (CABAC, 8×8 transform, B-frames, references) or the first picture's intra analysis (partitions).
# b-adapt=0 keeps the preset's B-frame pattern without deciding it per frame: on still lecture frames the
# output bytes are the same and ~8 % faster (8.6 → 7.9 ms a real 1080p frame).
HOLD_PARAMS = "threads=1:no-mbtree=1:rc-lookahead=0:me=dia:subme=0:trellis=0:b-adapt=0"


def patch_clip_encoder() -> None:
    """Apply the bounded queue, :data:`CLIP_PRESET` with :data:`CLIP_PARAMS` (:data:`HOLD_PARAMS` for a
    wait) and the held-frame conversion (idempotent).

    With its default single encoder, Manim 0.21 queues frames without bound; allowing a second in-flight
    encoder would bound the queue but run two x264 instances with their lookahead buffers (peaks of
    1.2–1.6 GB measured). One encoder with a bounded queue gives back-pressure instead.
    """
    import av
    from manim.scene import scene_file_writer as sfw

    job_cls = sfw._PartialMovieEncodeJob
    if getattr(job_cls, "pipeline_patched", False):
        return
    init = job_cls.__init__
    encode = job_cls._encode_and_write_frame

    def patched_init(self: Any, *args: Any, frame_queue_size: int = 0, **kwargs: Any) -> None:
        stream = kwargs["stream"] if "stream" in kwargs else args[3]
        codec = getattr(stream, "codec_context", None)
        if codec is not None and codec.name == "libx264":
            # the codec opens at the first frame, so its options can still change here
            codec.options = {**codec.options, "preset": CLIP_PRESET, "x264-params": CLIP_PARAMS}
        init(self, *args, frame_queue_size=frame_queue_size or FRAME_QUEUE, **kwargs)  # type: ignore[misc]

    def encode_held_once(self: Any, frame: Any, num_frames: int) -> None:
        first = not getattr(self, "frames_seen", False)
        self.frames_seen = True
        codec = getattr(self.stream, "codec_context", None)
        if first and num_frames > 1 and codec is not None and codec.name == "libx264":
            # a partial that starts held is a wait (one picture throughout); the codec is not open yet
            codec.options = {**codec.options, "x264-params": HOLD_PARAMS}
        if num_frames <= 1 or getattr(self.stream, "pix_fmt", None) != "yuv420p":
            encode(self, frame, num_frames)
            return
        # the conversion the encoder would make for every frame (same defaults), made once
        planes = av.VideoFrame.from_ndarray(frame, format="rgba").reformat(format="yuv420p").to_ndarray()
        for _ in range(num_frames):
            # a fresh frame each time: x264 may still hold the previous one as a reference
            held = av.VideoFrame.from_ndarray(planes, format="yuv420p")
            for packet in self.stream.encode(held):
                self.container.mux(packet)

    # tests restore Manim's own methods from here
    job_cls.manim_originals = (init, encode)  # type: ignore[attr-defined]
    job_cls.__init__ = patched_init  # type: ignore[method-assign]
    job_cls._encode_and_write_frame = encode_held_once  # type: ignore[method-assign]
    job_cls.pipeline_patched = True  # type: ignore[attr-defined]

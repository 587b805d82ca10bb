"""Tokenisation: byte-level BPE turns text into token ids, an English and a Chinese sentence."""

from __future__ import annotations

from pydantic import Field, field_validator

from scenes.engine.registry import SceneParams

MAX_BYTES_EN = 24  # the byte strip must stay readable across the frame
MAX_BYTES_ZH = 18  # six CJK characters


def _printable(s: str, limit: int) -> str:
    if not s.strip() or not s.isprintable():
        raise ValueError("the sentence must be printable text on one line")
    if len(s.encode("utf-8")) > limit:
        raise ValueError(
            f"the sentence is {len(s.encode('utf-8'))} UTF-8 bytes; at most {limit} fit on screen"
        )
    return s


class Params(SceneParams):
    sentence: str = Field(
        "the attention of a token", min_length=1, max_length=MAX_BYTES_EN,
        description=f"the English sentence to encode (at most {MAX_BYTES_EN} UTF-8 bytes)",
    )  # fmt: skip
    sentence_zh: str = Field(
        "注意力机制", min_length=1, max_length=MAX_BYTES_ZH // 3,
        description=f"the Chinese sentence to encode (at most {MAX_BYTES_ZH} UTF-8 bytes)",
    )  # fmt: skip
    merges: int = Field(
        120, ge=10, le=250, description="merges learned on the bundled corpus (vocabulary 256 + merges)"
    )

    @field_validator("sentence")
    @classmethod
    def _en(cls, v: str) -> str:
        return _printable(v, MAX_BYTES_EN)

    @field_validator("sentence_zh")
    @classmethod
    def _zh(cls, v: str) -> str:
        return _printable(v, MAX_BYTES_ZH)

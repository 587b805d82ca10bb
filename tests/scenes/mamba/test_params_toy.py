"""The sentence rule of the toy Mamba scenes' parameters counts tokens exactly as lib's model does.

The params module splits the sentence itself (importing lib.mamba.toy_mamba would load NumPy into every
storyboard validation); this keeps the two definitions of a token equal.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from lib.mamba.toy_mamba import tokenize
from scenes.mamba.params._toy import ToyParams

WORDS = st.text(alphabet=st.sampled_from("ab Δ\t\n\u3000\u00a0x"), min_size=1, max_size=80)


@given(WORDS)
def test_a_sentence_is_valid_exactly_when_libs_tokens_fit(sentence):
    tokens = tokenize(sentence)
    fits = 2 <= len(tokens) <= 8 and max(map(len, tokens)) <= 12
    try:
        ToyParams(sentence=sentence)
        valid = True
    except ValidationError:
        valid = False
    assert valid == fits


def test_the_model_is_built_from_the_same_tokens():
    p = ToyParams(model="random", sentence="Mamba  lets\tsome tokens in", d_inner=1, d_state=2)
    assert p.toy().tokens == ("Mamba", "lets", "some", "tokens", "in")
    with pytest.raises(ValidationError, match="got 9"):
        ToyParams(sentence="one two three four five six seven eight nine")

"""Cost of recurrent layers (RNN, LSTM, GRU): per time step and over a sequence.

Same conventions as ``lib/arithmetic/cost_layers.py``: ``macs`` are the matvec multiply-accumulates (what
FlopCounterMode counts, ×2), ``flops`` add the elementwise gate work listed in ``_RNN_CELL_FLOPS``.
"""

from __future__ import annotations

from lib.arithmetic.cost_layers import LayerCost, combine, require_positive

# Gates per recurrent cell and elementwise FLOPs per hidden unit per step after the two matvecs
# (adding the two matvec results for each gate is counted here; bias adds are counted separately).
RNN_GATES: dict[str, int] = {"RNN": 1, "LSTM": 4, "GRU": 3}
_RNN_CELL_FLOPS: dict[str, int] = {
    "RNN": 1 + 1,  # W x + U h, tanh
    # 4 gate sums; σ on i, f, o (3·4); tanh g; c = f⊙c + i⊙g (3); h = o⊙tanh(c) (2)
    "LSTM": 4 + 12 + 1 + 3 + 2,
    # 2 gate sums for r, z; σ on r, z (2·4); n = tanh(W_n x + r⊙(U_n h)) (mul, add, tanh);
    # h = (1−z)⊙n + z⊙h (4)
    "GRU": 2 + 8 + 3 + 4,
}


def rnn_cell_cost(
    mode: str, input_size: int, hidden_size: int, batch: int = 1, bias: bool = True, name: str | None = None
) -> LayerCost:
    """One time step of an Elman RNN (tanh), LSTM (Hochreiter & Schmidhuber 1997) or GRU (Cho et al. 2014).

    With G gates (1, 4, 3): params = G·H·(I + H) (+ 2·G·H for the bias vectors b_ih, b_hh torch stores);
    MACs = B·G·H·(I + H); activations = the G·H gate pre-activations and the new h (and c for the LSTM).
    Elementwise FLOPs: B·H·``_RNN_CELL_FLOPS[mode]`` (the gate sums, σ at 4 and tanh at 1 op, the state
    update), plus two bias adds per gate unit (b_ih and b_hh: 2·B·G·H, none without bias).
    """
    if mode not in RNN_GATES:
        raise ValueError(f"mode must be one of {sorted(RNN_GATES)}, got {mode!r}")
    require_positive(input_size=input_size, hidden_size=hidden_size, batch=batch)
    g, h = RNN_GATES[mode], hidden_size
    macs = batch * g * h * (input_size + h)
    elementwise = batch * (h * _RNN_CELL_FLOPS[mode] + (2 * g * h if bias else 0))
    state = 2 * h if mode == "LSTM" else h
    return LayerCost(
        name=name or f"{mode}Cell",
        params=g * h * (input_size + h) + (2 * g * h if bias else 0),
        macs=macs,
        flops=2 * macs + elementwise,
        activation_elems=batch * (g * h + state),
        output_shape=(batch, h),
    )


def rnn_cost(
    mode: str,
    input_size: int,
    hidden_size: int,
    seq_len: int,
    batch: int = 1,
    num_layers: int = 1,
    bias: bool = True,
    bidirectional: bool = False,
    name: str | None = None,
) -> LayerCost:
    """A stacked (optionally bidirectional) RNN/LSTM/GRU run over ``seq_len`` steps, like ``torch.nn.LSTM``.

    Each layer/direction is one cell (``rnn_cell_cost``) applied T times with shared weights, so params do
    not grow with T while MACs = T·B·G·H·(I_l + H) per layer and direction (I_l = H·dirs above layer 0).
    Output shape is (B, T, dirs·H) (batch_first layout).
    """
    require_positive(seq_len=seq_len, num_layers=num_layers)
    dirs = 2 if bidirectional else 1
    parts = []
    for layer in range(num_layers):
        in_size = input_size if layer == 0 else hidden_size * dirs
        for d in range(dirs):
            cell = rnn_cell_cost(mode, in_size, hidden_size, batch, bias)
            suffix = "_reverse" if d else ""
            parts.append(cell.scaled(seq_len, name=f"l{layer}{suffix}"))
    return combine(name or mode, parts, output_shape=(batch, seq_len, dirs * hidden_size))

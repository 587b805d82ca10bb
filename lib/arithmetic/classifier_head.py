"""The classifier head after a convolution stack: flatten → fully connected vs global average pooling → fully
connected. The parameter explosion of VGG's first FC layer (Simonyan & Zisserman 2015, Table 2: 512·7·7 →
4096), and the fix of Network in Network (Lin et al. 2014, §3.2) / ResNet (He et al. 2016, §4.1): average each
channel over the H × W positions first, so the FC layer sees C inputs instead of C·H·W.
"""

from __future__ import annotations

from dataclasses import dataclass

from lib.arithmetic.cost_layers import LayerCost, linear_cost


@dataclass(frozen=True)
class HeadComparison:
    flatten_fc: LayerCost  # Linear(C·H·W → hidden) on the flattened feature map
    gap_fc: LayerCost  # Linear(C → hidden) after global average pooling
    ratio: float  # flatten_fc.params / gap_fc.params
    flatten_inputs: int  # C·H·W: what the flattened head's FC layer reads
    gap_inputs: int  # C: what the pooled head's FC layer reads
    bytes_per_param: int

    def weight_bytes(self, head: LayerCost) -> int:
        """The head's parameters stored at ``bytes_per_param`` each (4: fp32)."""
        return head.params * self.bytes_per_param


def compare_heads(
    channels: int, height: int, width: int, hidden: int, bytes_per_param: int = 4
) -> HeadComparison:
    """Both heads on one image's (C, H, W) feature map, with bias, as torch.nn.Linear builds them."""
    flat = linear_cost(channels * height * width, hidden, (1, channels * height * width), name="flatten → FC")
    gap = linear_cost(channels, hidden, (1, channels), name="GAP → FC")
    return HeadComparison(
        flat, gap, flat.params / gap.params, channels * height * width, channels, bytes_per_param
    )

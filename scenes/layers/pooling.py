"""Pooling, forward and backward (Jarrett et al. 2009 §2; LeCun et al. 1998 §II.B): max pooling keeps each
window's largest value and, backward, routes δ = ∂L/∂y to that one input; average pooling keeps the mean and
spreads δ / |window| equally over the window.

    max:  y_ij = max_{(r,q) ∈ W_ij} x_rq      ∂L/∂x_rq = Σ_{ij: argmax W_ij = (r,q)} δ_ij
    avg:  y_ij = (1/k²) Σ_{W_ij} x_rq         ∂L/∂x_rq = Σ_{ij: (r,q) ∈ W_ij} δ_ij / k²
"""

from __future__ import annotations

from manim import DOWN, RIGHT, UP, Create, Mobject, Rectangle, SurroundingRectangle, VGroup

from lib.nets.pool_example import pool_example
from lib.nets.pooling import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.anim import fade_in, fade_out
from scenes.kit.frame import SAFE, column, fit_width, row, to_safe
from scenes.kit.matrix import Heatmap
from scenes.layers._windows import int_grid, window_box
from scenes.layers.params.pooling import Params as PoolingParams

HOLD = theme.HOLD_BRIEF  # seconds to read a slide (scenes/kit/theme.py)
MAX_CELL = 0.75  # cells as large as the row of four grids allows, up to this
DEC_CELL = 0.75  # a cell that holds "−3.75"
STEP = 0.35  # seconds per window move


def _dec(v: float) -> str:
    """Averages and shared gradients: two decimals."""
    return numbers.fixed(v, 2)


@register("layers.pooling")
class Pooling(LectureScene):
    """Max and average pooling on one small input: the windows, the winners, and where gradients go."""

    Params = PoolingParams

    EXAMPLES = ({"size": 5, "kernel": 3, "stride": 2, "seed": 4},)

    STRINGS = {
        "en": {
            "title": "Pooling: max and average",
            "subtitle": "forward: one number per window; backward: where the gradient goes",
            "input": "input x",
            "max": "max pooling",
            "avg": "average pooling",
            "avg_div": "window sum ÷ {n}",
            "window": "window {k} × {k}, stride {s}",
            "delta": "δ = ∂L/∂y",
            "dx_max": "∂L/∂x, max",
            "dx_avg": "∂L/∂x, average",
            "max_note": "only the winner of each window gets the gradient",
            "avg_note": "every input of a window gets δ / {n}; overlaps add up",
        },
        "zh": {
            "title": "池化：最大池化与平均池化",
            "subtitle": "前向：每个窗口一个数；反向：梯度流向哪里",
            "input": "输入 x",
            "max": "最大池化",
            "avg": "平均池化",
            "avg_div": "窗口之和 ÷ {n}",
            "window": "窗口 {k} × {k}，步长 {s}",
            "delta": "δ = ∂L/∂y",
            "dx_max": "∂L/∂x，最大池化",
            "dx_avg": "∂L/∂x，平均池化",
            "max_note": "只有每个窗口里的最大值拿到梯度",
            "avg_note": "窗口里的每个输入都分到 δ / {n}；重叠处相加",
        },
    }

    NARRATION = {
        "en": {
            "max": "Max pooling slides a {k} by {k} window with stride {s} over the input and keeps only the "
            "largest number of each window. The {h} by {h} input shrinks to {o} by {o}.",
            "avg": "Average pooling uses the same windows but keeps their mean, so every input counts, each "
            "with weight one over {n}.",
            "delta": "Now backward. The next layer hands us delta, one gradient per pooled output.",
            "max_back": "For max pooling, only the winner of a window affected the output, so the whole "
            "delta goes back to it, and every other input gets zero. Max pooling has no weights: the "
            "argmax is all it remembers.",
            "avg_back": "For the average, every input of a window moved the output by one over {n}, so delta "
            "is shared equally: each input gets delta divided by {n}, and where windows overlap the shares "
            "add up.",
        },
        "zh": {
            "max": "最大池化用 {k} 乘 {k} 的窗口、以步长 {s} 在输入上滑动，每个窗口只保留最大的那个数。"
            "{h} 乘 {h} 的输入缩小成 {o} 乘 {o}。",
            "avg": "平均池化用同样的窗口，但保留的是平均值，所以每个输入都有贡献，权重都是 {n} 分之一。",
            "delta": "现在看反向传播。下一层传回 δ，每个池化输出对应一个梯度。",
            "max_back": "对最大池化来说，只有窗口里的最大值影响了输出，所以整个 δ 都传回给它，"
            "其余输入的梯度都是零。最大池化没有权重，它记住的只有最大值的位置。",
            "avg_back": "对平均池化来说，窗口里的每个输入都以 {n} 分之一的比例影响输出，所以 δ 被平均分配："
            "每个输入得到 δ 除以 {n}，窗口重叠的地方份额相加。",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.show_max()
        self.show_avg()
        self.show_max_backward()
        self.show_avg_backward()

    # --- numbers (all from lib/) -----------------------------------------------------------------
    def compute(self) -> None:
        p = self.params
        self.ex = pool_example(p.size, p.kernel, p.stride, p.seed)
        self.mx = max_pool2d(self.ex.x, p.kernel, p.stride)
        self.av = avg_pool2d(self.ex.x, p.kernel, p.stride)
        self.dx_max = max_pool2d_backward(self.mx, self.ex.dy)[0, 0]  # (H, W)
        self.dx_avg = avg_pool2d_backward(self.av, self.ex.dy)[0, 0]  # (H, W)
        self.window_size = int(self.av.counts[0, 0])  # k² taps: the divisor of every window

    # --- building blocks -------------------------------------------------------------------------------
    def headed(self, mob: Mobject, *lines: Mobject) -> VGroup:
        return column([*lines, mob], buff=theme.BUFF_SMALL, align="center")

    def head(self, key: str, color, **fmt) -> Mobject:
        return self.text(key, size=theme.SMALL, color=color, **fmt)

    def slots_of(self, hm: Heatmap) -> VGroup:
        """Empty cells where a map will fill in."""
        return VGroup(*[c.copy().set_fill(opacity=0).set_stroke(theme.GRID) for c in hm.cells])

    def window(self, i: int, j: int) -> Rectangle:
        p = self.params
        return window_box(self.x_map, p.stride * i, p.stride * j, p.kernel)

    def winner(self, i: int, j: int) -> Mobject:
        """The argmax of window (i, j), framed on the input (where lib's max pooling found it)."""
        r, q = int(self.mx.argmax_rows[0, 0, i, j]), int(self.mx.argmax_cols[0, 0, i, j])
        return SurroundingRectangle(self.x_map.cell_at(r, q), color=theme.OUTPUT, buff=0.0, stroke_width=4)

    def note(self, key: str, **fmt) -> Mobject:
        return to_safe(fit_width(self.text(key, size=theme.LABEL, color=theme.MUTED, **fmt)), DOWN)

    def walk(self, box: Rectangle, target: Heatmap, extra=None) -> None:
        """Move ``box`` over every window, revealing ``target``'s cell for it (and ``extra(i, j)``)."""
        n_r, n_c = target.shape
        for i in range(n_r):
            for j in range(n_c):
                self.play(box.animate.move_to(self.window(i, j)), run_time=STEP)
                shown = [fade_in(VGroup(target.cell_at(i, j), target.number_at(i, j)))]
                if extra is not None:
                    shown.append(Create(extra(i, j)))
                self.play(*shown, run_time=0.3)

    # --- beats -------------------------------------------------------------------------------------
    def show_max(self) -> None:
        p = self.params
        self.header = self.title_bar("title", "subtitle")
        o = self.mx.out.shape[-1]
        # four grids side by side at the end (x, δ, two gradients): one cell size that lets them fit
        cell = min(MAX_CELL, (SAFE.width - 3 * theme.BUFF_LARGE) / (3 * p.size + o))
        self.cell = cell
        self.x_map = int_grid(self.ex.x[0, 0], "x", theme.INPUT, cell)
        self.y_max = int_grid(self.mx.out[0, 0], "y_max", theme.OUTPUT, cell)
        self.y_avg = int_grid(self.av.out[0, 0], "y_avg", theme.OUTPUT, max(cell, DEC_CELL), fmt=_dec)
        x = self.headed(self.x_map, self.head("input", theme.INPUT))
        ymax = self.headed(VGroup(self.slots_of(self.y_max), self.y_max), self.head("max", theme.OUTPUT))
        yavg = self.headed(
            VGroup(self.slots_of(self.y_avg), self.y_avg),
            self.head("avg", theme.OUTPUT),
            self.head("avg_div", theme.MUTED, n=numbers.integer(self.window_size)),
        )
        size = self.head("window", theme.MUTED, k=p.kernel, s=p.stride)
        body = row([x, ymax, yavg], buff=theme.BUFF_SECTION + theme.BUFF_LARGE)
        fit_width(body)
        body.next_to(self.header, DOWN, buff=theme.BUFF_SECTION + theme.BUFF_LARGE).set_x(0)
        size.next_to(x, DOWN, buff=theme.BUFF)
        self.box = self.window(0, 0)
        self.winners = VGroup()
        with self.beat(
            "max",
            k=numbers.integer(p.kernel),
            s=numbers.integer(p.stride),
            h=numbers.integer(p.size),
            o=numbers.integer(o),
        ):
            self.play(fade_in(self.header))
            self.play(fade_in(x), fade_in(size), fade_in(ymax[0]), fade_in(ymax[1][0]))
            self.play(Create(self.box))

            def win(i: int, j: int) -> Mobject:
                w = self.winner(i, j)
                self.winners.add(w)
                return w

            self.walk(self.box, self.y_max, win)
            self.wait(HOLD)
        self.next_slide()
        self.x, self.size, self.ymax, self.yavg = x, size, ymax, yavg

    def show_avg(self) -> None:
        with self.beat("avg", n=numbers.integer(self.window_size)):
            self.play(fade_in(self.yavg[0]), fade_in(self.yavg[1]), fade_in(self.yavg[2][0]))
            self.walk(self.box, self.y_avg)
            self.play(fade_out(self.box))
            self.wait(HOLD)
        self.next_slide()

    def show_max_backward(self) -> None:
        self.dy = int_grid(self.ex.dy[0, 0], "delta", theme.GRAD, self.cell)
        self.gx_max = int_grid(self.dx_max, "dx_max", theme.GRAD, self.cell)
        self.gx_avg = int_grid(self.dx_avg, "dx_avg", theme.GRAD, self.cell, fmt=_dec)
        dy = self.headed(self.dy, self.head("delta", theme.GRAD))
        gmax = self.headed(self.gx_max, self.head("dx_max", theme.GRAD))
        gavg = self.headed(self.gx_avg, self.head("dx_avg", theme.GRAD))
        # x (with its winners) moves to the left edge; δ and the two input gradients line up beside it
        to_left = (SAFE.left - self.x.get_left()[0]) * RIGHT
        grads = row([dy, gmax, gavg], buff=theme.BUFF_LARGE, align="top")
        grads.next_to(self.x, RIGHT, buff=theme.BUFF_LARGE).align_to(self.x, UP).shift(to_left)
        # the winners stay framed on x; the same cells are framed on ∂L/∂x, where δ arrives
        routed = VGroup(
            *[
                SurroundingRectangle(
                    self.gx_max.cell_at(int(r), int(q)), color=theme.OUTPUT, buff=0.0, stroke_width=4
                )
                for r, q in zip(
                    self.mx.argmax_rows[0, 0].ravel(), self.mx.argmax_cols[0, 0].ravel(), strict=True
                )
            ]
        )
        with self.beat("delta"):
            self.play(fade_out(VGroup(self.ymax, self.yavg, self.size)))
            self.play(VGroup(self.x, self.winners).animate.shift(to_left))
            self.play(fade_in(dy))
            self.wait(HOLD)
        note = self.note("max_note")
        with self.beat("max_back"):
            self.play(fade_in(gmax), fade_in(routed), fade_in(note))
            self.wait(HOLD)
        self.next_slide()
        self.gavg, self.max_note = gavg, note

    def show_avg_backward(self) -> None:
        n = numbers.integer(self.window_size)
        note = self.note("avg_note", n=n)
        with self.beat("avg_back", n=n):
            self.play(fade_out(self.max_note), fade_in(self.gavg), fade_in(note))
            self.wait(HOLD)

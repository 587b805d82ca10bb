"""Gradient descent and conditioning: the narrow valley of an ill-conditioned quadratic, the step-size limit
2/λ_max, and momentum / Nesterov against the zig-zag (Goodfellow et al. 2016, §4.3.1 eq. 4.10, §8.3;
Polyak 1964; Sutskever et al. 2013, eq. 1-4)."""

from __future__ import annotations

import math

import numpy as np
from manim import DOWN, LEFT, RIGHT, Arrow, Create, Dot, VGroup, Write

from lib.core.contours import contour_segments, grid_values
from lib.training.conditioning import conditioning, distances, steps_to_tolerance
from lib.training.objectives import ill_conditioned_quadratic, optimize_2d, quadratic_matrix
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.anim import fade_in, fade_out
from scenes.kit.equation import Equation
from scenes.kit.formula import Num, formula, matrix_pieces
from scenes.kit.frame import SAFE, column, fit_width, row, to_safe
from scenes.kit.plot import Plot, legend, log_bounds
from scenes.kit.record import tag
from scenes.kit.table import NumberTable
from scenes.training.params.gradient_descent import VIEW
from scenes.training.params.gradient_descent import Params as GradientDescentParams

HOLD = theme.HOLD_BRIEF  # seconds to read a slide (scenes/kit/theme.py)
UNIT = 0.68  # scene units per unit of θ, the same along x and y, so that ellipses look like ellipses
LEVELS = 6  # contour lines, each a quarter of the value of the one outside it (equal spacing in distance ×2)
METHODS = ("sgd", "momentum", "nesterov")
FORMULA_SIZE = 34


def _lr(v: float) -> str:
    return numbers.fixed(v, 3)


def _decade(v: float) -> str:
    """A tick of the log distance axis: 1,000 … 0.01 as written, smaller ones in powers of ten."""
    return numbers.fixed(v, max(0, -round(math.log10(v))), grouped=True) if v >= 1e-3 else numbers.sci(v, 0)


def _tol(v: float) -> str:
    """0.001 as typed (the tolerance is a round number chosen by the lecturer)."""
    return f"{v:g}"


@register("training.gradient_descent")
class GradientDescent(LectureScene):
    """A narrow quadratic valley: its eigenvalues, the largest stable step, momentum against the zig-zag."""

    Params = GradientDescentParams

    EXAMPLES = (
        {"condition": 50.0, "angle": 15.0, "start": (-4.0, -1.5), "margin": 0.1, "limit_steps": 30,
         "lr": 0.025, "momentum": 0.8, "steps": 200, "tol": 0.01},
    )  # fmt: skip

    STRINGS = {
        "en": {
            "title": "Gradient descent and conditioning",
            "subtitle": "a narrow valley: one direction steep, the other flat",
            "kappa_note": "κ = λ_max / λ_min: how much steeper across than along",
            "limit_note": "along each eigenvector the error is multiplied by 1 − ηλ every step",
            "dist_axis": "distance to the minimum ‖θ − θ*‖",
            "step_axis": "step t",
            "below": "η = {lr}: converges",
            "above": "η = {lr}: diverges",
            "method_sgd": "gradient descent",
            "method_momentum": "momentum",
            "method_nesterov": "Nesterov",
            "col_method": "method",
            "col_steps": "steps",
            "count_note": "η = {lr}, μ = {mu}; steps until ‖θ − θ*‖ < {tol}",
            "never": "> {n}",
        },
        "zh": {
            "title": "梯度下降与条件数",
            "subtitle": "狭长的山谷：一个方向陡，另一个方向平",
            "kappa_note": "κ = λ_max / λ_min：横向比纵向陡多少倍",
            "limit_note": "沿每个特征向量，误差每一步都乘以 1 − ηλ",
            "dist_axis": "到最小值的距离 ‖θ − θ*‖",
            "step_axis": "步数 t",
            "below": "η = {lr}：收敛",
            "above": "η = {lr}：发散",
            "method_sgd": "梯度下降",
            "method_momentum": "动量法",
            "method_nesterov": "Nesterov",
            "col_method": "方法",
            "col_steps": "步数",
            "count_note": "η = {lr}，μ = {mu}；直到 ‖θ − θ*‖ < {tol} 所需步数",
            "never": "> {n}",
        },
    }

    # What the lecturer says per beat; every number comes in through a field the scene computed.
    NARRATION = {
        "en": {
            "valley": "Here is the simplest hard problem: a quadratic bowl squeezed into a narrow valley. "
            "Its contours are ellipses, and their axes are the eigenvectors of the matrix A.",
            "eigen": "The eigenvalues are the curvatures: {lam_min} along the valley floor, {lam_max} across "
            "it. Their ratio, the condition number kappa, is {kappa}.",
            "limit": "A gradient step multiplies the error along each eigenvector by one minus eta times "
            "lambda. Across the valley that factor stays smaller than one in size only while eta is below "
            "two over lambda max, here {lr_limit}.",
            "zigzag": "Just below, at {lr_below}, every step overshoots the floor and lands on the other "
            "side, a zig-zag that still shrinks. Just above, at {lr_above}, every overshoot is larger than "
            "the last, and the run diverges.",
            "momentum": "So the steep direction caps the step, and along the flat floor gradient descent "
            "crawls. Momentum keeps a running sum of past steps: the back and forth across the valley "
            "cancels, the steady pull along the floor adds up. Nesterov takes the gradient where momentum "
            "is about to carry it, which damps the swing sooner.",
            "count": "With the same step {lr} and momentum {mu}, gradient descent needs {n_sgd} steps to get "
            "within {tol} of the minimum, heavy-ball momentum {n_momentum}, and Nesterov {n_nesterov}.",
        },
        "zh": {
            "valley": "先看一个最简单却很难的问题：一个被压成狭长山谷的二次函数。它的等高线是椭圆，"
            "椭圆的轴就是矩阵 A 的特征向量。",
            "eigen": "特征值就是曲率：沿谷底是 {lam_min}，横跨山谷是 {lam_max}。两者之比就是条件数 κ，"
            "这里是 {kappa}。",
            "limit": "梯度下降每走一步，沿每个特征向量的误差都乘以一减 η 乘 λ。横跨山谷的方向上，"
            "只有当 η 小于二除以 λ 最大值，也就是 {lr_limit} 时，这个因子的绝对值才小于一。",
            "zigzag": "步长略小于它，取 {lr_below}，每一步都冲过谷底落到对面，来回折返，但越来越小。"
            "步长略大于它，取 {lr_above}，每次冲过头都比上一次更远，于是发散。",
            "momentum": "所以陡的方向限制了步长，而在平坦的谷底，梯度下降只能慢慢爬。"
            "动量法把过去的步子累加起来：横跨山谷的来回摆动相互抵消，沿谷底的稳定推力不断累积。"
            "Nesterov 在动量即将带它去的地方求梯度，"
            "更早地抑制摆动。",
            "count": "同样的步长 {lr}、动量 {mu}，梯度下降要走 {n_sgd} 步才能离最小值小于 {tol}，"
            "重球动量法要 {n_momentum} 步，Nesterov 要 {n_nesterov} 步。",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.show_valley()
        self.show_limit()
        self.show_momentum()

    # --- numbers (all from lib/) -----------------------------------------------------------------
    def compute(self) -> None:
        p = self.params
        phi = math.radians(p.angle)
        self.fn = ill_conditioned_quadratic(p.condition, phi)
        self.A = quadratic_matrix(p.condition, phi)  # (2, 2)
        self.cond = conditioning(self.A)
        c = self.cond
        self.lr_below, self.lr_above = (1 - p.margin) * c.lr_limit, (1 + p.margin) * c.lr_limit
        self.limit_runs = {
            "below": optimize_2d("sgd", self.fn, p.start, p.limit_steps, self.lr_below),
            "above": optimize_2d("sgd", self.fn, p.start, p.limit_steps, self.lr_above),
        }
        self.limit_dist = {k: distances(r.points, self.fn.minimum) for k, r in self.limit_runs.items()}
        hp = {
            "sgd": {},
            "momentum": {"momentum": p.momentum},
            "nesterov": {"momentum": p.momentum, "nesterov": True},
        }
        self.runs = {m: optimize_2d("sgd", self.fn, p.start, p.steps, p.lr, **hp[m]) for m in METHODS}
        self.to_tol = {m: steps_to_tolerance(r.points, self.fn.minimum, p.tol) for m, r in self.runs.items()}
        self.grid = grid_values(self.fn.value, VIEW[0], VIEW[1], 101)

    # --- building blocks -------------------------------------------------------------------------------
    def note(self, key: str, **fmt) -> VGroup:
        """A muted caption under the contour plot."""
        note = fit_width(self.text(key, size=theme.SMALL, color=theme.MUTED, **fmt), self.plot.width)
        return note.next_to(self.plot, DOWN, buff=theme.BUFF_LARGE).align_to(self.plot, LEFT)

    def path(self, points: np.ndarray, color, key: str):
        """A trajectory as one line through θ_0 … θ_T, cut where it first leaves the window (a diverging run
        would run off the frame); its vertices are tagged ``key`` with the θ read back from the axes."""
        (x0, x1), (y0, y1) = VIEW
        out = ~((points[:, 0] >= x0) & (points[:, 0] <= x1) & (points[:, 1] >= y0) & (points[:, 1] <= y1))
        n = int(np.argmax(out)) if out.any() else len(points)  # the points before the first one outside
        return self.plot.series(points[:n, 0], points[:n, 1], color, key=key, dots=False, width=3)

    def steps_text(self, m: str) -> str:
        n = self.to_tol[m]
        return numbers.integer(n) if n is not None else self.t("never", n=numbers.integer(self.params.steps))

    # --- beats -------------------------------------------------------------------------------------
    def show_valley(self) -> None:
        p, c = self.params, self.cond
        self.header = self.title_bar("title", "subtitle")
        (x0, x1), (y0, y1) = VIEW
        self.plot = Plot(
            (x0, x1, 1), (y0, y1, 1), width=UNIT * (x1 - x0), height=UNIT * (y1 - y0),
            x_ticks=[-4, -2, 2, 4], y_ticks=[-2, 2], x_label="x", y_label="y",
        )  # fmt: skip
        self.plot.next_to(self.header, DOWN, buff=theme.BUFF_LARGE)
        to_safe(self.plot, LEFT)
        xs, ys, z = self.grid
        f0 = float(self.fn.value(np.asarray(p.start)))
        contours = VGroup(
            *[
                self.plot.segments(contour_segments(z, xs, ys, f0 * 0.25**k), theme.GRID, width=2)
                for k in range(-1, LEVELS - 1)
            ]
        )
        centre = self.plot.c2p(*self.fn.minimum)
        arrows, arrow_labels = VGroup(), VGroup()
        for i, name in ((0, "λ_min"), (1, "λ_max")):
            v = c.eigenvectors[:, i] * (2.2 if i == 0 else 1.3)  # drawn lengths: the floor's arrow the longer
            v = v if v[0] >= 0 else -v  # point right, into the half of the plot without the start
            a = Arrow(centre, self.plot.c2p(*(self.fn.minimum + v)), buff=0, color=theme.FG, stroke_width=4)
            lab = self.plain(name, size=theme.SMALL, color=theme.FG)
            out = (a.get_end() - a.get_start()) / np.linalg.norm(a.get_end() - a.get_start())
            lab.next_to(a.get_end(), out, buff=theme.BUFF_TIGHT)  # beyond the tip, along the arrow
            arrows.add(a)
            arrow_labels.add(lab)
        self.start_dot = Dot(self.plot.c2p(*p.start), radius=0.08, color=theme.FG)
        self.min_dot = Dot(centre, radius=0.08, color=theme.ACCENT)
        self.contours = contours

        eq = Equation(
            r"f(\theta) = \tfrac{1}{2}\,(\theta - \theta^*)^T A\,(\theta - \theta^*)",
            terms=[r"\theta^*"], colors={r"\theta^*": theme.ACCENT}, font_size=FORMULA_SIZE,
        )  # fmt: skip
        a_mat = formula("A = ", *matrix_pieces(self.A, key="A", digits=2), font_size=FORMULA_SIZE)
        lam = formula(
            r"\lambda_{\min} =", Num(float(c.eigenvalues[0]), "lam_min"), r",\quad \lambda_{\max} =",
            Num(float(c.eigenvalues[1]), "lam_max"), font_size=FORMULA_SIZE,
        )  # fmt: skip
        kappa = formula(
            r"\kappa = \lambda_{\max} / \lambda_{\min} =", Num(c.condition, "kappa", digits=1),
            font_size=FORMULA_SIZE, color=theme.ACCENT,
        )  # fmt: skip
        kappa_note = self.text("kappa_note", size=theme.SMALL, color=theme.MUTED)
        panel = column([eq, a_mat, lam, kappa, kappa_note], buff=theme.BUFF)
        fit_width(panel, SAFE.right - self.plot.get_right()[0] - theme.BUFF_LARGE)
        panel.next_to(self.header, DOWN, buff=theme.BUFF_LARGE)
        to_safe(panel, RIGHT)
        with self.beat("valley"):
            self.play(fade_in(self.header))
            self.play(Create(self.plot), Create(contours), fade_in(self.min_dot))
            self.play(Write(eq), fade_in(a_mat))
            self.wait(HOLD)
        with self.beat(
            "eigen",
            lam_min=numbers.fixed(c.eigenvalues[0], 2),
            lam_max=numbers.fixed(c.eigenvalues[1], 2),
            kappa=numbers.fixed(c.condition, 1),
        ):
            self.play(*[Create(a) for a in arrows], fade_in(arrow_labels))
            self.play(fade_in(lam), fade_in(kappa), fade_in(kappa_note))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(VGroup(panel, arrows, arrow_labels)))

    def show_limit(self) -> None:
        p, c, d = self.params, self.cond, self.limit_dist
        lim = formula(
            r"\eta < 2 / \lambda_{\max} =", Num(c.lr_limit, "lr_limit", digits=3),
            font_size=FORMULA_SIZE, color=theme.ACCENT,
        )  # fmt: skip
        values = np.concatenate([d["below"], d["above"]])
        dplot = Plot(
            (0, p.limit_steps, 10), log_bounds(values), width=4.6, height=2.5, y_scale="log",
            y_format=_decade, x_label=self.t("step_axis"), y_label=self.t("dist_axis"),
        )  # fmt: skip
        leg = legend(
            [(self.t("below", lr=_lr(self.lr_below)), theme.OPTIMIZER["sgd"]),
             (self.t("above", lr=_lr(self.lr_above)), theme.ACCENT)],
        )  # fmt: skip
        tag(leg[0][1], "below", self.lr_below)
        tag(leg[1][1], "above", self.lr_above)
        panel = column([lim, dplot, leg], buff=theme.BUFF_LARGE)
        fit_width(panel, SAFE.right - self.plot.get_right()[0] - theme.BUFF_LARGE)
        panel.next_to(self.header, DOWN, buff=theme.BUFF_LARGE)
        to_safe(panel, RIGHT)
        steps = np.arange(p.limit_steps + 1)  # the series go where the plot now stands
        below = dplot.series(steps, d["below"], theme.OPTIMIZER["sgd"], key="dist_below", dots=False)
        above = dplot.series(steps, d["above"], theme.ACCENT, key="dist_above", dots=False)
        note = self.note("limit_note")
        path_below = self.path(self.limit_runs["below"].points, theme.OPTIMIZER["sgd"], "path_below")
        path_above = self.path(self.limit_runs["above"].points, theme.ACCENT, "path_above")
        with self.beat("limit", lr_limit=_lr(c.lr_limit)):
            self.play(fade_in(lim), fade_in(note), fade_in(self.start_dot))
            self.wait(HOLD)
        with self.beat("zigzag", lr_below=_lr(self.lr_below), lr_above=_lr(self.lr_above)):
            self.play(Create(dplot), fade_in(leg))
            self.play(path_below.grow(run_time=2.0), below.grow(run_time=2.0))
            self.play(path_above.grow(run_time=2.0), above.grow(run_time=2.0))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(VGroup(panel, below, above, note, path_below, path_above)))

    def show_momentum(self) -> None:
        p = self.params
        colors = {m: theme.OPTIMIZER[m] for m in METHODS}
        rules = VGroup(
            Equation(r"b \leftarrow \mu\, b + g,\quad \theta \leftarrow \theta - \eta\, b",
                     font_size=FORMULA_SIZE, color=colors["momentum"]),
            Equation(r"b \leftarrow \mu\, b + g,\quad \theta \leftarrow \theta - \eta\,(g + \mu\, b)",
                     font_size=FORMULA_SIZE, color=colors["nesterov"]),
        )  # fmt: skip
        names = [self.text(f"method_{m}", size=theme.LABEL, color=colors[m]) for m in METHODS]
        rule_rows = VGroup(
            *[row([names[i], rules[i - 1]], buff=theme.BUFF, align="center") for i in (1, 2)]
        )  # the update rules, each beside the name of its method
        table = NumberTable(
            [[self.t(f"method_{m}") for m in METHODS], [self.steps_text(m) for m in METHODS]],
            header=[self.t("col_method"), self.t("col_steps")],
            colors=[theme.FG, theme.FG],
            keys=[None, "steps_to_tol"],
        )
        for i, m in enumerate(METHODS):  # each method's name in its colour
            table.get_entries((i + 2, 1)).set_color(colors[m])
        caption = self.text(
            "count_note", size=theme.SMALL, color=theme.MUTED,
            lr=_lr(p.lr), mu=numbers.fixed(p.momentum, 2), tol=_tol(p.tol),
        )  # fmt: skip
        tag(caption, "count_note", (p.lr, p.momentum, p.tol))
        rule_block = column(list(rule_rows), buff=theme.BUFF)
        panel = column([rule_block, caption, table], buff=theme.BUFF_LARGE)
        fit_width(panel, SAFE.right - self.plot.get_right()[0] - theme.BUFF_LARGE)
        panel.next_to(self.header, DOWN, buff=theme.BUFF_LARGE)
        to_safe(panel, RIGHT)
        paths = [self.path(self.runs[m].points, colors[m], f"path_{m}") for m in METHODS]
        with self.beat("momentum"):
            self.play(paths[0].grow(run_time=2.0))
            self.play(fade_in(rule_block))
            self.play(paths[1].grow(run_time=2.0), paths[2].grow(run_time=2.0))
            self.wait(HOLD)
        with self.beat(
            "count",
            lr=_lr(p.lr),
            mu=numbers.fixed(p.momentum, 2),
            tol=_tol(p.tol),
            **{f"n_{m}": self.steps_text(m) for m in METHODS},
        ):
            self.play(fade_in(caption), fade_in(table))
            self.wait(HOLD)

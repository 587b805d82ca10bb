"""The optimiser race: SGD, momentum, Adam, AdamW and Lion from one start on the Rosenbrock function
(Rosenbrock 1960): paths over log-spaced contours, the loss per step on a log axis, and where each ends
(Sutskever et al. 2013, eq. 1-4; Kingma & Ba 2015, Alg. 1; Loshchilov & Hutter 2019, Alg. 2; Chen et al.
2023, Alg. 1)."""

from __future__ import annotations

from typing import Any

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Create, Dot, VGroup, Write

from lib.core.contours import contour_segments, grid_values
from lib.training.conditioning import distances
from lib.training.objectives import Trajectory2D, optimize_2d, rosenbrock
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.anim import fade_in, fade_out
from scenes.kit.equation import Equation
from scenes.kit.frame import SAFE, column, fit_width, row, to_safe
from scenes.kit.plot import Plot, legend, log_bounds
from scenes.kit.record import tag
from scenes.kit.table import NumberTable
from scenes.training.params.optimizer_race import ADAM_BETAS, LION_BETAS, RACERS, VIEW
from scenes.training.params.optimizer_race import Params as OptimizerRaceParams

HOLD = theme.HOLD_BRIEF  # seconds to read a slide (scenes/kit/theme.py)
UNIT = 2.15  # scene units per unit of θ, the same along x and y (the valley keeps its true shape)
LEVELS = [10.0 ** (k / 2) for k in range(-2, 6)]  # 0.1 … 316: log-spaced, as the loss spans decades
FORMULA_SIZE = 34
DIST_DIGITS = 3


def _lr(v: float) -> str:
    """A learning rate as typed: 0.001, 0.1, 0.007."""
    return f"{v:g}"


def _betas(b: tuple[float, float]) -> str:
    """β1, β2 as typed: 0.9, 0.999."""
    return f"{b[0]:g}, {b[1]:g}"


def _dist(v: float) -> str:
    return numbers.fixed(v, DIST_DIGITS)


@register("training.optimizer_race")
class OptimizerRace(LectureScene):
    """Five optimisers from one start on Rosenbrock's curved valley: paths, loss per step, final distance."""

    Params = OptimizerRaceParams

    EXAMPLES = (
        {"start": (-1.0, 1.4), "steps": 250, "lr_sgd": 0.002, "lr_momentum": 5e-4, "momentum": 0.95,
         "lr_adam": 0.05, "lr_adamw": 0.05, "weight_decay": 0.3, "lr_lion": 0.012},
    )  # fmt: skip

    STRINGS = {
        "en": {
            "title": "The optimiser race",
            "subtitle": "five optimisers, one start, Rosenbrock's curved valley",
            "name_sgd": "SGD",
            "name_momentum": "momentum",
            "name_adam": "Adam",
            "name_adamw": "AdamW",
            "name_lion": "Lion",
            "col_name": "optimiser",
            "col_lr": "η",
            "col_extra": "other settings",
            "extra_sgd": "",
            "extra_momentum": "μ = {mu}",
            "extra_adam": "β = {betas}",
            "extra_adamw": "λ = {wd}",
            "extra_lion": "β = {betas}",
            "minimum": "minimum {point}",
            "start": "start",
            "loss_axis": "loss f(θₜ)",
            "step_axis": "step t",
            "col_loss": "final loss",
            "col_dist": "distance to minimum",
            "after": "after {n} steps",
            "torch": "every path computed by lib/ in NumPy; the tests check it against torch.optim to 1e-10",
        },
        "zh": {
            "title": "优化器赛跑",
            "subtitle": "五个优化器，同一个起点，Rosenbrock 的弯曲山谷",
            "name_sgd": "SGD",
            "name_momentum": "动量法",
            "name_adam": "Adam",
            "name_adamw": "AdamW",
            "name_lion": "Lion",
            "col_name": "优化器",
            "col_lr": "η",
            "col_extra": "其他超参数",
            "extra_sgd": "",
            "extra_momentum": "μ = {mu}",
            "extra_adam": "β = {betas}",
            "extra_adamw": "λ = {wd}",
            "extra_lion": "β = {betas}",
            "minimum": "最小值 {point}",
            "start": "起点",
            "loss_axis": "损失 f(θₜ)",
            "step_axis": "步数 t",
            "col_loss": "最终损失",
            "col_dist": "到最小值的距离",
            "after": "{n} 步之后",
            "torch": "每条路径都由 lib/ 用 NumPy 算出；测试检查它与 torch.optim 相差不到 1e-10",
        },
    }

    # What the lecturer says per beat; every number comes in through a field the scene computed.
    NARRATION = {
        "en": {
            "setup": "The Rosenbrock function is a long, curved valley with its minimum at {minimum}. "
            "Getting into the valley is easy; following its bend to the end is hard. Five optimisers start "
            "from the same point, each with a learning rate typical for it.",
            "race": "Plain SGD drops into the valley and then crawls: the floor is nearly flat. Momentum "
            "gathers speed along the bend. Adam divides each step by the gradient's running size, so it "
            "moves at about its learning rate whatever the slope. Lion keeps only the sign: every "
            "coordinate moves by exactly its learning rate.",
            "loss": "On a log scale the loss tells the same story: a quick drop into the valley, then very "
            "different speeds along it.",
            "results": "After {steps} steps {best} is closest, {best_dist} from the minimum, and plain SGD "
            "is still {sgd_dist} away. AdamW stops at {adamw_dist}: its weight decay keeps pulling towards "
            "zero, and this minimum is not at zero.",
            "torch": "Every path here comes from our own NumPy code, and the tests check that it matches "
            "PyTorch's optimisers step for step, to ten decimal places.",
        },
        "zh": {
            "setup": "Rosenbrock 函数是一条又长又弯的山谷，最小值在 {minimum}。进入山谷很容易，"
            "沿着弯道一直走到底却很难。五个优化器从同一个点出发，各自用一个典型的学习率。",
            "race": "普通 SGD 掉进山谷后就只能慢慢爬，因为谷底几乎是平的。动量法沿着弯道越走越快。"
            "Adam 把每一步除以梯度的滑动幅度，所以不管坡度如何，步子都接近学习率。"
            "Lion 只保留符号：每个坐标每步都正好移动一个学习率。",
            "loss": "在对数坐标下，损失曲线讲的是同一个故事：先迅速掉进山谷，然后沿谷底的速度大不相同。",
            "results": "{steps} 步之后，{best} 离最小值最近，只差 {best_dist}；普通 SGD 还差 {sgd_dist}。"
            "AdamW 停在 {adamw_dist}：权重衰减一直把参数往零拉，而这个最小值并不在零点。",
            "torch": "这里的每条路径都来自我们自己的 NumPy 代码，测试逐步检查它与 PyTorch 的优化器一致，"
            "误差在小数点后十位以内。",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.show_course()
        self.show_race()
        self.show_results()

    # --- numbers (all from lib/) -----------------------------------------------------------------
    def compute(self) -> None:
        p = self.params
        self.fn = rosenbrock()
        setups: dict[str, tuple[str, float, dict[str, Any]]] = {
            "sgd": ("sgd", p.lr_sgd, {}),
            "momentum": ("sgd", p.lr_momentum, {"momentum": p.momentum}),
            "adam": ("adam", p.lr_adam, {"betas": ADAM_BETAS}),
            "adamw": ("adamw", p.lr_adamw, {"betas": ADAM_BETAS, "weight_decay": p.weight_decay}),
            "lion": ("lion", p.lr_lion, {"betas": LION_BETAS}),
        }
        self.lrs = {k: lr for k, (_, lr, _) in setups.items()}
        self.runs: dict[str, Trajectory2D] = {
            k: optimize_2d(name, self.fn, p.start, p.steps, lr, **hp) for k, (name, lr, hp) in setups.items()
        }
        self.dist = {k: float(distances(r.points, self.fn.minimum)[-1]) for k, r in self.runs.items()}
        self.best = min(RACERS, key=lambda k: self.dist[k])  # a selection: the racer that ended closest
        self.grid = grid_values(self.fn.value, VIEW[0], VIEW[1], 161)

    # --- building blocks -------------------------------------------------------------------------------
    def name(self, k: str, size: int = theme.LABEL):
        return self.text(f"name_{k}", size=size, color=theme.OPTIMIZER[k])

    def path(self, points: np.ndarray, color, key: str):
        """A trajectory as one line through θ_0 … θ_T, cut where it first leaves the window; its vertices
        are tagged ``key`` with the θ read back from the axes."""
        (x0, x1), (y0, y1) = VIEW
        out = ~((points[:, 0] >= x0) & (points[:, 0] <= x1) & (points[:, 1] >= y0) & (points[:, 1] <= y1))
        n = int(np.argmax(out)) if out.any() else len(points)  # the points before the first one outside
        return self.plot.series(points[:n, 0], points[:n, 1], color, key=key, dots=False, width=3)

    def minimum_label(self) -> str:
        return self.t("minimum", point=_pair(self.fn.minimum))

    # --- beats -------------------------------------------------------------------------------------
    def show_course(self) -> None:
        p = self.params
        self.header = self.title_bar("title", "subtitle")
        (x0, x1), (y0, y1) = VIEW
        self.plot = Plot(
            (x0, x1, 0.5), (y0, y1, 0.5), width=UNIT * (x1 - x0), height=UNIT * (y1 - y0),
            x_ticks=[-1, 0, 1], y_ticks=[0, 1], x_label="x", y_label="y", label_origin=True,
        )  # fmt: skip
        self.plot.next_to(self.header, DOWN, buff=theme.BUFF_LARGE)
        to_safe(self.plot, LEFT)
        xs, ys, z = self.grid
        contours = VGroup(
            *[self.plot.segments(contour_segments(z, xs, ys, lv), theme.GRID, width=2) for lv in LEVELS]
        )
        self.start_dot = Dot(self.plot.c2p(*p.start), radius=0.08, color=theme.FG)
        start_label = self.text("start", size=theme.SMALL, color=theme.FG)
        start_label.next_to(self.start_dot, UP, buff=theme.BUFF_TIGHT)
        min_dot = Dot(self.plot.c2p(*self.fn.minimum), radius=0.08, color=theme.ACCENT)
        min_label = self.plain(self.minimum_label(), size=theme.SMALL, color=theme.ACCENT)
        min_label.next_to(min_dot, UP, buff=theme.BUFF_SMALL)
        tag(min_label, "minimum", tuple(self.fn.minimum))

        eq = Equation(r"f(x, y) = (1 - x)^2 + 100\,(y - x^2)^2", font_size=FORMULA_SIZE)
        extras = {
            "sgd": self.t("extra_sgd"),
            "momentum": self.t("extra_momentum", mu=numbers.fixed(p.momentum, 2)),
            "adam": self.t("extra_adam", betas=_betas(ADAM_BETAS)),
            "adamw": self.t("extra_adamw", wd=_lr(p.weight_decay)),
            "lion": self.t("extra_lion", betas=_betas(LION_BETAS)),
        }
        table = NumberTable(
            [
                [self.t(f"name_{k}") for k in RACERS],
                [_lr(self.lrs[k]) for k in RACERS],
                [extras[k] for k in RACERS],
            ],
            header=[self.t("col_name"), self.t("col_lr"), self.t("col_extra")],
            keys=[None, "lr", "extra"],
        )
        for i, k in enumerate(RACERS):
            table.get_entries((i + 2, 1)).set_color(theme.OPTIMIZER[k])
        panel = column([eq, table], buff=theme.BUFF_LARGE)
        fit_width(panel, SAFE.right - self.plot.get_right()[0] - theme.BUFF_LARGE)
        panel.next_to(self.header, DOWN, buff=theme.BUFF_LARGE)
        to_safe(panel, RIGHT)
        with self.beat("setup", minimum=_pair(self.fn.minimum)):
            self.play(fade_in(self.header))
            self.play(Create(self.plot), Create(contours), fade_in(min_dot, min_label))
            self.play(Write(eq), fade_in(self.start_dot, start_label))
            self.play(fade_in(table))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(VGroup(panel, start_label)))
        self.min_label = min_label

    def show_race(self) -> None:
        p = self.params
        values = np.concatenate([r.values for r in self.runs.values()])
        lplot = Plot(
            (0, p.steps, 100 if p.steps >= 300 else 50), log_bounds(values), width=4.2, height=3.4,
            y_scale="log", y_format=_decade, x_label=self.t("step_axis"), y_label=self.t("loss_axis"),
        )  # fmt: skip
        leg = legend([(self.t(f"name_{k}"), theme.OPTIMIZER[k]) for k in RACERS])
        panel = row([lplot, leg], buff=theme.BUFF_LARGE, align="center")
        fit_width(panel, SAFE.right - self.plot.get_right()[0] - theme.BUFF_LARGE)
        panel.next_to(self.header, DOWN, buff=theme.BUFF_LARGE)
        to_safe(panel, RIGHT)
        steps = np.arange(p.steps + 1)  # the series go where the plot now stands
        curves = [
            lplot.series(steps, self.runs[k].values, theme.OPTIMIZER[k], key=f"loss_{k}", dots=False, width=3)
            for k in RACERS
        ]
        paths = [self.path(self.runs[k].points, theme.OPTIMIZER[k], f"path_{k}") for k in RACERS]
        with self.beat("race"):
            self.play(*[pth.grow(run_time=3.0) for pth in reversed(paths)])  # SGD's short path on top
            self.wait(HOLD)
        with self.beat("loss"):
            self.play(Create(lplot), fade_in(leg))
            self.play(*[c.grow(run_time=2.0) for c in curves])
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(VGroup(panel, *curves)))

    def show_results(self) -> None:
        p = self.params
        ends = self.plot.scatter(
            [self.runs[k].points[-1, 0] for k in RACERS], [self.runs[k].points[-1, 1] for k in RACERS],
            theme.FG, key="end",
        )  # fmt: skip
        for dot, k in zip(ends, RACERS, strict=True):
            dot.set_color(theme.OPTIMIZER[k])
        table = NumberTable(
            [[self.t(f"name_{k}") for k in RACERS], [self.runs[k].values[-1] for k in RACERS],
             [self.dist[k] for k in RACERS]],
            header=[self.t("col_name"), self.t("col_loss"), self.t("col_dist")],
            formats=[str, lambda v: numbers.sci(v, 1), _dist],
            keys=[None, "final_loss", "final_dist"],
        )  # fmt: skip
        for i, k in enumerate(RACERS):
            table.get_entries((i + 2, 1)).set_color(theme.OPTIMIZER[k])
        after = self.text("after", size=theme.LABEL, color=theme.MUTED, n=numbers.integer(p.steps))
        tag(after, "after", p.steps)
        panel = column([after, table], buff=theme.BUFF)
        fit_width(panel, SAFE.right - self.plot.get_right()[0] - theme.BUFF_LARGE)
        panel.next_to(self.header, DOWN, buff=theme.BUFF_LARGE)
        to_safe(panel, RIGHT)
        note = to_safe(fit_width(self.text("torch", size=theme.SMALL, color=theme.MUTED)), DOWN)
        with self.beat(
            "results",
            steps=numbers.integer(p.steps),
            best=self.t(f"name_{self.best}"),
            best_dist=_dist(self.dist[self.best]),
            sgd_dist=_dist(self.dist["sgd"]),
            adamw_dist=_dist(self.dist["adamw"]),
        ):
            self.play(fade_in(ends), fade_in(after), fade_in(table))
            self.wait(HOLD)
        with self.beat("torch"):
            self.play(fade_in(note))
            self.wait(HOLD)


def _pair(v: np.ndarray) -> str:
    """A point as written under its dot: (1, 1)."""
    return f"({numbers.fixed(v[0], 0)}, {numbers.fixed(v[1], 0)})"


def _decade(v: float) -> str:
    """A tick of the log loss axis: 100 … 0.01 as written, smaller ones in powers of ten."""
    return numbers.fixed(v, max(0, -round(np.log10(v))), grouped=True) if v >= 1e-3 else numbers.sci(v, 0)

"""Overfitting, measured: the training and validation loss of a small network on few noisy examples, the
early-stopping point, and what weight decay and dropout change (real runs, trained once by
``lib.models.runs``, read from ``overfitting.npz``).

Prechelt 1998, "Early Stopping — But When?" §2.1 (patience); Loshchilov & Hutter 2019, "Decoupled Weight
Decay Regularization", Alg. 2 line 12 (AdamW's decay); Srivastava et al. 2014, "Dropout", §4.
"""

from __future__ import annotations

from manim import DOWN, LEFT, RIGHT, UP, Create, FadeIn, FadeOut, Rectangle, VGroup

from lib.models.run_configs import OVERFIT_RUNS, VARIANTS
from lib.models.store import load_arrays
from lib.training.early_stopping import early_stopping, final_gap
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.frame import SAFE, below, column, fit_width, row, to_safe
from scenes.kit.plot import Plot, legend, nice_range
from scenes.kit.table import NumberTable
from scenes.training.params.overfitting import Params as OverfittingParams

HOLD = theme.HOLD  # seconds to read a slide (scenes/kit/theme.py)


def _loss(v: float) -> str:
    return numbers.fixed(v, 3)


@register("training.overfitting")
class Overfitting(LectureScene):
    """Train and validation curves of a real overfitting run; early stopping; weight decay and dropout."""

    Params = OverfittingParams
    EXAMPLES = ({"patience": 25, "min_delta": 0.002},)

    STRINGS = {
        "en": {
            "title": "Overfitting",
            "subtitle": "when the training loss keeps falling and the validation loss does not",
            "setup": "MLP {dim} → {h} → {h} → 2,  {n} training examples ({noise} of labels flipped),  "
            "{n_val} validation examples",
            "train": "training loss",
            "val": "validation loss",
            "epoch_axis": "epoch",
            "loss_axis": "cross-entropy loss",
            "best": "lowest: epoch {e}",
            "stop": "stop: epoch {e}",
            "patience": "patience {p} epochs",
            "min_delta": "an improvement must beat the best by {d}",
            "keep": "keep the weights of epoch {e}",
            "plain": "no regularisation",
            "weight_decay": "weight decay λ = {wd}",
            "dropout": "dropout p = {p}",
            "col_run": "run",
            "col_best": "lowest val. loss",
            "col_epoch": "at epoch",
            "col_train": "final train",
            "col_val": "final val.",
            "col_gap": "gap",
        },
        "zh": {
            "title": "过拟合",
            "subtitle": "训练损失一直下降，验证损失却不再下降",
            "setup": "MLP {dim} → {h} → {h} → 2，{n} 个训练样本（{noise} 的标签被翻转），{n_val} 个验证样本",
            "train": "训练损失",
            "val": "验证损失",
            "epoch_axis": "轮次",
            "loss_axis": "交叉熵损失",
            "best": "最低：第 {e} 轮",
            "stop": "停止：第 {e} 轮",
            "patience": "耐心值 {p} 轮",
            "min_delta": "改进须超过最优值 {d}",
            "keep": "保留第 {e} 轮的权重",
            "plain": "不加正则化",
            "weight_decay": "权重衰减 λ = {wd}",
            "dropout": "dropout p = {p}",
            "col_run": "训练",
            "col_best": "最低验证损失",
            "col_epoch": "轮次",
            "col_train": "最终训练损失",
            "col_val": "最终验证损失",
            "col_gap": "差距",
        },
    }

    NARRATION = {
        "en": {
            "curves": "Here is a run that overfits, measured rather than sketched: a small network "
            "trained on only {n} examples, some with wrong labels. After {epochs} epochs the training "
            "loss is down to {train_end}, but the validation loss has climbed back to {val_end}.",
            "memorise": "The network first learns the real pattern, so both losses fall. Then it starts "
            "memorising the training set, wrong labels included, and that knowledge does not carry over "
            "to new examples.",
            "early_stop": "Early stopping watches the validation loss. Its lowest value, {best_loss}, "
            "comes at epoch {best}. With a patience of {patience} epochs, training stops at epoch {stop}, "
            "and we keep the weights from epoch {best}.",
            "regularise": "Now the same network, from the same initial weights, once with weight decay "
            "and once with dropout. Both make memorising harder: decay pulls every weight toward zero, "
            "dropout silences random units at every step.",
            "table": "Without help, the validation loss ends {gap_plain} above the training loss. "
            "Weight decay shrinks that gap to {gap_wd}, dropout to {gap_do}. The lowest validation "
            "loss, {best_low}, belongs to the run with {best_run}.",
        },
        "zh": {
            "curves": "这是一次真实测得的过拟合训练，而不是示意图："
            "一个小网络只用 {n} 个样本训练，其中一些标签是错的。"
            "训练 {epochs} 轮后，训练损失降到 {train_end}，"
            "验证损失却回升到了 {val_end}。",
            "memorise": "网络先学到真正的规律，所以两条曲线一起下降。"
            "随后它开始死记训练集，连错误的标签也一并记住，"
            "而这些记忆对新样本毫无帮助。",
            "early_stop": "早停盯着验证损失。它的最低值 {best_loss} 出现在第 {best} 轮。"
            "耐心值为 {patience} 轮时，训练在第 {stop} 轮停止，"
            "我们保留第 {best} 轮的权重。",
            "regularise": "再看同一个网络、同一组初始权重，分别加上权重衰减和 dropout。"
            "两者都让死记变难：权重衰减把每个权重拉向零，"
            "dropout 在每一步随机关掉一些单元。",
            "table": "不加正则化时，最终验证损失比训练损失高 {gap_plain}。"
            "权重衰减把这个差距缩小到 {gap_wd}，dropout 缩小到 {gap_do}。"
            "最低的验证损失 {best_low} 来自“{best_run}”这次训练。",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.show_curves()
        self.show_early_stop()
        self.show_regularisers()

    # --- numbers (the committed runs; early stopping and gaps from lib/) ----------------------------------
    def compute(self) -> None:
        p = self.params
        self.cfg = OVERFIT_RUNS
        data = load_arrays("overfitting.npz")
        self.epochs = data["epoch"]  # (E+1,)  0 = before training
        self.train = {v: data[f"{v}_train_loss"] for v in VARIANTS}  # (E+1,) each
        self.val = {v: data[f"{v}_val_loss"] for v in VARIANTS}  # (E+1,) each
        self.stop = early_stopping(self.val["plain"], p.patience, p.min_delta)
        self.lowest = {v: early_stopping(self.val[v], len(self.epochs)) for v in VARIANTS}  # never fires
        self.gap = {v: final_gap(self.train[v], self.val[v]) for v in VARIANTS}

    def _run_name(self, v: str) -> str:
        c = self.cfg
        return self.t(v, wd=numbers.fixed(c.weight_decay, 0), p=numbers.fixed(c.dropout, 1))

    # --- beats ---------------------------------------------------------------------------------------------
    def show_curves(self) -> None:
        c = self.cfg
        self.header = self.title_bar("title", "subtitle")
        setup = self.text(
            "setup",
            size=theme.SMALL,
            color=theme.MUTED,
            dim=numbers.integer(c.dim),
            h=numbers.integer(c.hidden),
            n=numbers.integer(c.n_train),
            noise=numbers.percent(c.label_noise, 0),
            n_val=numbers.integer(c.n_val),
        )
        below(fit_width(setup), self.header, buff=theme.BUFF)
        lo, hi, step = nice_range([*self.train["plain"], *self.val["plain"]], 5)
        last = int(self.epochs[-1])
        plot = Plot(
            (0, last, last // 4),
            (lo, hi, step),
            width=7.2,
            height=4.0,
            x_label=self.t("epoch_axis"),
            y_label=self.t("loss_axis"),
        )
        below(to_safe(plot, LEFT), setup, buff=theme.BUFF_LARGE)
        plot.shift(RIGHT * 0.3)  # room for the y tick labels
        self.plot = plot
        train = plot.series(
            self.epochs, self.train["plain"], theme.TRAIN_CURVE, key="train", index=("plain",), dots=False
        )
        val = plot.series(
            self.epochs, self.val["plain"], theme.VAL_CURVE, key="val", index=("plain",), dots=False
        )
        train_end, val_end = self.train["plain"][-1], self.val["plain"][-1]
        ends = VGroup(
            plot.readout(last, train_end, _loss, key="train_end", color=theme.TRAIN_CURVE, direction=UP),
            plot.readout(last, val_end, _loss, key="val_end", color=theme.VAL_CURVE, direction=UP),
        )
        self.leg = legend([(self.t("train"), theme.TRAIN_CURVE), (self.t("val"), theme.VAL_CURVE)])
        self.leg.next_to(plot.axes, RIGHT, buff=theme.BUFF_SECTION).align_to(plot, UP)
        self.setup = setup
        self.curves = VGroup(train, val, ends)
        with self.beat(
            "curves",
            n=numbers.integer(c.n_train),
            epochs=numbers.integer(last),
            train_end=_loss(train_end),
            val_end=_loss(val_end),
        ):
            self.play(FadeIn(self.header), FadeIn(setup))
            self.play(Create(plot), FadeIn(self.leg))
            self.play(train.grow(run_time=2.0), val.grow(run_time=2.0))
            self.play(FadeIn(ends))
        with self.beat("memorise"):
            self.wait(HOLD)
        self.next_slide()

    def show_early_stop(self) -> None:
        p, s, plot = self.params, self.stop, self.plot
        x0, x1 = plot.c2p(s.best_epoch, plot.y_lo), plot.c2p(s.stop_epoch, plot.y_hi)
        window = Rectangle(width=x1[0] - x0[0], height=x1[1] - x0[1], stroke_width=0)
        window.set_fill(theme.ACCENT, opacity=0.12).move_to((x0 + x1) / 2)
        best_line = plot.marker(s.best_epoch, key="best_epoch")
        stop_line = plot.marker(s.stop_epoch, color=theme.MUTED, key="stop_epoch")
        best_dot = plot.readout(s.best_epoch, s.best_loss, _loss, key="best_loss", direction=UP)
        lines = [
            self.text("best", size=theme.SMALL, color=theme.ACCENT, e=numbers.integer(s.best_epoch)),
            self.text("patience", size=theme.SMALL, color=theme.FG, p=numbers.integer(p.patience)),
        ]
        if p.min_delta > 0:
            lines.append(self.text("min_delta", size=theme.SMALL, color=theme.FG, d=_loss(p.min_delta)))
        lines += [
            self.text("stop", size=theme.SMALL, color=theme.MUTED, e=numbers.integer(s.stop_epoch)),
            self.text("keep", size=theme.SMALL, color=theme.ACCENT, e=numbers.integer(s.best_epoch)),
        ]
        card = column(lines, buff=theme.BUFF_SMALL)
        fit_width(card, SAFE.right - self.leg.get_left()[0])  # what is left right of the plot
        card.next_to(self.leg, DOWN, buff=theme.BUFF_LARGE).align_to(self.leg, LEFT)
        with self.beat(
            "early_stop",
            best_loss=_loss(s.best_loss),
            best=numbers.integer(s.best_epoch),
            patience=numbers.integer(p.patience),
            stop=numbers.integer(s.stop_epoch),
        ):
            self.play(Create(best_line), FadeIn(best_dot), FadeIn(lines[0]))
            self.play(FadeIn(window), Create(stop_line), FadeIn(VGroup(*lines[1:])))
            self.wait(HOLD)
        self.next_slide()
        self.play(FadeOut(VGroup(plot, self.curves, self.leg, window, best_line, stop_line, best_dot, card)))

    def _small_plot(self, v: str, y_range: tuple[float, float, float]) -> VGroup:
        last = int(self.epochs[-1])
        plot = Plot(
            (0, last, last // 2),
            y_range,
            width=3.4,
            height=1.9,
            x_label=self.t("epoch_axis"),
            y_label=self._run_name(v),
        )
        plot.add(
            plot.series(self.epochs, self.train[v], theme.TRAIN_CURVE, key="train", index=(v,), dots=False),
            plot.series(self.epochs, self.val[v], theme.VAL_CURVE, key="val", index=(v,), dots=False),
        )
        return plot

    def show_regularisers(self) -> None:
        y_range = nice_range([*self.train["plain"], *self.val["plain"]], 3)
        plots = row([self._small_plot(v, y_range) for v in VARIANTS], buff=theme.BUFF_SECTION)
        leg = legend(
            [(self.t("train"), theme.TRAIN_CURVE), (self.t("val"), theme.VAL_CURVE)], direction=RIGHT
        )
        top = fit_width(column([leg, plots], buff=theme.BUFF, align="center"))
        below(top, self.setup, buff=theme.BUFF)
        top.set_x(0)
        table = NumberTable(
            [
                [self._run_name(v) for v in VARIANTS],
                [self.lowest[v].best_loss for v in VARIANTS],
                [self.lowest[v].best_epoch for v in VARIANTS],
                [self.gap[v].train for v in VARIANTS],
                [self.gap[v].val for v in VARIANTS],
                [self.gap[v].gap for v in VARIANTS],
            ],
            header=[
                self.t(k) for k in ("col_run", "col_best", "col_epoch", "col_train", "col_val", "col_gap")
            ],
            formats=[str, _loss, numbers.integer, _loss, _loss, _loss],
            colors=[theme.FG, theme.VAL_CURVE, theme.MUTED, theme.TRAIN_CURVE, theme.VAL_CURVE, theme.ACCENT],
            keys=[None, "lowest", "lowest_epoch", "final_train", "final_val", "gap"],
            size=theme.SMALL,
            v_buff=0.16,
        )
        fit_width(table)
        below(table, top, buff=theme.BUFF_LARGE).set_x(0)
        best = min(VARIANTS, key=lambda v: self.lowest[v].best_loss)  # selection: the lowest of three
        with self.beat("regularise"):
            self.play(FadeIn(leg), *[Create(pl) for pl in plots])
            self.wait(HOLD)
        with self.beat(
            "table",
            gap_plain=_loss(self.gap["plain"].gap),
            gap_wd=_loss(self.gap["weight_decay"].gap),
            gap_do=_loss(self.gap["dropout"].gap),
            best_low=_loss(self.lowest[best].best_loss),
            best_run=self._run_name(best),
        ):
            self.play(FadeIn(table))
            self.wait(HOLD)

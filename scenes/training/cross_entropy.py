"""Cross-entropy on one real prediction of the trained induction Transformer: logits → softmax →
−log p(target) (Goodfellow et al. 2016, §6.2.2.3), the gradient softmax − one-hot, label smoothing
(Szegedy et al. 2016, §7) and perplexity = exp(mean loss) (Vaswani et al. 2017, Table 3)."""

from __future__ import annotations

import numpy as np
from manim import DOWN, UP, Create, FadeOut, SurroundingRectangle, VGroup

from lib.models import generate, induction, next_token
from lib.training.losses import cross_entropy, cross_entropy_grad
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.anim import fade_in, fade_out
from scenes.kit.bars import Bars
from scenes.kit.formula import Num, formula
from scenes.kit.frame import below, column, fit_width, row
from scenes.kit.record import tag
from scenes.kit.tokens import TokenStrip
from scenes.training.params.cross_entropy import Params as CrossEntropyParams

HOLD = theme.HOLD_SHORT  # seconds to read a slide (scenes/kit/theme.py)
BAR_LENGTH = 1.5  # the tallest bar of a panel
FORMULA_SIZE = 34
P_DIGITS = 3  # probabilities, losses, gradients
Z_DIGITS = 2  # logits


def _p(v: float) -> str:
    return numbers.fixed(v, P_DIGITS)


@register("training.cross_entropy")
class CrossEntropy(LectureScene):
    """Logits, softmax and −log p(target) of one trained-model prediction; its gradient; label smoothing;
    perplexity over the sequence and over a batch."""

    Params = CrossEntropyParams
    EXAMPLES = (
        {"example": 7, "segment": 4, "step": 2, "shown": 5, "smoothing": 0.2, "batch": 32, "batch_seed": 1},
    )

    STRINGS = {
        "en": {
            "title": "Cross-entropy: the cost of a prediction",
            "subtitle": "one real prediction of the trained induction Transformer",
            "context": "the segment {seg} appeared before; after {tok} the model should predict {target}",
            "logits": "logits z",
            "probs": "p = softmax(z)",
            "shown_note": "the {k} likeliest of {v} tokens (target in green)",
            "grad": "∂L/∂z = p − onehot(target)",
            "smooth": "smoothed target q′, ε = {eps}",
            "smooth_note": "q′ = (1 − ε)·onehot + ε/{v}: every token gets {floor}",
            "seq_losses": "loss −log p(next) at each predictable position of this sequence",
            "batch_line": "{b} fresh sequences, {n} predictable positions: "
            "mean loss {loss}, perplexity {ppl}",
        },
        "zh": {
            "title": "交叉熵：一次预测的代价",
            "subtitle": "训练好的归纳 Transformer 的一次真实预测",
            "context": "片段 {seg} 之前出现过；{tok} 之后，模型应该预测 {target}",
            "logits": "logits z",
            "probs": "p = softmax(z)",
            "shown_note": "{v} 个 token 中最可能的 {k} 个（绿色为目标）",
            "grad": "∂L/∂z = p − onehot(目标)",
            "smooth": "平滑后的目标 q′，ε = {eps}",
            "smooth_note": "q′ = (1 − ε)·onehot + ε/{v}：每个 token 都分到 {floor}",
            "seq_losses": "这条序列每个可预测位置的损失 −log p(下一个)",
            "batch_line": "{b} 条新序列、{n} 个可预测位置：平均损失 {loss}，困惑度 {ppl}",
        },
    }

    NARRATION = {
        "en": {
            "context": "Here is a small Transformer trained on one job: when a segment repeats, continue the "
            "copy. It has just read {tok}, and the segment says the next token is {target}.",
            "softmax": "The model's last layer gives one score per token, a logit. Softmax exponentiates "
            "and normalises them, so the target {target} gets probability {p}. The model is torn between "
            "a few candidates.",
            "loss": "Cross-entropy only looks at the probability of the right answer: the loss is minus "
            "its logarithm, {loss} nats. Probability one would cost nothing; a small probability costs a "
            "lot, and without bound.",
            "gradient": "The gradient with respect to the logits is remarkably simple: the probabilities "
            "minus the one-hot target. The target's logit is pushed up by {g_target}, and every other logit "
            "is pushed down by its own probability, so the model moves mass toward the answer.",
            "smoothing": "Label smoothing with epsilon {eps} replaces the one-hot target by {q_target} for "
            "the right token and {floor} for every other. The loss becomes {loss_s}. The model is never "
            "asked for certainty, which keeps its logits from growing without limit.",
            "perplexity": "Averaged over the predictable positions of this sequence, the loss is {mean}, and "
            "its exponential, the perplexity, is {ppl}: roughly how many tokens the model hesitates between. "
            "Over {b} fresh sequences the perplexity is {ppl_batch}, so this position was a hard one.",
        },
        "zh": {
            "context": "这是一个只学了一件事的小 Transformer：片段重复出现时，把它接着抄下去。"
            "它刚读到 {tok}，按照前面的片段，下一个 token 应该是 {target}。",
            "softmax": "模型最后一层给每个 token 一个分数，也就是 logit。softmax 取指数再归一化，"
            "目标 {target} 得到的概率是 {p}。模型在几个候选之间拿不定主意。",
            "loss": "交叉熵只看正确答案的概率：损失是它的负对数，这里是 {loss} 奈特。概率为一时不花任何代价；"
            "概率越小，代价越大，而且没有上限。",
            "gradient": "对 logits 的梯度出奇地简单：概率减去独热目标。目标的 logit 被往上推 {g_target}，"
            "其余每个 logit 按各自的概率往下压，于是概率质量移向正确答案。",
            "smoothing": "标签平滑取 ε 为 {eps}，把独热目标换成：正确的 token 得 {q_target}，"
            "其余每个得 {floor}。"
            "损失变成 {loss_s}。模型再也不被要求百分之百确定，logits 也就不会无限增大。",
            "perplexity": "在这条序列的可预测位置上取平均，损失是 {mean}，它的指数，也就是困惑度，是 {ppl}："
            "大致相当于模型在几个 token 之间犹豫。在 {b} 条新序列上困惑度是 {ppl_batch}，"
            "可见刚才那个位置是难点。",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.header = self.title_bar("title", "subtitle")
        self.play(fade_in(self.header))
        self.show_prediction()
        self.show_loss()
        self.show_gradient()
        self.show_smoothing()
        self.show_perplexity()

    # --- numbers (all from lib/) -----------------------------------------------------------------
    def compute(self) -> None:
        p = self.params
        w = induction.load()
        self.pred = next_token.predict(w, p.example, p.segment, p.step)
        target = np.array([self.pred.target])
        self.ce = cross_entropy(self.pred.logits[None], target)  # one position: the loss is −log p(y)
        self.grad = cross_entropy_grad(self.ce)[0]  # (V,)  p − onehot
        self.smooth = cross_entropy(self.pred.logits[None], target, label_smoothing=p.smoothing)
        self.seq = cross_entropy(self.pred.sequence_logits, self.pred.sequence_targets)
        self.batch = next_token.batch_loss(w, p.batch, p.batch_seed)
        self.names = generate.symbols(range(w.embed.shape[0]))
        # the bars: the likeliest tokens, the target always among them (in place of the last one if needed)
        order = [int(i) for i in generate.by_probability(self.ce.probs[0])[: p.shown]]
        if self.pred.target not in order:
            order[-1] = self.pred.target
        self.ids = order

    # --- drawing helpers -----------------------------------------------------------------------------
    def bars(
        self, values: np.ndarray, key: str, color, *, signed: bool = False, digits: int = P_DIGITS
    ) -> Bars:
        """One bar per shown token (likeliest first), the target's name in the target colour."""
        names = [self.names[i] for i in self.ids]
        label_colors = [theme.TARGET if i == self.pred.target else theme.INPUT for i in self.ids]
        return Bars(
            [values[i] for i in self.ids],
            key=key,
            labels=names,
            color=color,
            label_color=label_colors,
            signed=signed,
            fmt=lambda v: numbers.fixed(v, digits),
            length=BAR_LENGTH,
            thickness=0.4,
        )

    def panel(self, caption_key: str, chart: Bars, color=theme.FG, **fmt) -> VGroup:
        cap = self.text(caption_key, size=theme.SMALL, color=color, **fmt)
        return column([cap, chart], buff=theme.BUFF, align="center")

    # --- slide 1: the context, logits and softmax ------------------------------------------------------
    def show_prediction(self) -> None:
        pr = self.pred
        t, F_, S = pr.position, pr.start, pr.segment
        strip = TokenStrip([self.names[i] for i in pr.tokens[: t + 1]], key="context", size=theme.SMALL)
        for i in list(range(F_, F_ + S)) + list(range(F_ + S, t + 1)):  # both copies so far, filled
            strip.chip(i)[0].set_fill(theme.INPUT, 0.25)
        seg = " ".join(self.names[i] for i in pr.tokens[F_ : F_ + S])
        tok, target = self.names[pr.tokens[t]], self.names[pr.target]
        caption = self.text("context", size=theme.SMALL, color=theme.MUTED, seg=seg, tok=tok, target=target)
        top = column([fit_width(strip), fit_width(caption)], buff=theme.BUFF_SMALL, align="center")
        below(top, self.header, buff=theme.BUFF).set_x(0)
        self.cursor = strip.cursor(t)  # made once the strip is in place
        self.top = VGroup(top, self.cursor)

        z = self.pred.logits
        self.logit_bars = self.bars(z, "logits", theme.FG, signed=True, digits=Z_DIGITS)
        self.prob_bars = self.bars(self.ce.probs[0], "probs", theme.SEQ_HIGH)
        self.left = self.panel("logits", self.logit_bars, theme.FG)
        self.right = self.panel("probs", self.prob_bars, theme.SEQ_HIGH)
        # the panels that later take the logits' place (gradient, smoothed target), built now so that the
        # note and the formula sit under the tallest of them all slide long
        self.grad_bars = self.bars(self.grad, "grad", theme.GRAD, signed=True)
        self.grad_panel = self.panel("grad", self.grad_bars, theme.GRAD)
        self.q_bars = self.bars(self.smooth.target_dist[0], "smoothed", theme.TARGET)
        eps = numbers.fixed(self.params.smoothing, 2)
        self.q_panel = self.panel("smooth", self.q_bars, theme.TARGET, eps=eps)
        panels = row([self.left, self.right], buff=theme.BUFF_SECTION * 2, align="top")
        below(panels, top, buff=theme.BUFF).set_x(0)
        for m in (self.grad_panel, self.q_panel):
            m.move_to(self.left, aligned_edge=UP)
        self.note = self.text("shown_note", size=theme.SMALL, color=theme.MUTED, k=len(self.ids), v=len(z))
        lowest = min(m.get_bottom()[1] for m in (panels, self.grad_panel, self.q_panel))
        self.note.next_to([0, lowest, 0], DOWN, buff=theme.BUFF)

        with self.beat("context", tok=tok, target=target):
            self.play(fade_in(top), Create(self.cursor))
            self.wait(HOLD)
        p_target = _p(self.ce.probs[0, pr.target])
        with self.beat("softmax", target=target, p=p_target):
            self.play(fade_in(self.left[0]), self.logit_bars.grow())
            self.play(fade_in(self.right[0], self.note), self.prob_bars.grow())
            self.wait(HOLD)
        self.next_slide()

    # --- slide 2: the loss −log p(target) ----------------------------------------------------------------
    def show_loss(self) -> None:
        k = self.ids.index(self.pred.target)
        self.frame = SurroundingRectangle(self.prob_bars.item(k), color=theme.ACCENT, buff=theme.BUFF_TIGHT)
        p_y = self.ce.probs[0, self.pred.target]
        self.loss_formula = formula(
            r"L = -\log p_{\text{target}} = -\log",
            Num(p_y, "p_target", digits=P_DIGITS),
            "=",
            Num(self.ce.loss, "loss", digits=P_DIGITS),
            font_size=FORMULA_SIZE,
        )
        below(fit_width(self.loss_formula), self.note, buff=theme.BUFF).set_x(0)
        with self.beat("loss", loss=_p(self.ce.loss)):
            self.play(Create(self.frame))
            self.play(fade_in(self.loss_formula))
            self.wait(HOLD)
        self.next_slide()

    # --- slide 3: the gradient p − onehot -----------------------------------------------------------------
    def show_gradient(self) -> None:
        grad_panel = self.grad_panel
        g_target = _p(self.grad[self.pred.target])
        with self.beat("gradient", g_target=g_target):
            self.play(fade_out(self.left))
            self.play(fade_in(grad_panel[0]), self.grad_bars.grow())
            self.wait(HOLD)
        self.next_slide()
        self.left = grad_panel

    # --- slide 4: label smoothing -------------------------------------------------------------------------
    def show_smoothing(self) -> None:
        eps = self.params.smoothing
        q = self.smooth.target_dist[0]  # (V,)
        eps_s = numbers.fixed(eps, 2)
        q_panel = self.q_panel
        other = next(i for i in range(len(q)) if i != self.pred.target)
        floor = _p(q[other])
        note = self.text("smooth_note", size=theme.SMALL, color=theme.MUTED, v=len(q), floor=floor)
        tag(note, "smooth_floor", q[other])
        note.move_to(self.note)
        smooth_formula = formula(
            r"L_\varepsilon = -\sum_k q'_k \log p_k =",
            Num(self.smooth.loss, "loss_smoothed", digits=P_DIGITS),
            font_size=FORMULA_SIZE,
        ).move_to(self.loss_formula)
        fields = {
            "eps": eps_s,
            "q_target": _p(q[self.pred.target]),
            "floor": floor,
            "loss_s": _p(self.smooth.loss),
        }
        with self.beat("smoothing", **fields):
            self.play(
                fade_out(self.left), FadeOut(self.note), FadeOut(self.loss_formula), FadeOut(self.frame)
            )
            self.play(fade_in(q_panel[0], note), self.q_bars.grow())
            self.play(fade_in(smooth_formula))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(VGroup(q_panel, self.right, note, smooth_formula)))

    # --- slide 5: perplexity ------------------------------------------------------------------------------
    def show_perplexity(self) -> None:
        seq, pr = self.seq, self.pred
        where = np.flatnonzero(seq.mask)  # the predictable positions of this sequence
        labels = [f"{self.names[pr.tokens[t]]}→{self.names[pr.tokens[t + 1]]}" for t in where]
        chart = Bars(
            [seq.nll[t] for t in where],
            key="seq_loss",
            labels=labels,
            color=theme.ACCENT,
            label_color=theme.INPUT,
            fmt=_p,
            length=BAR_LENGTH,
        )
        cap = self.text("seq_losses", size=theme.SMALL, color=theme.FG)
        ppl = formula(
            r"\text{mean} =",
            Num(seq.loss, "seq_mean", digits=P_DIGITS),
            r",\quad \text{perplexity} = e^{\text{mean}} =",
            Num(seq.perplexity, "seq_ppl", digits=P_DIGITS),
            font_size=FORMULA_SIZE,
        )
        b = self.batch
        line = self.text(
            "batch_line",
            size=theme.SMALL,
            color=theme.MUTED,
            b=self.params.batch,
            n=b.count,
            loss=_p(b.loss),
            ppl=_p(b.perplexity),
        )
        tag(line, "batch_line", (b.count, b.loss, b.perplexity))
        body = column([cap, chart, ppl, fit_width(line)], buff=theme.BUFF, align="center")
        below(fit_width(body), self.top, buff=theme.BUFF).set_x(0)
        fields = {
            "mean": _p(seq.loss),
            "ppl": _p(seq.perplexity),
            "b": self.params.batch,
            "ppl_batch": _p(b.perplexity),
        }
        with self.beat("perplexity", **fields):
            self.play(fade_in(cap), chart.grow())
            self.play(fade_in(ppl))
            self.play(fade_in(line))
            self.wait(HOLD)

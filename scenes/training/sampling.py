"""Temperature and sampling from the trained induction Transformer: softmax(z / τ) at several τ with its
entropy (Hinton et al. 2015, eq. 1), the top-k cut-off (Fan et al. 2018) and the nucleus / top-p cut-off
(Holtzman et al. 2020, eq. 3) with their renormalised probabilities, and sampled continuations by seed."""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, Create, SurroundingRectangle, VGroup

from lib.core.softmax import softmax
from lib.models import generate, induction, next_token, sampling
from lib.training import truncation
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.anim import fade_in, fade_out
from scenes.kit.bars import Bars
from scenes.kit.frame import below, column, fit_width, row
from scenes.kit.record import number, tag
from scenes.kit.table import NumberTable
from scenes.kit.tokens import TokenStrip
from scenes.training.params.sampling import Params as SamplingParams

HOLD = theme.HOLD_SHORT  # seconds to read a slide (scenes/kit/theme.py)
BAR_LENGTH = 2.6  # probability 1 (the same scale at every τ)
TAIL = 5  # context tokens shown before each sampled continuation
DROPPED = "—"  # a token the cut-off removes


def _p(v: float) -> str:
    return numbers.fixed(v, 3)


def _tau(v: float) -> str:
    return numbers.fixed(v, 1)


def _h(v: float) -> str:
    return numbers.fixed(v, 2)


@register("training.sampling")
class Sampling(LectureScene):
    """One next-token distribution of the trained model: at three temperatures, cut by top-k and top-p,
    and a few continuations sampled from the nucleus."""

    Params = SamplingParams
    EXAMPLES = (
        {"example": 128, "segment": 4, "step": 2, "temperatures": (0.7, 1.0, 1.5), "shown": 5, "rows": 6,
         "tau": 1.5, "top_k": 2, "top_p": 0.75, "samples": 3, "first_seed": 5, "steps": 2},
    )  # fmt: skip

    STRINGS = {
        "en": {
            "title": "Temperature, top-k and top-p sampling",
            "subtitle": "the next-token distribution of the trained induction Transformer",
            "context": "the segment {seg} appeared before; after {tok} the model must choose",
            "tau_head": "τ = {tau} · entropy {h} nats",
            "col_token": "token",
            "col_p": "p (τ = {tau})",
            "col_topk": "top-k, k = {k}",
            "col_cum": "cumulative Σp",
            "col_topp": "top-p, p = {p}",
            "topk_note": "the {k} kept tokens hold {mass} of the probability: each is divided by it",
            "topp_note": "the first {n} tokens reach {mass} ≥ {p}: the nucleus",
            "samples_head": "sampled from the nucleus (τ = {tau}, p = {p}), one seed per row",
            "seed": "seed {seed}",
        },
        "zh": {
            "title": "温度、top-k 与 top-p 采样",
            "subtitle": "训练好的归纳 Transformer 的下一个 token 分布",
            "context": "片段 {seg} 之前出现过；{tok} 之后，模型要做选择",
            "tau_head": "τ = {tau} · 熵 {h} 奈特",
            "col_token": "token",
            "col_p": "p（τ = {tau}）",
            "col_topk": "top-k，k = {k}",
            "col_cum": "累计 Σp",
            "col_topp": "top-p，p = {p}",
            "topk_note": "保留的 {k} 个 token 共占 {mass} 的概率：每个都除以它",
            "topp_note": "前 {n} 个 token 累计到 {mass} ≥ {p}：这就是核（nucleus）",
            "samples_head": "从核中采样（τ = {tau}，p = {p}），每行一个种子",
            "seed": "种子 {seed}",
        },
    }

    NARRATION = {
        "en": {
            "context": "Back to the same unsure prediction as in the cross-entropy chapter. Decoding has to "
            "turn this distribution into one token, and how we shape it first matters.",
            "temperature": "Dividing the logits by a temperature reshapes the distribution. At {t_low} "
            "the favourite takes {p_low} and the entropy falls to {h_low} nats; at {t_high} the tail grows "
            "and the entropy rises to {h_high}. Low temperature is safe and repetitive, high is varied and "
            "risky.",
            "top_k": "Top-k keeps only the {k} likeliest tokens. Together they hold {mass}, so each is "
            "divided by that, and everything else can never be drawn, however the dice fall.",
            "top_p": "Top-p keeps the smallest set whose probabilities add up to at least {p}. Here that "
            "takes {n} tokens. When the model is sure, the nucleus shrinks to one token; when it "
            "hesitates, it grows, which a fixed k cannot do.",
            "samples": "Now we sample from the nucleus with different seeds. The first draws give {firsts}: "
            "mostly the token the segment predicts, sometimes a plausible rival, never a token from the "
            "cut tail.",
        },
        "zh": {
            "context": "回到交叉熵那一章里同一个拿不定主意的预测。解码必须把这个分布变成一个 token，"
            "而事先怎样塑造这个分布很关键。",
            "temperature": "把 logits 除以温度，分布的形状就变了。"
            "温度 {t_low} 时，最可能的 token 占 {p_low}，"
            "熵降到 {h_low} 奈特；温度 {t_high} 时，尾部变厚，熵升到 {h_high}。"
            "低温稳妥但单调，高温多样却冒险。",
            "top_k": "top-k 只保留最可能的 {k} 个 token。它们一共占 {mass}，所以每个概率都除以它；"
            "其余的 token 无论随机数怎么落，都不会被抽到。",
            "top_p": "top-p 保留概率加起来至少为 {p} 的最小集合，这里需要 {n} 个 token。"
            "模型有把握时，核缩到一个 token；犹豫时，核会变大，这是固定的 k 做不到的。",
            "samples": "现在用不同的种子从核里采样。第一步抽到的是 {firsts}：大多是片段预测的那个 token，"
            "偶尔是一个说得通的对手，但绝不会是被截掉的尾部。",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.header = self.title_bar("title", "subtitle")
        self.play(fade_in(self.header))
        self.show_temperatures()
        self.show_top_k()
        self.show_top_p()
        self.show_samples()

    # --- numbers (all from lib/) -----------------------------------------------------------------
    def compute(self) -> None:
        p = self.params
        w = induction.load()
        self.pred = next_token.predict(w, p.example, p.segment, p.step)
        self.names = generate.symbols(range(w.embed.shape[0]))
        self.at_tau = [softmax(self.pred.logits, t) for t in p.temperatures]  # (V,) each
        self.entropies = [truncation.entropy(q) for q in self.at_tau]
        self.probs = softmax(self.pred.logits, p.tau)  # (V,)  the distribution that is cut
        self.k_cut = truncation.top_k(self.probs, p.top_k)
        self.p_cut = truncation.top_p(self.probs, p.top_p)
        self.n_rows = max(p.rows, self.p_cut.kept)  # the table reaches the nucleus' last token
        prompt = [int(t) for t in self.pred.tokens[: self.pred.position + 1]]
        self.prompt = prompt
        self.continuations = [
            sampling.continue_sequence(w, prompt, p.steps, p.first_seed + j, p.tau, None, p.top_p)
            for j in range(p.samples)
        ]

    # --- slide 1: the distribution at three temperatures ---------------------------------------------
    def show_temperatures(self) -> None:
        p, pr = self.params, self.pred
        t, F_, S = pr.position, pr.start, pr.segment
        strip = TokenStrip([self.names[i] for i in pr.tokens[: t + 1]], key="context", size=theme.SMALL)
        for i in range(F_, t + 1):  # both copies so far
            strip.chip(i)[0].set_fill(theme.INPUT, 0.25)
        seg = " ".join(self.names[i] for i in pr.tokens[F_ : F_ + S])
        caption = self.text(
            "context", size=theme.SMALL, color=theme.MUTED, seg=seg, tok=self.names[pr.tokens[t]]
        )
        top = column([fit_width(strip), fit_width(caption)], buff=theme.BUFF_SMALL, align="center")
        below(top, self.header, buff=theme.BUFF).set_x(0)
        cursor = strip.cursor(t)
        self.top = VGroup(top, cursor)

        ids = [int(i) for i in truncation.order(self.at_tau[0])[: p.shown]]  # the same tokens in each panel
        panels = []
        for j, (tau, q, h) in enumerate(zip(p.temperatures, self.at_tau, self.entropies, strict=True)):
            head = self.text("tau_head", size=theme.SMALL, color=theme.FG, tau=_tau(tau), h=_h(h))
            tag(head, "tau_head", (tau, h), (j,))
            bars = Bars(
                [q[i] for i in ids],
                key=f"tau_{j}",
                labels=[self.names[i] for i in ids],
                color=theme.SEQ_HIGH,
                label_color=theme.INPUT,
                fmt=_p,
                vmax=1.0,
                length=BAR_LENGTH,
                size=theme.NUMBER,
            )
            panels.append(column([head, bars], buff=theme.BUFF, align="center"))
        body = fit_width(row(panels, buff=theme.BUFF_SECTION, align="bottom"))  # one baseline for the bars
        top_y = max(panel[0].get_y() for panel in panels)
        for panel in panels:  # and one line of headings
            panel[0].set_y(top_y)
        below(body, top, buff=theme.BUFF_LARGE).set_x(0)
        self.panels = body
        lo, hi = int(np.argmin(p.temperatures)), int(np.argmax(p.temperatures))
        fields = {
            "t_low": _tau(p.temperatures[lo]),
            "p_low": _p(self.at_tau[lo][ids[0]]),
            "h_low": _h(self.entropies[lo]),
            "t_high": _tau(p.temperatures[hi]),
            "h_high": _h(self.entropies[hi]),
        }
        with self.beat("context"):
            self.play(fade_in(top), Create(cursor))
            self.wait(1.0)
        with self.beat("temperature", **fields):
            for panel in panels:
                self.play(fade_in(panel[0]), panel[1].grow(run_time=0.8))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(body))

    # --- slide 2: top-k ----------------------------------------------------------------------------------
    def table(self, extra: list[tuple[str, list, str, object]]) -> NumberTable:
        """The likeliest tokens at τ: name, p, then ``extra`` columns (header, values, key, colour)."""
        p = self.params
        ids = [int(i) for i in self.p_cut.order[: self.n_rows]]
        header = [self.t("col_token"), self.t("col_p", tau=_tau(p.tau))] + [e[0] for e in extra]
        columns = [[self.names[i] for i in ids], [self.probs[i] for i in ids]] + [e[1] for e in extra]
        return NumberTable(
            columns,
            header=header,
            formats=[str, _p] + [_p] * len(extra),
            colors=[theme.INPUT, theme.SEQ_HIGH] + [e[3] for e in extra],
            keys=["table_token", "table_p"] + [e[2] for e in extra],
            size=theme.LABEL,
            h_buff=0.6,
            v_buff=0.16,
        )

    def kept(self, cut: truncation.Cutoff) -> list:
        """Renormalised probability of each listed token, DROPPED where the cut-off removes it."""
        return [cut.probs[i] if r < cut.kept else DROPPED for r, i in enumerate(cut.order[: self.n_rows])]

    def show_top_k(self) -> None:
        p, cut = self.params, self.k_cut
        tab = self.table([(self.t("col_topk", k=p.top_k), self.kept(cut), "top_k", theme.OUTPUT)])
        below(fit_width(tab), self.top, buff=theme.BUFF_LARGE).set_x(0)
        note = self.text("topk_note", size=theme.SMALL, color=theme.MUTED, k=p.top_k, mass=_p(cut.mass))
        tag(note, "topk_mass", cut.mass)
        below(fit_width(note), tab, buff=theme.BUFF).set_x(0)
        with self.beat("top_k", k=p.top_k, mass=_p(cut.mass)):
            self.play(fade_in(tab))
            self.play(fade_in(note))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(VGroup(tab, note)))

    # --- slide 3: top-p ------------------------------------------------------------------------------------
    def show_top_p(self) -> None:
        p, cut = self.params, self.p_cut
        cum = list(cut.cumulative[: self.n_rows])
        tab = self.table(
            [
                (self.t("col_cum"), cum, "cumulative", theme.FG),
                (self.t("col_topp", p=numbers.fixed(p.top_p, 2)), self.kept(cut), "top_p", theme.OUTPUT),
            ]
        )
        below(fit_width(tab), self.top, buff=theme.BUFF_LARGE).set_x(0)
        crossing = SurroundingRectangle(tab.cell(cut.kept - 1, 2), color=theme.ACCENT, buff=theme.BUFF_TIGHT)
        p_s = numbers.fixed(p.top_p, 2)
        note = self.text(
            "topp_note", size=theme.SMALL, color=theme.MUTED, n=cut.kept, mass=_p(cut.mass), p=p_s
        )
        tag(note, "topp_kept", (cut.kept, cut.mass))
        below(fit_width(note), tab, buff=theme.BUFF).set_x(0)
        with self.beat("top_p", p=p_s, n=cut.kept):
            self.play(fade_in(tab))
            self.play(Create(crossing), fade_in(note))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(VGroup(tab, note, crossing)))

    # --- slide 4: sampled continuations ---------------------------------------------------------------
    def show_samples(self) -> None:
        p = self.params
        head = self.text(
            "samples_head", size=theme.LABEL, color=theme.OUTPUT, tau=_tau(p.tau), p=numbers.fixed(p.top_p, 2)
        )
        rows = []
        for j, c in enumerate(self.continuations):
            toks = self.prompt[-TAIL:] + list(c.tokens)
            strip = TokenStrip([self.names[i] for i in toks], key=f"sample_{j}", size=theme.SMALL)
            for s in range(len(c.tokens)):
                strip.chip(TAIL + s)[0].set_stroke(theme.OUTPUT).set_fill(theme.OUTPUT, 0.12)
            probs = VGroup(
                *[
                    number(v, 3, key="sample_p", index=(j, s), size=theme.NUMBER).next_to(
                        strip.chip(TAIL + s), DOWN, buff=theme.BUFF_TIGHT
                    )
                    for s, v in enumerate(c.probs)
                ]
            )
            label = self.text("seed", size=theme.SMALL, color=theme.MUTED, seed=c.seed)
            tag(label, "seed", c.seed, (j,))
            label.next_to(strip, LEFT, buff=theme.BUFF)
            rows.append(VGroup(label, strip, probs))
        block = column(rows, buff=theme.BUFF, align="right")
        body = column([head, block], buff=theme.BUFF_LARGE, align="center")
        below(fit_width(body), self.top, buff=theme.BUFF_LARGE).set_x(0)
        firsts = ", ".join(self.names[c.tokens[0]] for c in self.continuations)
        with self.beat("samples", firsts=firsts):
            self.play(fade_in(head))
            for r in rows:
                self.play(fade_in(r), run_time=0.6)
            self.wait(HOLD)

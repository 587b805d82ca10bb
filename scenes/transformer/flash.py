"""FlashAttention (Dao et al. 2022): Q, K, V in tiles; one query row's online softmax, its running max m and
sum l updated key block by key block (Alg. 1 lines 9–13); the tiled output against exact attention; and the
HBM reads and writes of standard attention (Alg. 0) and of Alg. 1, counted exactly (Theorem 2)."""

from __future__ import annotations

from manim import LaggedStart, SurroundingRectangle, VGroup, Write

from lib.transformer.flash_example import flash_example
from lib.transformer.flash_io import compare_io
from scenes.engine.base import LectureScene
from scenes.engine.registry import register
from scenes.kit import numbers, theme
from scenes.kit.anim import fade_in, fade_out
from scenes.kit.equation import Equation
from scenes.kit.frame import SAFE, below, column, fit_width, row
from scenes.kit.matrix import PAD_TIGHT, Heatmap
from scenes.kit.record import tag
from scenes.kit.table import NumberTable
from scenes.kit.text import symbol_label
from scenes.transformer.params.flash import Params as FlashParams

HOLD = theme.HOLD_LONG  # seconds to read a slide (scenes/kit/theme.py)
STAT_DIGITS = 3  # m̃, l̃, m and l in the online-softmax table
CELL_W, CELL_H = 0.56, 0.36  # Q, K, V and the outputs: wide, flat cells keep two decimals in N rows


@register("transformer.flash")
class Flash(LectureScene):
    """Tiles, the online softmax of one row, exactness, and the IO count of FlashAttention."""

    Params = FlashParams

    EXAMPLES = (
        {"N": 10, "d": 3, "block": 3, "row": 9, "seed": 2, "io_N": 16384, "io_d": 128, "sram": 65536},
    )

    STRINGS = {
        "en": {
            "title": "FlashAttention",
            "subtitle": "exact attention in tiles: the N × N scores never leave the chip",
            "tiles": "tiles of B = {b} rows",
            "loops": "outer loop: K and V tiles   inner loop: Q tiles",
            "never": "S = QKᵀ/√d ({n} × {n}) is computed tile by tile in SRAM, never written to HBM",
            "row_title": "query row i = {i}: its scaled scores, key block by key block",
            "block": "block",
            "keys": "keys",
            "block_max": "block max",
            "block_sum": "block sum",
            "run_max": "running max",
            "run_sum": "running sum",
            "tiled": "O, tiled (Alg. 1)",
            "exact": "O = softmax(QKᵀ/√d) V, exact",
            "diff": "largest |O tiled − O exact| over {n} numbers: {e}",
            "io_title": "numbers moved between HBM and SRAM: N = {n}, d = {d}, SRAM M = {m}",
            "method": "algorithm",
            "reads": "reads",
            "writes": "writes",
            "total": "total",
            "standard": "standard (Alg. 0)",
            "flash": "FlashAttention (Alg. 1)",
            "blocks": "B_r = {br}, B_c = {bc}: K, V read once; Q, O, ℓ, m re-read T_c = {tc} times",
            "fewer": "{r} fewer numbers moved",
        },
        "zh": {
            "title": "FlashAttention",
            "subtitle": "分块计算的精确注意力：N × N 的得分矩阵从不离开芯片",
            "tiles": "每块 B = {b} 行",
            "loops": "外层循环：K、V 的块   内层循环：Q 的块",
            "never": "S = QKᵀ/√d（{n} × {n}）在 SRAM 中逐块计算，从不写回 HBM",
            "row_title": "第 i = {i} 个查询行：缩放后的得分，按键的分块",
            "block": "块",
            "keys": "键",
            "block_max": "块内最大",
            "block_sum": "块内和",
            "run_max": "累计最大",
            "run_sum": "累计和",
            "tiled": "O，分块计算（算法 1）",
            "exact": "O = softmax(QKᵀ/√d) V，精确",
            "diff": "{n} 个数中 |O 分块 − O 精确| 的最大值：{e}",
            "io_title": "HBM 与 SRAM 之间搬运的数：N = {n}，d = {d}，SRAM M = {m}",
            "method": "算法",
            "reads": "读",
            "writes": "写",
            "total": "合计",
            "standard": "标准注意力（算法 0）",
            "flash": "FlashAttention（算法 1）",
            "blocks": "B_r = {br}，B_c = {bc}：K、V 只读一遍；Q、O、ℓ、m 重读 T_c = {tc} 遍",
            "fewer": "搬运的数少了 {r}",
        },
    }

    NARRATION = {
        "en": {
            "tiles": "FlashAttention computes exact attention without ever storing the full matrix of "
            "scores. Q, K and V are cut into tiles of {b} rows, small enough for the fast memory on the "
            "chip. The outer loop walks over the tiles of K and V, the inner loop over the tiles of Q.",
            "online": "Follow query row {i}. A softmax needs the row's maximum and its sum, but the tiles "
            "arrive one at a time. So we keep a running max m and a running sum l: each block brings its own "
            "max and sum, and whenever the max grows, the old sum is rescaled by e to the old max minus the "
            "new one.",
            "result": "After the last block, m is {m}, the maximum of the whole row, and l is {l}, exactly "
            "the normaliser of its softmax. The output row is rescaled the same way as it goes.",
            "exact": "So the tiled result is not an approximation. Compared with attention computed the "
            "ordinary way, the largest difference over all {n} numbers is at the level of rounding error: "
            "only the order of the sums changed.",
            "io": "What FlashAttention saves is memory traffic. For a sequence of {n} tokens and a head "
            "dimension of {d}, standard attention writes the score matrix to main memory and reads it back: "
            "{std} numbers move. The tiled algorithm moves {fl}, {r} fewer. In Theorem two of the paper, "
            "N squared d squared over M replaces N squared.",
        },
        "zh": {
            "tiles": "FlashAttention 计算的是精确的注意力，却从不保存完整的得分矩阵。Q、K、V 被切成每块 {b} "
            "行的小块，小到能放进芯片上的高速存储。外层循环遍历 K 和 V 的块，内层循环遍历 Q 的块。",
            "online": "跟着第 {i} 个查询行看。softmax 需要整行的最大值和总和，可是分块是一块一块来的。"
            "所以我们维护一个累计最大值 m 和累计和 l：每块带来自己的最大值和总和；最大值一旦变大，"
            "旧的和就乘上 e 的旧最大值减新最大值次方来重新缩放。",
            "result": "最后一块之后，m 是 {m}，正是整行的最大值；l 是 {l}，恰好是 softmax 的归一化常数。"
            "输出行也在途中用同样的方式重新缩放。",
            "exact": "所以分块的结果不是近似。和按普通方式算出的注意力相比，"
            "{n} 个数里最大的差别只在舍入误差的量级："
            "变的只是求和的顺序。",
            "io": "FlashAttention 省下的是内存搬运。序列长 {n}、头维度 {d} 时，标准注意力要把得分矩阵写回主存"
            "再读回来：一共搬运 {std} 个数。分块算法只搬运 {fl} 个，少了 {r}。论文的定理二说："
            "N 平方 d 平方除以 M，取代了 N 平方。",
        },
    }

    def construct(self) -> None:
        self.compute()
        self.header = self.title_bar("title", "subtitle")
        self.show_tiles()
        self.show_online()
        self.show_exact()
        self.show_io()

    # --- numbers (all from lib/) -----------------------------------------------------------------
    def compute(self) -> None:
        p = self.params
        self.ex = flash_example(p.N, p.d, p.block, p.row, p.seed)
        self.io = compare_io(p.io_N, p.io_d, p.sram)

    # --- beats -------------------------------------------------------------------------------------
    def _tile_frames(self, hm: Heatmap, color) -> VGroup:
        """A frame around each tile of ``block`` rows (the last tile may be shorter)."""
        p, cols = self.params, hm.shape[1]
        frames = VGroup()
        for a in range(0, p.N, p.block):
            b = min(a + p.block, p.N) - 1
            cells = VGroup(hm.cell_at(a, 0), hm.cell_at(b, cols - 1))
            frames.add(SurroundingRectangle(cells, color=color, buff=0.02, stroke_width=4))
        return frames

    def show_tiles(self) -> None:
        p, ex = self.params, self.ex
        mats, frames = [], VGroup()
        for name, values, color in (
            ("Q", ex.q, theme.QUERY),
            ("K", ex.k, theme.KEY),
            ("V", ex.v, theme.VALUE),
        ):
            hm = Heatmap(values, key=name, digits=1, pad=PAD_TIGHT, cell=CELL_W, cell_height=CELL_H)
            frames.add(self._tile_frames(hm, color))
            label = self.plain(name, size=theme.HEADING, color=color)
            mats.append(column([label, VGroup(hm, frames[-1])], buff=theme.BUFF_SMALL, align="center"))
        notes = column(
            [
                self.text("tiles", size=theme.LABEL, color=theme.ACCENT, b=p.block),
                self.text("loops", size=theme.SMALL),
                self.text("never", size=theme.SMALL, color=theme.MUTED, n=p.N),
            ],
            buff=theme.BUFF,
        )
        maps = row(mats, buff=theme.BUFF_LARGE, align="top")
        content = fit_width(row([maps, fit_width(notes, SAFE.width * 0.42)], buff=theme.BUFF_SECTION))
        below(content, self.header, buff=theme.BUFF).set_x(0)
        with self.beat("tiles", b=p.block):
            self.play(fade_in(self.header))
            self.play(LaggedStart(*[fade_in(m) for m in mats], lag_ratio=0.3))
            self.play(fade_in(notes))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(content))

    def show_online(self) -> None:
        p, rb = self.params, self.ex.row_blocks
        title = self.text("row_title", size=theme.LABEL, i=p.row)
        scores = Heatmap(
            self.ex.scaled[p.row], key="row_scores", digits=2, pad=PAD_TIGHT,
            col_labels=[str(j) for j in range(p.N)], max_cell=0.8, max_width=SAFE.width,
        )  # fmt: skip
        frames = VGroup(
            *[
                SurroundingRectangle(
                    VGroup(scores.cell_at(0, a), scores.cell_at(0, b - 1)),
                    color=theme.KEY,
                    buff=0.02,
                    stroke_width=4,
                )
                for a, b in zip(rb.starts, rb.stops, strict=True)
            ]
        )
        law = Equation(
            r"m_j = \max(m_{j-1},\, \tilde m_j) \qquad "
            r"\ell_j = e^{m_{j-1} - m_j}\, \ell_{j-1} + e^{\tilde m_j - m_j}\, \tilde \ell_j",
            font_size=32,
        )
        fmt = lambda v: numbers.fixed(v, STAT_DIGITS)  # one format for the four statistics
        table = NumberTable(
            [
                [str(j) for j in range(len(rb.starts))],
                [f"{a}–{b - 1}" if b - 1 > a else str(a) for a, b in zip(rb.starts, rb.stops, strict=True)],
                rb.block_max,
                rb.block_sum,
                rb.m,
                rb.l,
            ],
            header=[
                self.t("block"),
                self.t("keys"),
                *[
                    symbol_label(self.t(k), sym, size=theme.SMALL)
                    for k, sym in (
                        ("block_max", r"\tilde m_j"),
                        ("block_sum", r"\tilde \ell_j"),
                        ("run_max", "m_j"),
                        ("run_sum", r"\ell_j"),
                    )
                ],
            ],
            formats=[str, str, fmt, fmt, fmt, fmt],
            colors=[theme.MUTED, theme.KEY, theme.FG, theme.FG, theme.ACCENT, theme.ACCENT],
            keys=[None, None, "block_max", "block_sum", "m", "l"],
        )
        content = fit_width(
            column([title, VGroup(scores, frames), law, table], buff=theme.BUFF_LARGE, align="center")
        )
        below(content, self.header, buff=theme.BUFF).set_x(0)
        rows = table.get_rows()
        with self.beat("online", i=p.row):
            self.play(fade_in(title), fade_in(scores), fade_in(frames))
            self.play(Write(law))
            self.play(fade_in(rows[0]))
            for r in rows[1:]:
                self.play(fade_in(r), run_time=0.8)
            self.wait(HOLD)
        self.next_slide()
        last = len(rb.m) - 1
        final = VGroup(table.get_cell((last + 2, 5)), table.get_cell((last + 2, 6)))
        with self.beat("result", m=fmt(rb.m[-1]), l=fmt(rb.l[-1])):
            self.play(fade_in(box := SurroundingRectangle(final, color=theme.ACCENT, buff=0.04)))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(content, box))

    def show_exact(self) -> None:
        p, ex = self.params, self.ex
        panels = []
        for key, values, label in (
            ("O_tiled", ex.flash.output, "tiled"),
            ("O_exact", ex.exact.output, "exact"),
        ):
            hm = Heatmap(values, key=key, digits=2, pad=PAD_TIGHT, cell=CELL_W + 0.1, cell_height=CELL_H)
            panels.append(
                column([self.text(label, size=theme.LABEL, color=theme.OUTPUT), hm], align="center")
            )
        maps = row(panels, buff=2 * theme.BUFF_SECTION, align="bottom")  # the two heatmaps level
        diff = self.text(
            "diff", size=theme.LABEL, color=theme.ACCENT, n=p.N * p.d, e=numbers.sci(ex.max_abs_diff, 1)
        )
        tag(diff, "max_diff", ex.max_abs_diff)
        content = fit_width(column([maps, diff], buff=theme.BUFF_LARGE, align="center"))
        below(content, self.header, buff=theme.BUFF).set_x(0)
        with self.beat("exact", n=p.N * p.d):
            self.play(fade_in(panels[0]))
            self.play(fade_in(panels[1]))
            self.play(fade_in(diff))
            self.wait(HOLD)
        self.next_slide()
        self.play(fade_out(content))

    def show_io(self) -> None:
        p, io = self.params, self.io
        title = self.text(
            "io_title", size=theme.LABEL, n=numbers.integer(p.io_N), d=p.io_d, m=numbers.integer(p.sram)
        )
        law = Equation(
            r"\Theta(Nd + N^2) \quad \longrightarrow \quad \Theta(N^2 d^2 M^{-1})",
            terms={"std": r"\Theta(Nd + N^2)", "flash": r"\Theta(N^2 d^2 M^{-1})"},
            colors={"std": theme.ATTN, "flash": theme.OUTPUT},
            font_size=36,
        )
        table = NumberTable(
            [
                [self.t("standard"), self.t("flash")],
                [io.standard.reads, io.flash.reads],
                [io.standard.writes, io.flash.writes],
                [io.standard.total, io.flash.total],
            ],
            header=[self.t(k) for k in ("method", "reads", "writes", "total")],
            formats=[str, numbers.integer, numbers.integer, numbers.integer],
            colors=[theme.FG, theme.FG, theme.FG, theme.ACCENT],
            keys=[None, "reads", "writes", "total"],
        )
        blocks = self.text(
            "blocks", size=theme.SMALL, color=theme.MUTED, br=io.flash.block_r, bc=io.flash.block_c,
            tc=io.flash.n_blocks_c,
        )  # fmt: skip
        fewer = self.text("fewer", size=theme.BODY, color=theme.ACCENT, r=numbers.ratio(io.ratio))
        tag(fewer, "ratio", io.ratio)
        content = fit_width(column([title, law, table, blocks, fewer], buff=theme.BUFF_LARGE, align="center"))
        below(content, self.header, buff=theme.BUFF).set_x(0)
        with self.beat(
            "io",
            n=numbers.integer(p.io_N),
            d=p.io_d,
            std=numbers.integer(io.standard.total),
            fl=numbers.integer(io.flash.total),
            r=numbers.ratio(io.ratio),
        ):
            self.play(fade_in(title), Write(law))
            self.play(fade_in(table))
            self.play(fade_in(blocks), fade_in(fewer))
            self.wait(HOLD + 1.0)

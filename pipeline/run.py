"""One storyboard run: plan, render what is not cached, stitch, write the manifest, previews and slides.

Whatever fails — an entry, the stitching, the preview or the slide export — the run ends with a one-line
message per failure, ``last_run.json`` saying what happened, and exit status 1; never a traceback.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from common.fsutil import clone_or_copy, real_dir, sweep_temporaries, write_text_atomic
from pipeline import ROOT
from pipeline.execution.chunks import chunk_key, have_chunk, join, ranges
from pipeline.execution.count import count_plays
from pipeline.execution.executors import Executor, LocalExecutor
from pipeline.execution.processes import JobResult
from pipeline.inputs.storyboard import Storyboard
from pipeline.planning.jobs import ClipMeta, Job
from pipeline.planning.plan import Plan, Settings, make_plan
from pipeline.publishing.media import MediaError, intact, stitch
from pipeline.publishing.slides import SlidesError, export_deck

if TYPE_CHECKING:  # rich is imported when there is something to show: a cached re-run prints one line
    from rich.console import Console


@dataclass(frozen=True)
class RunOptions:
    only: set[int] | None = None
    jobs: int = 1
    dry_run: bool = False
    slides: bool = False
    slide_formats: tuple[str, ...] = ("html",)  # with slides: html, pdf, pptx
    publish: bool = False  # <name>/publish/: the upload bundle
    preview: bool = False
    use_cache: bool = True
    executor: Executor | None = None  # default: LocalExecutor(jobs), worker processes on this machine


def run_storyboard(
    board: Storyboard, settings: Settings, opts: RunOptions, console: Console | None = None
) -> int:
    """Render ``board``; return the process exit status (0 ok, 1 if an entry or a later step failed).

    Output goes to ``console`` (default: a rich console on stdout, made only when needed).
    """
    return run_storyboards([(board, settings)], opts, console)


def run_storyboards(
    boards: list[tuple[Storyboard, Settings]], opts: RunOptions, console: Console | None = None
) -> int:
    """Render several storyboards from ONE job queue (a course): every storyboard's uncached jobs are
    submitted together, longest first, so the workers stay busy across the whole course; an entry two
    storyboards share (same cache key) renders once. Each storyboard is then stitched and reported in its
    own folder exactly as a run of it alone would. Returns the worst exit status."""
    t_start = time.perf_counter()
    plans = [make_plan(board, settings, opts.only, opts.use_cache) for board, settings in boards]
    if opts.dry_run:
        for plan in plans:
            _print_plan(plan, console or _console())
        return 0
    for plan in plans:  # what a run killed mid-write left (kill -9 while stitching: .stitch-*/, .tmp)
        sweep_temporaries(plan.settings.output_dir / plan.board.name)
    todo = [(plan, job) for plan in plans for job in plan.todo]
    rendered: dict[str, JobResult] = {}  # by log path: unique per entry of every storyboard
    errors: dict[str, list[str]] = {plan.board.name: [] for plan in plans}
    if todo:
        for one in {plan.settings.cache_dir: plan for plan in plans}.values():
            one.cache.sweep()  # once per cache folder
        timings = {
            d: _read_json(d / "timings.json") or {} for d in {plan.settings.cache_dir for plan in plans}
        }
        unique: dict[tuple[str, str], Job] = {}  # (cache, key) → the job that renders it
        for _plan, job in todo:
            unique.setdefault((job.cache_dir, job.key), job)
        timeout = max(plan.settings.worker_timeout for plan in plans)
        chunks_of = {p.job.log_path: p.chunks for plan in plans for p in plan.entries}
        pieces: dict[tuple[str, str], list[Job]] = {}  # a chunked entry → its chunks, in order
        done: dict[tuple[str, str], JobResult] = {}
        queue: list[Job] = []
        for k, job in unique.items():
            if chunks_of.get(job.log_path, 1) <= 1:
                queue.append(job)
                continue
            try:
                pieces[k] = _chunk_jobs(job, chunks_of[job.log_path], timeout)
            except RuntimeError as e:
                done[k] = JobResult(job, "failed", error=" ".join(str(e).split())[:300])
                continue
            queue += [c for c in pieces[k] if not have_chunk(c)]  # chunks are cached like clips
        # longest first: with N workers the run ends when the slowest entry does, so start it early
        queue.sort(key=lambda j: -timings[Path(j.cache_dir)].get(f"{j.scene_id}@{j.quality}", 0.0))
        console = console or _console()
        executor: Executor = opts.executor or LocalExecutor(opts.jobs)
        done.update(
            {
                (r.job.cache_dir, r.job.key): r
                for r in _render_with_progress(queue, executor, timeout, console)
            }
        )
        for k, chunk_jobs in pieces.items():
            done[k] = _join(unique[k], chunk_jobs, done)
        for _plan, job in todo:
            r = done[(job.cache_dir, job.key)]
            rendered[job.log_path] = r if r.job is job else dataclasses.replace(r, job=job)
        for d, known in timings.items():
            known.update(
                {f"{r.job.scene_id}@{r.job.quality}": r.seconds for r in done.values()
                 if r.status == "rendered" and Path(r.job.cache_dir) == d and not r.job.chunk}
            )  # fmt: skip
            text = json.dumps(known, indent=1, sort_keys=True)
            for plan in plans:
                if plan.settings.cache_dir == d:
                    out_dir = plan.settings.output_dir / plan.board.name
                    save = lambda d=d, text=text: write_text_atomic(d / "timings.json", text)
                    _step("saving timings", save, out_dir, errors[plan.board.name])
                    break
    statuses = [_finish(plan, opts, rendered, errors[plan.board.name], console, t_start) for plan in plans]
    return max(statuses)


def _chunk_jobs(job: Job, n: int, timeout: float) -> list[Job]:
    """``job`` as ``n`` jobs over ranges of its animations (counted here, without rendering)."""
    total = count_plays(job, ROOT, timeout)
    spans = ranges(total, n)
    out = []
    for i, (first, end) in enumerate(spans):
        name = f"{job.name}_c{i + 1}of{len(spans)}"
        key = chunk_key(job.key, first, end, total)
        log = str(Path(job.log_path).with_name(f"{name}.log"))
        out.append(dataclasses.replace(job, key=key, name=name, log_path=log, chunk=(first, end)))
    return out


def _join(job: Job, chunk_jobs: list[Job], done: dict[tuple[str, str], JobResult]) -> JobResult:
    """The chunked entry's result: its chunks joined into its clip, or the first chunk failure."""
    results = [done.get((c.cache_dir, c.key)) for c in chunk_jobs]  # None: it was cached
    seconds = sum(r.seconds for r in results if r is not None)
    failed = [r for r in results if r is not None and r.status == "failed"]
    if failed:
        return JobResult(job, "failed", seconds, error=f"{failed[0].job.name}: {failed[0].error}")
    try:
        meta = join(job, [c.entry_dir for c in chunk_jobs])
    except Exception as e:  # ffmpeg, a disk: the entry fails with one line, the others go on
        return JobResult(
            job, "failed", seconds, error=f"joining the chunks failed: {' '.join(str(e).split())[:300]}"
        )
    return JobResult(job, "rendered", seconds, meta)


def _finish(
    plan: Plan,
    opts: RunOptions,
    rendered: dict[str, JobResult],
    errors: list[str],
    console: Console | None,
    t_start: float,
) -> int:
    """Stitch one storyboard, write its manifest, captions, preview, deck, report and summary."""
    out_dir = plan.settings.output_dir / plan.board.name
    results = {p.job.index: JobResult(p.job, "cached", 0.0, p.cached) for p in plan.entries if p.cached}
    results.update(
        {p.job.index: rendered[p.job.log_path] for p in plan.entries if p.job.log_path in rendered}
    )
    # a full disk: a line, not a traceback
    _step("saving the cache memos", plan.cache.save_memos, out_dir, errors)
    ordered = [results[p.job.index] for p in plan.selected]
    # the video needs every entry of the storyboard, not only the ones this run was asked for
    found = [results[p.job.index].meta if p.job.index in results else None for p in plan.entries]
    video = subs = None
    notes: list[str] = []
    if all(found):
        metas: list[ClipMeta] = [m for m in found if m is not None]
        video, subs, notes = _outputs(plan, opts, metas, results, out_dir, errors)
    else:
        missing = sum(1 for m in found if not m)
        notes.append(f"video not stitched: {missing} entr{'y' if missing == 1 else 'ies'} not rendered")
    notes[:0] = [  # a clip found damaged in the cache is a miss (rendered again if selected): say why
        f"{p.job.name}: its cached clip is damaged ({plan.cache.damaged[p.job.key]}) and was not used"
        for p in plan.entries
        if p.job.key in plan.cache.damaged
    ]
    unrecorded = [b for m in found if m is not None for b in m.missing_recordings]
    if unrecorded:
        count = len(unrecorded)
        notes.append(
            f"recorded voice: {count} beat{'s' if count != 1 else ''} without a recording "
            f"(silence of the scripted length instead): {', '.join(unrecorded)}"
        )
    _write_report(plan, ordered, video, subs, errors, out_dir, t_start)
    if console is None and video and not (errors or notes) and all(r.status == "cached" for r in ordered):
        # nothing was rendered and nothing failed: a table of "cached" rows would say no more than this
        print(
            f"{len(ordered)} entries, all cached: nothing to render. video: {video}"
            + (f" (captions: {subs})" if subs else "")
        )
        return 0
    from rich.text import Text  # user text (titles, paths, errors) as Text: never read as markup or :emoji:

    console = console or _console()
    _print_summary(ordered, console)
    if video and not errors:
        captions = f"  captions: {subs}" if subs else ""
        console.print(Text.assemble(("video:", "bold green"), f" {video}{captions}"), soft_wrap=True)
    for n in notes:
        console.print(Text(n), soft_wrap=True)
    for err in errors:
        console.print(Text.assemble(("error:", "bold red"), f" {err}"), soft_wrap=True)  # one line each
    console.print(f"total {time.perf_counter() - t_start:.1f} s")
    return 1 if errors or any(r.status == "failed" for r in ordered) else 0


def _outputs(
    plan: Plan,
    opts: RunOptions,
    metas: list[ClipMeta],
    results: dict[int, JobResult],
    out_dir: Path,
    errors: list[str],
) -> tuple[Path | None, Path | None, list[str]]:
    """The stitched video, then what is made from it (captions, contact sheet, deck, bundle), each step
    failing alone into ``errors``; the video, the captions and notes for the summary."""
    notes: list[str] = []
    subs = None
    video = _step("stitching", lambda: _assemble(plan, metas, results, out_dir), out_dir, errors)
    if not video:
        return None, None, notes
    if any(b.text for m in metas for b in m.beats):
        subs = _step("captions", lambda: _captions(plan, metas, out_dir), out_dir, errors)
    if opts.preview:
        sheet = _step("preview", lambda: _preview(plan, metas, out_dir), out_dir, errors)
        notes += [f"contact sheet: {sheet}"] if sheet else []
    if opts.slides:
        formats = opts.slide_formats
        deck = _step("slides", lambda: export_deck(plan, metas, out_dir / "slides", formats), out_dir, errors)
        notes += [f"slides: {', '.join(map(str, deck))}"] if deck else []
    if opts.publish:
        from pipeline.publishing.bundle import publish

        stitched = video
        bundle = _step("publish", lambda: publish(plan, stitched, out_dir), out_dir, errors)
        notes += [f"publish: {bundle[0]}", *bundle[1]] if bundle else []
    return video, subs, notes


def _write_report(
    plan: Plan,
    ordered: list[JobResult],
    video: Path | None,
    subs: Path | None,
    errors: list[str],
    out_dir: Path,
    t_start: float,
) -> None:
    """``last_run.json``: what this run did with each selected entry (a failure to write it is an error)."""
    report = {
        "storyboard": str(plan.board.path),
        "quality": plan.settings.quality,
        "locale": plan.settings.locale,
        "video": str(video) if video else None,
        "captions": str(subs) if subs else None,
        "errors": errors,
        "seconds": round(time.perf_counter() - t_start, 3),
        "entries": [
            {
                "index": r.job.index + 1,
                "name": r.job.name,
                "status": r.status,
                "seconds": round(r.seconds, 3),
                "key": r.job.key,
                "error": r.error or None,
                "log": r.job.log_path if r.status == "failed" else None,
            }
            for r in ordered
        ],
    }
    try:
        write_text_atomic(out_dir / "last_run.json", json.dumps(report, indent=2, ensure_ascii=False))
    except OSError as e:  # the disk filled up: the summary below still says what happened
        errors.append(f"could not write {out_dir / 'last_run.json'}: {e.strerror or e}")


def _console() -> Console:
    from rich.console import Console

    return Console()


T = TypeVar("T")


def _step(name: str, fn: Callable[[], T], out_dir: Path, errors: list[str]) -> T | None:
    """Run a step after rendering; a failure becomes one line in ``errors`` (the traceback goes to
    ``logs/<name>.log``) so the run still writes its report and exits 1, never with a traceback."""
    try:
        return fn()
    except Exception as e:
        log = out_dir / "logs" / f"{name.replace(' ', '_')}.log"
        try:
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text(traceback.format_exc(), encoding="utf-8")
            where = f" (log: {log})"
        except OSError:  # the disk that failed the step may not take its log either
            where = ""
        text = " ".join(str(e).split())
        text = text if len(text) <= 300 else text[:297] + "..."  # ffmpeg's stderr can run to pages
        kind = "" if isinstance(e, MediaError | SlidesError) else f"{type(e).__name__}: "
        errors.append(f"{name} failed: {kind}{text}{where}")
        return None


def _label(jobs: list[Job]) -> Callable[[Job], str]:
    """An entry's name in the progress display; ``<storyboard>/<entry>`` when a course mixes storyboards."""
    boards = {Path(j.log_path).parent.parent for j in jobs}  # <output>/<name>/logs/<entry>.log
    return (
        (lambda j: j.name)
        if len(boards) <= 1
        else (lambda j: f"{Path(j.log_path).parent.parent.name}/{j.name}")
    )


def _render_with_progress(
    jobs: list[Job], executor: Executor, timeout: float, console: Console
) -> list[JobResult]:
    if not console.is_terminal:  # a CI log: a plain line per change of state, as it happens
        return _render_with_lines(jobs, executor, timeout, console)
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn  # only when rendering

    progress = Progress(
        TextColumn("{task.description:<34}"),
        BarColumn(bar_width=24),
        TextColumn("{task.fields[state]:<10}"),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
    tasks: dict[str, Any] = {}  # by log path: unique across the storyboards of a course
    label = _label(jobs)
    with progress:
        overall = progress.add_task(f"[bold]{len(jobs)} to render", total=len(jobs), state="", info="")
        for j in jobs:
            tasks[j.log_path] = progress.add_task(label(j), total=None, state="queued", info="", start=False)

        def on_event(job: Job, event: str, data: dict[str, Any]) -> None:
            tid = tasks[job.log_path]
            if event == "start":
                progress.start_task(tid)
                progress.update(tid, state="rendering")
            elif event == "play":
                progress.update(tid, info=f"{data['n']} animations, {data['t']:.0f} s of video")
            elif event in ("done", "error"):
                ok = event == "done"
                progress.update(tid, total=1, completed=1, state="done" if ok else "[red]failed")
                progress.advance(overall)
                progress.stop_task(tid)

        results = executor.run(jobs, on_event, timeout)
        for r in results:  # a worker that died before reporting still ends its row
            if r.status == "failed":
                progress.update(tasks[r.job.log_path], state="[red]failed", total=1, completed=1)
    return results


def _render_with_lines(
    jobs: list[Job], executor: Executor, timeout: float, console: Console
) -> list[JobResult]:
    """Progress without a terminal: a line when an entry starts, ends or fails, never redrawn or cut."""
    lock = threading.Lock()
    ended: set[str] = set()  # log paths: unique across the storyboards of a course
    label = _label(jobs)

    def say(job: Job, text: str) -> None:
        console.print(f"{label(job)}: {text}", highlight=False, markup=False, emoji=False, soft_wrap=True)

    def on_event(job: Job, event: str, data: dict[str, Any]) -> None:
        with lock:
            if event == "start":
                say(job, "rendering")
            elif event in ("done", "error") and job.log_path not in ended:
                ended.add(job.log_path)
                state = "done" if event == "done" else f"failed: {data.get('message', '')}"
                say(job, f"{state} ({len(ended)}/{len(jobs)})")

    console.print(f"{len(jobs)} to render, {executor.description}", highlight=False)
    results = executor.run(jobs, on_event, timeout)
    for r in results:  # a worker that died before reporting
        if r.job.log_path not in ended:
            on_event(r.job, "done" if r.status == "rendered" else "error", {"message": r.error})
    return results


def _assemble(plan: Plan, metas: list[ClipMeta], results: dict[int, JobResult], out_dir: Path) -> Path:
    board, settings, cache = plan.board, plan.settings, plan.cache
    jobs = [p.job for p in plan.entries]
    clips_dir = real_dir(out_dir / "clips")  # a link planted there is replaced: its folder is not ours
    clips = []
    for job in jobs:
        dest = clips_dir / f"{job.name}.mp4"
        clone_or_copy(cache.entry(job.key) / "clip.mp4", dest)
        clips.append(dest)
    for stale in clips_dir.glob("*.mp4"):  # clips of entries no longer in the storyboard
        if stale not in clips and (stale.is_symlink() or not stale.is_dir()):
            stale.unlink(missing_ok=True)  # a link goes by its name: what it points to stays
    video = out_dir / f"{board.name}.mp4"
    manifest_path = out_dir / "manifest.json"
    keys = [j.key for j in jobs]
    old = _read_json(manifest_path)
    if (
        old
        and old.get("keys") == keys
        and old.get("title") == board.title
        and (kept := intact(video, old.get("video_file"))) is not None  # damaged since: stitched again
        and [e["chapter"] for e in old.get("entries", [])] == [j.chapter for j in jobs]
    ):
        if kept != old["video_file"]:  # the same bytes under a new identity (a copy): hash it once only
            text = json.dumps({**old, "video_file": kept}, indent=2, ensure_ascii=False)
            write_text_atomic(manifest_path, text)
        return video  # nothing changed: the stitched video is current
    t0 = time.perf_counter()
    info = stitch(clips, video, board.title, [j.chapter for j in jobs])
    stitch_seconds = time.perf_counter() - t0
    entries = []
    for job, meta, start in zip(jobs, metas, info.starts, strict=True):
        r = results.get(job.index)
        entries.append(
            {
                "index": job.index + 1,
                "scene": job.scene_id,
                "chapter": job.chapter,
                "params": job.params,
                "key": job.key,
                "clip": f"clips/{job.name}.mp4",
                "start": round(start, 3),
                "duration": meta.duration,
                "slides": meta.slides,
                "status": r.status if r else "cached",
                "render_seconds": meta.render_seconds,
                "peak_rss_mb": meta.peak_rss_mb,
            }
        )
    manifest = {
        "title": board.title,
        "name": board.name,
        "storyboard": str(board.path),
        "locale": settings.locale,
        "quality": settings.quality,
        "video": video.name,
        "video_file": info.record,  # its size and sha256: a later run re-stitches it if it no longer matches
        "duration": round(info.duration, 3),
        "stitch": {"method": info.method, "seconds": round(stitch_seconds, 3)},
        "chapters": [{"title": e["chapter"], "start": e["start"]} for e in entries],
        "keys": keys,
        "entries": entries,
        "tools": cache.tools,
    }
    write_text_atomic(manifest_path, json.dumps(manifest, indent=2, ensure_ascii=False))
    return video


def _captions(plan: Plan, metas: list[ClipMeta], out_dir: Path) -> Path:
    """``<name>.srt`` and ``<name>.vtt`` beside the video, timed from the clips' beats."""
    from pipeline.publishing.captions import cues, to_srt, to_vtt

    manifest = _read_json(out_dir / "manifest.json") or {}
    starts = [e["start"] for e in manifest.get("entries", [])]
    if len(starts) != len(metas):
        raise RuntimeError("the manifest does not list every entry's start time")
    items = cues(metas, starts)
    name = plan.board.name
    write_text_atomic(out_dir / f"{name}.srt", to_srt(items))
    write_text_atomic(out_dir / f"{name}.vtt", to_vtt(items, plan.settings.locale))
    return out_dir / f"{name}.srt"


def _preview(plan: Plan, metas: list[ClipMeta], out_dir: Path) -> Path:
    from pipeline.publishing.preview import contact_sheet

    frames_dir = out_dir / "frames"
    rows = []
    for p, meta in zip(plan.entries, metas, strict=True):
        job = p.job
        paths = []
        for k, f in enumerate(meta.frames):
            dest = frames_dir / f"{job.name}_{k:02d}.png"
            clone_or_copy(plan.cache.entry(job.key) / f.file, dest)
            paths.append(dest)
        rows.append((f"{job.index + 1}. {job.chapter}", paths))
    return contact_sheet(rows, out_dir / "contact_sheet.png", plan.board.title)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _print_plan(plan: Plan, console: Console) -> None:
    from rich.table import Table
    from rich.text import Text  # user text (titles, paths) as Text: never read as markup or :emoji:

    board, settings = plan.board, plan.settings
    title = f"{board.title} — plan ({settings.quality}, {settings.locale})"
    table = Table(title=Text(title, style="table.title"))
    for col in ("#", "scene", "chapter", "action", "key"):
        table.add_column(col)
    for p in plan.selected:
        table.add_row(
            str(p.job.index + 1),
            Text(p.job.scene_id),
            Text(p.job.chapter),
            "cached" if p.cached else "[yellow]render",
            p.job.key[:12],
        )
    console.print(table)
    n = len(plan.todo)
    console.print(
        Text(f"{n} to render, {len(plan.selected) - n} cached; output: {settings.output_dir / board.name}"),
        soft_wrap=True,
    )


def _print_summary(results: list[JobResult], console: Console) -> None:
    if not console.is_terminal:  # a CI log: plain lines, never a table cut at 80 columns
        console.print("render summary:", highlight=False)
        for r in results:
            m = r.meta
            cells = [f"{r.job.index + 1}", r.job.name, r.status, f"{r.seconds:.1f} s"]
            cells += [f"clip {m.duration:.1f} s"] if m else []
            cells += [f"peak {m.peak_rss_mb} MB"] if m and r.status == "rendered" else []
            cells += [f"{r.error} (log: {r.job.log_path})"] if r.status == "failed" else []
            console.print("  ".join(cells), highlight=False, markup=False, emoji=False, soft_wrap=True)
        return
    from rich.table import Table
    from rich.text import Text  # errors and paths as Text: never read as markup

    table = Table(title="render summary")
    for col in ("#", "entry", "status", "seconds", "clip s", "peak MB", "log"):
        table.add_column(col)
    colour = {"rendered": "green", "cached": "cyan", "failed": "red"}
    for r in results:
        m = r.meta
        table.add_row(
            str(r.job.index + 1),
            r.job.name,
            f"[{colour[r.status]}]{r.status}",
            f"{r.seconds:.1f}",
            f"{m.duration:.1f}" if m else "",
            f"{m.peak_rss_mb}" if m and r.status == "rendered" else "",
            Text(r.job.log_path) if r.status == "failed" else "",
        )
    console.print(table)
    for r in results:
        if r.status == "failed":
            line = Text.assemble(("failed", "red"), f" {r.job.name}: {r.error} (log: {r.job.log_path})")
            console.print(line, soft_wrap=True)

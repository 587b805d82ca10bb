"""The exported deck in a real browser with no network: headless Chromium, driven over the DevTools protocol.

A one-storyboard fixture (the narrated fixture scene and a silent one) is rendered at low quality with
``--slides html,pdf,pptx``. Then Chromium — every request outside the machine refused (a dead proxy, and
every host name unresolvable) — opens ``slides/index.html`` from a copy of the folder moved elsewhere (a
USB stick) and the test checks: reveal.js reports ready; the slide count is the fixture's pauses; no request
left ``file:``; ArrowRight moves to the next slide and that slide's video plays (its ``currentTime``
increases); every slide's speaker notes are its narration, and pressing S opens the speaker view showing
them. A control: the same page pointed back at the CDN stays blank in this browser, so the blocking is real.
The PDF has one page per slide (``pdfinfo``; its first page rendered by ``pdftoppm`` is the video's frame),
the PowerPoint file one slide per slide, each with a video and the notes.

The browser is driven over ``--remote-debugging-pipe`` (the protocol on file descriptors 3 and 4, each
message JSON ending in a NUL byte): the standard library is enough, no websocket client or Playwright.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import re
import shutil
import subprocess
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.pipeline.cli_run import render

pytestmark = pytest.mark.render
ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

BOARD = """\
title: Deck lecture
name: deck
quality: low
plugins: [tests.pipeline.fixture_scenes]
scenes:
  - scene: fixture.spoken
    chapter: Spoken
    params: {squares: 3, seconds: 0.3}
  - scene: fixture.shapes
    chapter: Squares
    params: {slides: 2, seconds: 0.3}
"""
# fixture.spoken: three slides (intro | quiet + count | outro, see its docstring); fixture.shapes: one
# slide per square, each ending in a pause
SLIDES = 3 + 2
NOTES = [
    "A square appears.",
    "Now there are 3 squares on the screen.",
    "That is all for this short scene, and the voice goes on well after the squares have faded away, so the "
    "scene waits for it to finish.",
    "",
    "",
]


class Browser:
    """Headless Chromium with the network blocked, driven over the DevTools protocol on a pipe."""

    def __init__(self, profile: Path) -> None:
        self.profile = profile
        self.events: list[dict[str, Any]] = []
        self._replies: dict[int, queue.Queue[dict[str, Any]]] = {}
        self._next = 0
        self._lock = threading.Lock()

    def __enter__(self) -> Browser:
        to_chrome_r, self._w = os.pipe()
        self._r, from_chrome_w = os.pipe()

        def fds() -> None:  # in the child: the protocol's fixed descriptors (3 in, 4 out)
            a, b = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        args = [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--mute-audio",
            f"--user-data-dir={self.profile}",
            "--proxy-server=127.0.0.1:9",  # nothing listens there: every proxied request fails
            "--host-resolver-rules=MAP * ~NOTFOUND",  # and no host name resolves
            "--window-size=1280,720",
            "--remote-debugging-pipe",
        ]
        self.proc = subprocess.Popen(
            args,
            preexec_fn=fds,
            close_fds=False,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        threading.Thread(target=self._read, daemon=True).start()
        self.send("Target.setDiscoverTargets", {"discover": True})
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.send("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._w)
        os.close(self._r)

    def _read(self) -> None:
        buf = b""
        while True:
            try:
                chunk = os.read(self._r, 1 << 16)
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            *messages, buf = buf.split(b"\0")
            for raw in messages:
                msg = json.loads(raw)
                if "id" in msg:
                    self._replies[msg["id"]].put(msg)
                else:
                    with self._lock:
                        self.events.append(msg)

    def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session: str | None = None,
        timeout: float = 20,
    ) -> dict[str, Any]:
        with self._lock:
            self._next += 1
            mid = self._next
            self._replies[mid] = queue.Queue()
        msg: dict[str, Any] = {"id": mid, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        reply = self._replies[mid].get(timeout=timeout)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def wait_event(self, match: Callable[[dict[str, Any]], bool], timeout: float = 20) -> dict[str, Any]:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self._lock:
                found = [e for e in self.events if match(e)]
            if found:
                return found[0]
            time.sleep(0.05)
        raise TimeoutError("no such event")

    def attach(self, target: str) -> Page:
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        for domain in ("Page", "Runtime", "Network"):
            page.send(f"{domain}.enable")
        return page

    def open(self, url: str) -> Page:
        page = self.attach(self.send("Target.createTarget", {"url": "about:blank"})["targetId"])
        page.send("Page.navigate", {"url": url})
        self.wait_event(lambda e: e["method"] == "Page.loadEventFired" and e.get("sessionId") == page.session)
        return page

    def requests(self) -> list[str]:
        """The URL of every request any page made."""
        with self._lock:
            return [
                e["params"]["request"]["url"]
                for e in self.events
                if e["method"] == "Network.requestWillBeSent"
            ]


class Page:
    def __init__(self, browser: Browser, session: str) -> None:
        self.browser, self.session = browser, session

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.browser.send(method, params, self.session)

    def eval(self, expression: str) -> Any:
        result = self.send(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True}
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 20) -> Any:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            value = self.eval(expression)
            if value:
                return value
            time.sleep(0.1)
        return self.eval(expression)

    def key(self, key: str, code: int, text: str | None = None) -> None:
        """Press and release ``key`` as the user would (a trusted event: it also counts as a user gesture)."""
        down = {"type": "keyDown", "key": key, "code": key if len(key) > 1 else f"Key{key.upper()}"}
        down["windowsVirtualKeyCode"] = down["nativeVirtualKeyCode"] = code
        if text:
            down["text"] = text
        self.send("Input.dispatchKeyEvent", down)
        self.send("Input.dispatchKeyEvent", {**down, "type": "keyUp", "text": ""})

    def screenshot(self) -> bytes:
        return base64.b64decode(self.send("Page.captureScreenshot", {"format": "png"})["data"])


@pytest.fixture(scope="module")
def deck(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The fixture lecture's deck in three formats, moved away from everything the run wrote (a USB stick)."""
    root = tmp_path_factory.mktemp("deck")
    board = root / "deck.yaml"
    board.write_text(BOARD)
    proc = render(board, root / "out", "--slides", "html,pdf,pptx")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    usb = root / "usb"
    shutil.move(root / "out" / "deck" / "slides", usb)
    clips = {p.name: p.read_bytes() for p in (root / "slides" / "deck" / "files").rglob("*.mp4")}
    configs = [json.loads(p.read_text()) for p in sorted((root / "slides" / "deck").glob("*.json"))]
    shutil.rmtree(root / "out")  # nothing the run left behind can serve the deck
    shutil.rmtree(root / "slides")
    return {"root": root, "usb": usb, "clips": clips, "configs": configs}


@pytest.fixture(scope="module")
def browser(deck: dict[str, Any]) -> Any:
    if CHROMIUM is None:
        pytest.fail("chromium is not installed: run `make setup`")
    with Browser(deck["root"] / "profile") as b:
        yield b


@pytest.fixture(scope="module")
def page(browser: Browser, deck: dict[str, Any]) -> Page:
    p = browser.open((deck["usb"] / "index.html").as_uri())
    assert p.wait_for("typeof Reveal !== 'undefined' && Reveal.isReady()"), "reveal.js never became ready"
    return p


def test_the_deck_is_ready_offline_with_one_slide_per_pause(
    page: Page, browser: Browser, deck: dict[str, Any]
):
    assert page.eval("Reveal.getTotalSlides()") == SLIDES
    assert sum(len(c["slides"]) for c in deck["configs"]) == SLIDES
    usb = deck["usb"].as_uri() + "/"
    urls = browser.requests()
    assert any(u.endswith("/dist/reveal.js") for u in urls)
    outside = [u for u in urls if not (u.startswith(usb) or u.startswith("data:"))]
    assert outside == []  # everything came from the folder itself
    html = (deck["usb"] / "index.html").read_text()
    assert not re.search(r'(?:src|href)="(?:https?:|file:|/)', html)  # only relative references


def test_arrow_right_advances_and_the_slide_video_plays(page: Page):
    page.eval("Reveal.slide(0)")
    page.key("ArrowRight", 39)
    assert page.wait_for("Reveal.getIndices().h === 1", 5)
    video = "Reveal.getCurrentSlide().slideBackgroundContentElement.querySelector('video')"
    assert page.wait_for(f"{video} !== null && {video}.currentTime > 0", 10), (
        "the slide's video never started"
    )
    t0 = page.eval(f"{video}.currentTime")
    time.sleep(0.4)
    t1 = page.eval(f"{video}.currentTime")
    assert t1 > t0 + 0.1, (t0, t1)  # it plays (its slide lasts seconds: the narration of 'count')
    assert page.eval(f"{video}.getAttribute('src') || {video}.currentSrc").endswith(".mp4")


def test_speaker_notes_are_the_narration_and_the_speaker_view_shows_them(page: Page, browser: Browser):
    asides = page.eval(
        "[...document.querySelectorAll('.slides > section')].map(s => "
        "(s.querySelector('aside.notes') || {textContent: ''}).textContent.trim())"
    )
    assert asides == NOTES
    page.eval("Reveal.slide(1)")
    page.key("s", 83, "s")  # reveal.js opens its speaker view in a new window
    created = browser.wait_event(
        lambda e: e["method"] == "Target.targetCreated" and bool(e["params"]["targetInfo"].get("openerId"))
    )
    view = browser.attach(created["params"]["targetInfo"]["targetId"])
    notes = "(document.querySelector('.speaker-controls-notes .value') || {}).innerText"
    assert view.wait_for(f"({notes} || '').trim() === {json.dumps(NOTES[1])}", 10), view.eval(notes)
    assert view.eval("document.title") == "reveal.js - Speaker View"


def test_the_screenshot_shows_the_slide(page: Page, deck: dict[str, Any]):
    page.eval("Reveal.slide(1)")
    time.sleep(1.0)
    shot = deck["root"] / "deck.png"
    shot.write_bytes(page.screenshot())
    with Image.open(shot) as im:
        grey = im.convert("L")
        bright = sum(grey.histogram()[200:])
        dark = sum(grey.histogram()[:40])
    assert dark > 0.8 * grey.width * grey.height  # the scene's dark background fills the page
    assert bright > 500  # and the squares and their label are drawn on it


def test_control_the_same_page_from_the_cdn_stays_blank(browser: Browser, deck: dict[str, Any]):
    """Without the vendored copy (manim-slides' default: a CDN) this browser cannot load reveal.js."""
    html = (deck["usb"] / "index.html").read_text()
    cdn = re.sub(r'"index_assets/reveal\.js-[^/"]+/', '"https://cdn.jsdelivr.net/npm/reveal.js@6.0.1/', html)
    assert cdn != html
    (deck["usb"] / "cdn.html").write_text(cdn)
    p = browser.open((deck["usb"] / "cdn.html").as_uri())
    time.sleep(2)
    assert p.eval("typeof Reveal") == "undefined"
    (deck["usb"] / "cdn.html").unlink()


def _last_frame(video: Path, out: Path) -> Image.Image:
    subprocess.run(
        ["ffmpeg", "-v", "error", "-sseof", "-0.5", "-i", str(video), "-update", "1", "-y", str(out)],
        check=True,
    )
    return Image.open(out).convert("RGB")


def test_the_pdf_has_one_page_per_slide_showing_its_last_frame(deck: dict[str, Any], tmp_path: Path):
    pdf = deck["usb"] / "deck.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1)) == SLIDES
    subprocess.run(
        ["pdftoppm", "-f", "2", "-l", "2", "-r", "100", "-png", str(pdf), str(tmp_path / "p")], check=True
    )
    (page_png,) = tmp_path.glob("p*.png")
    second = Path(deck["configs"][0]["slides"][1]["file"]).name
    clip = tmp_path / second
    clip.write_bytes(deck["clips"][second])
    frame = _last_frame(clip, tmp_path / "last.png")
    with Image.open(page_png) as im:
        page_img = im.convert("RGB").resize(frame.size)
    diff = [abs(a - b) for a, b in zip(page_img.tobytes(), frame.tobytes(), strict=True)]
    assert sum(diff) / len(diff) < 4  # the same picture (the PDF stores it as JPEG)


def test_the_pptx_has_one_slide_per_slide_with_its_video_and_notes(deck: dict[str, Any]):
    from pptx import Presentation

    path = deck["usb"] / "deck.pptx"
    with zipfile.ZipFile(path) as z:
        slides = [n for n in z.namelist() if re.fullmatch(r"ppt/slides/slide\d+\.xml", n)]
        media = [n for n in z.namelist() if n.startswith("ppt/media/") and n.endswith(".mp4")]
    assert len(slides) == SLIDES
    assert len(media) == SLIDES  # each slide's own video (the reversed ones are not used)
    prs = Presentation(str(path))
    notes = [s.notes_slide.notes_text_frame.text if s.has_notes_slide else "" for s in prs.slides]
    assert notes == NOTES
    movies = [sum(1 for sh in s.shapes if sh.shape_type == 16) for s in prs.slides]  # MSO_SHAPE_TYPE.MEDIA
    assert movies == [1] * SLIDES

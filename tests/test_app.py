"""The browser app, tested in a real browser: ``wargame app`` on a free loopback port, the page
loaded in headless Chromium through Playwright (Debian's chromium), controls changed, the
model stepped, and the map and a chart checked to have changed. Skips with the reason where
the app extra, Playwright or Chromium is missing (CI installs all three)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import REPO, SCENARIOS

pytest.importorskip("solara", reason="the app extra is not installed: pip install -e '.[app]'")
pytest.importorskip("mesa.visualization", reason="mesa[viz] is not installed")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    pytest.skip("no chromium on this machine (apt-get install chromium)", allow_module_level=True)

pytestmark = pytest.mark.slow
SHOTS = os.environ.get("WARGAME_SCREENSHOTS")  # a folder: save the three views there


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """A project folder with the shipped scenarios and two small batches under results/."""
    from sim.runner import run_batch
    from sim.scenario import load_scenario

    root = tmp_path_factory.mktemp("approot")
    shutil.copytree(SCENARIOS, root / "scenarios")
    for name in ("baseline", "reinforce"):
        scn = load_scenario(root / "scenarios" / f"{name}.yaml", overrides=["days=40"])
        run_batch(scn, root / "results" / name, runs=12, master_seed=1, workers=1)
    return root


@pytest.fixture(scope="module")
def server(root):
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               WARGAME_ROOT=str(root))
    proc = subprocess.Popen([sys.executable, "-m", "sim", "app", "--port", str(port)],
                            cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"wargame app exited: {proc.stdout.read().decode()[-2000:]}")
            time.sleep(0.3)
    else:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("wargame app did not answer within 60 s")
    yield url
    # the whole group: `wargame app` and the Solara server it started
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1500, "height": 1300})
    pg = ctx.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    ctx.close()


def _src(page, css: str) -> str:
    loc = page.locator(f"{css} img").first
    loc.wait_for(state="visible")
    return loc.get_attribute("src")


def _changed(page, css: str, before: str, timeout_s: float = 20.0) -> str:
    """The image's new ``src`` once it differs from ``before`` (fails after ``timeout_s``)."""
    img = page.locator(f"{css} img").first
    sync_api.expect(img).not_to_have_attribute("src", before, timeout=timeout_s * 1000)
    return img.get_attribute("src")


def _pick(page, label: str, option: str) -> None:
    """Choose ``option`` in the (Vuetify) select labelled ``label``."""
    page.get_by_label(label).click(force=True)
    page.get_by_role("option", name=option, exact=True).click()


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / name), full_page=False)


def test_watch_a_run_step_changes_map_and_chart(server, page):
    page.set_viewport_size({"width": 1280, "height": 1300})
    page.goto(server)
    maps0, charts0 = _src(page, ".wargame-maps"), _src(page, ".wargame-charts")
    # the two maps side by side are readable: each at least 400 px wide on a 1280-px page
    # (in a half-width cell of SolaraViz's grid they were ~150 px)
    width = page.locator(".wargame-maps img").first.bounding_box()["width"]
    assert width >= 2 * 400, f"maps image {width:.0f} px wide on a 1280-px page"
    page.set_viewport_size({"width": 1500, "height": 1300})  # the screenshot's size
    page.get_by_role("button", name="Step", exact=True).click()
    maps1 = _changed(page, ".wargame-maps", maps0)
    _changed(page, ".wargame-charts", charts0)
    # a control: Ukraine's counterattack off, then Reset re-creates the model from it
    _pick(page, "Ukraine's Kursk counterattack", "off")
    page.get_by_role("button", name="Reset", exact=True).click()
    _changed(page, ".wargame-maps", maps1)
    if SHOTS:  # a few more days for the screenshot
        for _ in range(8):
            page.get_by_role("button", name="Step", exact=True).click()
            page.wait_for_timeout(1500)
    _shot(page, "app_watch.png")


def test_play_a_side_transfer_arrives_after_its_transit_days(server, page):
    from sim.scenario import load_scenario

    transit = load_scenario(SCENARIOS / "baseline.yaml").sides.ua.transfer_days
    page.goto(server + "play")
    page.get_by_role("button", name="Start game", exact=True).click()
    page.locator(".wargame-day").wait_for()
    _pick(page, "Groupings", "UA-D-reserve-1")
    page.keyboard.press("Escape")
    _pick(page, "Sector", "north")
    page.get_by_role("button", name="Add order", exact=True).click()
    page.locator(".wargame-note").get_by_text("queued for day 1").wait_for()
    # an impossible order: the one-line error on the page
    _pick(page, "Order", "commit")
    _pick(page, "Groupings", "UA-K-west")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Add order", exact=True).click()
    page.locator(".wargame-order-error").wait_for()
    page.get_by_role("button", name="Preview 4 weeks (50 runs)", exact=True).click()
    page.locator(".wargame-preview img").wait_for()
    _shot(page, "app_play.png")
    day = 0
    for _ in range(transit + 1):  # each click moves at least one day: bounded, never hangs
        if day >= transit:
            break
        head = page.locator(".wargame-day").inner_text()
        page.get_by_role("button", name="Play to the next decision point", exact=True).click()
        sync_api.expect(page.locator(".wargame-day")).not_to_have_text(head, timeout=20_000)
        day = int(page.locator(".wargame-day").inner_text().split()[1])
    assert day >= transit, f"still on day {day} after {transit + 1} steps"
    events = page.locator(".wargame-events").inner_text()
    assert "transfer arrived" in events and "UA-D-reserve-1" in events
    line = next(r for r in events.splitlines() if "transfer arrived" in r
                and "UA-D-reserve-1" in r)
    assert line.split()[0] == str(transit)  # departed day 1, transfer_days of movement
    assert "kursk/north" in line


def test_browse_batches(server, page):
    page.goto(server + "browse")
    page.locator(".wargame-fan img").wait_for()
    page.locator(".wargame-browse-maps img").first.wait_for()
    page.get_by_text("Outcomes on day").first.wait_for()
    _shot(page, "app_browse.png")

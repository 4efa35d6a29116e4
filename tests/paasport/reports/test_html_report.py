"""The HTML cost report as a person sees it: rendered by headless Chromium, offline, no errors.

Chromium and its driver come from Debian (`make setup` installs them); Selenium gets the driver's
path, so Selenium Manager never tries to download one.
"""

from __future__ import annotations

import base64
import io
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By

from paasport import files
from paasport.reports.html import NO_RECORDS, write_html_report

CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM = Path("/usr/bin/chromium")
TITLE = 'webgraph costs <March> & "friends"'
# User text that would be markup, or matplotlib math, if it were not escaped.
TRICKY_ASSET = 'host_rank <b>bold</b> & "quoted" $x$'
ASSETS = ("webgraph_edges", "webgraph_hosts", TRICKY_ASSET)
PLATFORMS = {"emr": (1.0, 0.05), "databricks": (1.6, 0.12), "dataproc": (0.8, 0.04)}


def synthetic_records(runs: int = 10) -> list[dict[str, Any]]:
    """`runs` runs, cycling over three platforms, each materializing three assets, over 5 days."""
    records = []
    start = datetime(2026, 3, 1, 8, tzinfo=UTC)
    for i in range(runs):
        platform = list(PLATFORMS)[i % len(PLATFORMS)]
        speed, usd_per_minute = PLATFORMS[platform]
        for k, asset in enumerate(ASSETS):
            duration = (60 + 30 * k) * speed * (1 + 0.1 * ((i * 7 + k) % 5))
            compute, storage = duration * usd_per_minute / 60, 0.002 * (k + 1)
            surcharge = compute * 0.1
            records.append(
                {
                    "run_id": f"{i:08d}-6c1e-4a36-9d2e-{platform:0>12}",
                    "asset": asset,
                    "partition": f"2026-03-{i + 1:02d}" if k == 0 else None,
                    "platform": platform,
                    "profile": f"{platform}-prod",
                    "started_at": (start + timedelta(days=i // 2, hours=i)).isoformat(),
                    "duration_s": duration,
                    "cost_usd_total": compute + storage + surcharge,
                    "cost_usd_compute": compute,
                    "cost_usd_storage": storage,
                    "cost_usd_platform": surcharge,
                    "basis": "list-price",
                    "team": "data",
                    "project": None,
                }
            )
    return records


RECORDS = synthetic_records()


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    if not CHROMEDRIVER.is_file():
        message = f"{CHROMEDRIVER} is missing: run `make setup` (installs chromium chromium-driver)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    options = webdriver.ChromeOptions()
    for argument in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"):
        options.add_argument(argument)
    options.add_argument("--disable-background-networking")
    options.add_argument("--window-size=1280,2400")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    if CHROMIUM.is_file():
        options.binary_location = str(CHROMIUM)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "costs.html"
    assert write_html_report(RECORDS, path, title=TITLE) == path
    return path


def severe_console_entries(driver: WebDriver) -> list[dict[str, Any]]:
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def test_report_renders_offline_without_errors(browser: WebDriver, report: Path) -> None:
    browser.get(report.as_uri())
    assert browser.title == TITLE
    assert browser.find_element(By.TAG_NAME, "h1").text == TITLE
    charts = browser.find_elements(By.CSS_SELECTOR, "figure.chart > svg")
    assert len(charts) == 4
    for chart in charts:
        assert chart.size["width"] > 400 and chart.size["height"] > 150, chart.size
    rows = browser.find_elements(By.CSS_SELECTOR, "table#records > tbody > tr")
    assert len(rows) == len(RECORDS) == 30
    assert len(browser.find_elements(By.CSS_SELECTOR, "table#runs > tbody > tr")) == 10
    # Escaped user text shows literally and injects no element.
    assert TRICKY_ASSET in browser.find_element(By.ID, "records").text
    assert browser.find_elements(By.CSS_SELECTOR, "td b") == []
    assert severe_console_entries(browser) == []
    if screenshot := os.environ.get("PAASPORT_SCREENSHOT"):
        save_full_page_screenshot(browser, Path(screenshot))


def test_clicking_a_header_sorts_the_table(browser: WebDriver, report: Path) -> None:
    browser.get(report.as_uri())
    totals_header = browser.find_elements(By.CSS_SELECTOR, "table#records th button")[-1]
    assert totals_header.text == "total (USD)"

    def totals() -> list[float]:
        cells = browser.find_elements(By.CSS_SELECTOR, "table#records tbody td:last-child")
        return [float(cell.get_attribute("data-sort") or "nan") for cell in cells]

    totals_header.click()
    assert totals() == sorted(totals())
    totals_header.click()
    assert totals() == sorted(totals(), reverse=True)
    assert severe_console_entries(browser) == []


def test_report_references_nothing_on_the_network(report: Path) -> None:
    text = report.read_text(encoding="utf-8")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", text, re.IGNORECASE)
    assert not re.search(r"""url\(\s*["']?\s*(?:https?:)?//""", text, re.IGNORECASE)
    assert "<script src" not in text and "@import" not in text
    assert text.count("<svg") == 4
    assert "<b>bold</b>" not in text and TRICKY_ASSET not in text


def test_zero_records_say_so(browser: WebDriver, tmp_path: Path) -> None:
    path = write_html_report([], tmp_path / "empty.html")
    browser.get(path.as_uri())
    assert NO_RECORDS in browser.find_element(By.TAG_NAME, "body").text
    assert browser.find_elements(By.TAG_NAME, "svg") == []
    assert severe_console_entries(browser) == []


def test_a_failed_write_keeps_the_old_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "costs.html"
    path.write_text("the previous report")

    def broken_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        write_html_report(RECORDS[:3], path)
    assert path.read_text() == "the previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["costs.html"]  # no temporary file left


def save_full_page_screenshot(driver: WebDriver, path: Path) -> None:
    """The whole page, not just the window: a WebDriver screenshot in Chromium is the viewport."""
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
    )
    # A 256-colour palette keeps the picture for docs/ small; text and charts stay sharp.
    image = Image.open(io.BytesIO(base64.b64decode(shot["data"]))).convert("RGB")
    path.parent.mkdir(parents=True, exist_ok=True)
    image.quantize(colors=256).save(path, format="PNG", optimize=True)

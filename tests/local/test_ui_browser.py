"""The review page in a real browser: Debian's chromium and chromedriver, driven by selenium,
against `doctables serve` started as a user would start it.

These tests never skip: without chromium, chromedriver or selenium they fail and say what to
install (`apt-get install -y chromium chromium-driver`, `pip install -r requirements.txt`);
`scripts/test` installs all three where they are missing."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from browser_support import CHROMIUM_FLAGS, require_browser
from conftest import ROOT, SAMPLE

from doctables.client import Client
from doctables.outputs.exports import to_csv

pytestmark = pytest.mark.browser  # runs last (tests/conftest.py); never skipped in CI

# The README's screenshot is refreshed only on request (DOCTABLES_SCREENSHOT=docs/review-page.png),
# so a test run leaves the tree clean; otherwise it goes to a temporary file and is still checked.
SCREENSHOT_TARGET = os.environ.get("DOCTABLES_SCREENSHOT")
PIPELINE_TIMEOUT = 240.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Serve:
    """`doctables serve` in a subprocess, its output read by a thread."""

    def __init__(self) -> None:
        self.port, self.ui_port = _free_port(), _free_port()
        while self.ui_port == self.port:
            self.ui_port = _free_port()
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "doctables", "serve", "--port", str(self.port), "--ui-port", str(self.ui_port)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
        )
        threading.Thread(target=self._read, daemon=True).start()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.url = self._wait_for_url(timeout=120)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            self.lines.put(line)

    def _wait_for_url(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            if "review page at " in line:
                return line.split("review page at ", 1)[1].strip()
        self.stop()
        raise AssertionError("doctables serve printed no 'review page at URL':\n" + "".join(self.output))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def serve():
    require_browser()
    running = Serve()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    chromium, driver_path = require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=driver_path, log_output=subprocess.DEVNULL)
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver, condition, timeout: float = 30.0, message: str = ""):
    """Wait for `condition(driver)`; the job list is redrawn as jobs progress, so an element
    gone stale in between just means: look again."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, timeout, poll_frequency=0.2,
                         ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))
    return wait.until(condition, message)


def _fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    with urllib.request.urlopen(url, timeout=60) as answer:
        return answer.status, dict(answer.headers), answer.read()


def _classes(element) -> set[str]:
    return set((element.get_attribute("class") or "").split())


def _assert_no_alert(driver) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    try:
        alert = driver.switch_to.alert
    except NoAlertPresentException:
        return
    text = alert.text
    alert.dismiss()
    raise AssertionError(f"a script from a document ran: alert({text!r})")


def _console_problems(driver) -> list[str]:
    """Console errors (a blocked inline script or style would show here)."""
    return [entry["message"] for entry in driver.get_log("browser")
            if entry.get("level") == "SEVERE" or "Content Security Policy" in entry.get("message", "")]


def test_upload_review_select_and_download(serve, browser, tmp_path):
    from selenium.webdriver.common.by import By

    client = Client.local(serve.endpoint)
    browser.get(serve.url)
    assert browser.title.startswith("Jobs")
    browser.find_element(By.CSS_SELECTOR, "input[type=file]").send_keys(str(SAMPLE))

    # the job appears through the page's own polling and progresses to SUCCEEDED
    job_id = _wait(browser, lambda d: d.find_element(By.XPATH, "//tr[contains(@class, 'job-row')]"
                                                            "[.//a[normalize-space()='sample.pdf']]").get_attribute("data-job"),
                   timeout=PIPELINE_TIMEOUT, message="the uploaded job never appeared in the list")
    assert job_id and len(job_id) == 32
    statuses = set()

    def succeeded(driver) -> bool:
        statuses.add(driver.find_element(By.CSS_SELECTOR, f"tr[data-job='{job_id}'] .badge").text.lower())
        return "succeeded" in statuses

    _wait(browser, succeeded, timeout=PIPELINE_TIMEOUT,
          message="the job did not succeed in time:\n" + "".join(serve.output))
    assert "2 / 2" in _wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, f"tr[data-job='{job_id}'] .pages").text)
    result = client.result(job_id)
    assert result.status == "SUCCEEDED" and result.source.key == "uploads/sample.pdf"
    tables = result.tables
    assert tables

    # the job view: one box per table over the page images, the tables beside them
    _wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, f"tr[data-job='{job_id}'] a.doc-link").click() or True)
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".table-card"), message="the job view did not load")
    assert browser.current_url.rstrip("/").endswith(f"/jobs/{job_id}")
    boxes = browser.find_elements(By.CSS_SELECTOR, "svg.overlay rect.table-box")
    assert len(boxes) == len(tables)
    assert all(box.size["width"] > 20 and box.size["height"] > 20 for box in boxes)
    images = browser.find_elements(By.CSS_SELECTOR, ".page-canvas img")
    assert len(images) == result.pages.total
    for image in images:
        browser.execute_script("arguments[0].scrollIntoView()", image)
        _wait(browser, lambda d, image=image: d.execute_script(
            "return arguments[0].complete && arguments[0].naturalWidth", image), message="a page image did not load")
    browser.execute_script("window.scrollTo(0, 0)")
    assert len(browser.find_elements(By.CSS_SELECTOR, ".table-card")) == len(tables)

    def table_cell(text: str):
        found = [c for c in browser.find_elements(By.CSS_SELECTOR, ".tables-pane .grid [data-cell]")
                 if c.text.strip() == text]
        assert len(found) == 1, f"{text!r} is not shown once in the table view"
        return found[0]

    revenue = table_cell("2024 revenue (USD thousands)")
    people = table_cell("Human Resources")
    for cell in (revenue, people):
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", cell)
        assert cell.is_displayed()
    assert revenue.tag_name == "th" and int(revenue.get_attribute("colspan")) == 4  # a header over Q1..Q4

    # selecting a table cell highlights its box over the page, and the other way round
    def overlay_rect(key: str):
        return browser.find_element(By.CSS_SELECTOR, f"svg.overlay rect[data-cell='{key}']")

    people.click()
    people_key = people.get_attribute("data-cell")
    assert "selected" in _classes(people) and "selected" in _classes(overlay_rect(people_key))
    assert browser.find_element(By.ID, "selection-text").text == "Human Resources"

    revenue_key = revenue.get_attribute("data-cell")
    target = overlay_rect(revenue_key)
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", target)
    target.click()
    assert "selected" in _classes(overlay_rect(revenue_key)) and "selected" in _classes(revenue)
    assert "selected" not in _classes(people) and "selected" not in _classes(overlay_rect(people_key))
    assert len(browser.find_elements(By.CSS_SELECTOR, ".selected")) == 2
    assert browser.find_element(By.ID, "selection-text").text == "2024 revenue (USD thousands)"

    # downloads: a CSV per table equal to to_csv, and every document format
    for table in tables:
        link = browser.find_element(By.CSS_SELECTOR, f"a[data-csv='{table.table_id}']")
        status, headers, body = _fetch(link.get_attribute("href"))
        assert status == 200 and headers["Content-Type"].startswith("text/csv")
        assert body.decode("utf-8") == to_csv(table)
    formats = {a.get_attribute("data-format"): a.get_attribute("href")
               for a in browser.find_elements(By.CSS_SELECTOR, "#downloads a[data-format]")}
    assert set(formats) == {"json", "textract", "xlsx", "md", "html"}
    for fmt, href in formats.items():
        status, headers, body = _fetch(href)
        assert status == 200 and body and headers["Content-Disposition"].startswith("attachment"), fmt
    assert json.loads(_fetch(formats["json"])[2]) == result.to_dict()

    # the screenshot the README shows: the first page's table, a cell selected
    browser.execute_script("window.scrollTo(0, 0)")
    time.sleep(0.5)
    screenshot = Path(SCREENSHOT_TARGET) if SCREENSHOT_TARGET else tmp_path / "review-page.png"
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(screenshot))
    assert screenshot.stat().st_size > 10_000
    assert not _console_problems(browser)


HOSTILE_NAME = '<img src=x onerror=alert(1)><script>alert(2)<\\script>.pdf'


def test_hostile_file_name_dropped_on_the_page_shows_as_text(serve, browser, tmp_path):
    from selenium.webdriver.common.by import By

    browser.get(serve.url)
    # drag and drop: a File in a DataTransfer, dropped on the zone as a browser would
    browser.execute_script(
        """
        const transfer = new DataTransfer();
        transfer.items.add(new File(["not a document, only text"], arguments[0], {type: "application/pdf"}));
        const zone = document.getElementById("dropzone");
        for (const type of ["dragenter", "dragover", "drop"]) {
          zone.dispatchEvent(new DragEvent(type, {dataTransfer: transfer, bubbles: true, cancelable: true}));
        }
        """,
        HOSTILE_NAME,
    )
    shown = HOSTILE_NAME.replace("\\", "_")  # the sanitised key keeps the visible name, not the separator
    _wait(browser, lambda d: d.find_elements(By.XPATH, "//tr[contains(@class, 'job-row')]//span[@class='err-code']"
                                                       "[normalize-space()='NOT_A_DOCUMENT']"),
          timeout=PIPELINE_TIMEOUT, message="the dropped file's job did not fail as NOT_A_DOCUMENT")
    _assert_no_alert(browser)
    texts = _wait(browser, lambda d: [a.text for a in d.find_elements(By.CSS_SELECTOR, "a.doc-link")])
    assert texts.count(shown) == 1, texts
    assert browser.execute_script("return document.querySelectorAll('img[src=\"x\"], tbody script').length") == 0

    def open_job(driver) -> bool:
        link = next((a for a in driver.find_elements(By.CSS_SELECTOR, "a.doc-link") if a.text == shown), None)
        if link is None:
            return False
        link.click()
        return True

    _wait(browser, open_job)
    _wait(browser, lambda d: d.find_elements(By.ID, "job-error"))
    _assert_no_alert(browser)
    assert browser.find_element(By.ID, "job-file").text == shown
    assert "NOT_A_DOCUMENT" in browser.find_element(By.ID, "job-error").text
    assert browser.execute_script("return document.querySelectorAll('img[src=\"x\"], main script').length") == 0
    assert not _console_problems(browser)


def _wide_table_third_page(path: Path) -> None:
    """Two pages of prose, then a landscape page holding one ruled table of 18 columns."""
    import pymupdf

    document = pymupdf.open()
    for number in (1, 2):
        document.new_page().insert_textbox(pymupdf.Rect(72, 72, 540, 720),
                                           f"Chapter {number}. " + "Plain running text without any table. " * 40,
                                           fontsize=11)
    page = document.new_page(width=842, height=595)
    columns, rows, x0, y0, width, height = 18, 8, 30, 120, 43, 22
    for row in range(rows + 1):
        page.draw_line((x0, y0 + row * height), (x0 + columns * width, y0 + row * height))
    for col in range(columns + 1):
        page.draw_line((x0 + col * width, y0), (x0 + col * width, y0 + rows * height))
    for row in range(rows):
        for col in range(columns):
            text = f"Q{col + 1}" if row == 0 else f"{(row * 31 + col * 17) % 900 + 100}"
            page.insert_text((x0 + col * width + 5, y0 + row * height + 15), text, fontsize=9)
    document.save(path)


def test_a_job_opens_on_its_first_table_and_a_wide_table_scrolls(serve, browser, tmp_path):
    from selenium.webdriver.common.by import By

    source = tmp_path / "wide.pdf"
    _wide_table_third_page(source)
    client = Client.local(serve.endpoint)
    job_id = client.submit(source)
    job = client.wait(job_id, timeout=PIPELINE_TIMEOUT)
    assert job.status.value == "SUCCEEDED" and job.tables_found == 1, "".join(serve.output)

    browser.set_window_size(1280, 900)
    browser.get(f"{serve.url.rstrip('/')}/jobs/{job_id}")
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".table-card"), message="the job view did not load")
    third, first = browser.find_element(By.ID, "page-3"), browser.find_element(By.ID, "page-1")
    where = "return [arguments[0].getBoundingClientRect().top, arguments[1].getBoundingClientRect().bottom, innerHeight]"
    # opened on page 3, the first with a table: its top in the upper half of the window (the
    # document ends below it), page 1 scrolled past
    _wait(browser, lambda d: (lambda top, bottom, height: 0 <= top < height / 2 and bottom <= 0)(
        *d.execute_script(where, third, first)),
        message="the job view did not open on the page with the table")
    assert browser.execute_script("return window.scrollY") > 0

    # the table is wider than its pane: it scrolls sideways, and its last column can be reached
    scroller = browser.find_element(By.CSS_SELECTOR, ".table-card .table-scroll")
    assert browser.execute_script("return arguments[0].scrollWidth > arguments[0].clientWidth", scroller)
    assert browser.execute_script("return getComputedStyle(arguments[0]).overflowX", scroller) == "auto"
    browser.execute_script("arguments[0].scrollLeft = arguments[0].scrollWidth", scroller)
    last = scroller.find_elements(By.CSS_SELECTOR, "table.grid tr:first-child > *")[-1]
    assert last.text == "Q18"
    right, limit = browser.execute_script(
        "return [arguments[0].getBoundingClientRect().right, arguments[1].getBoundingClientRect().right]",
        last, scroller)
    assert right <= limit + 1

"""A page that kills its invocation, runs past its time budget or arrives in a hostile TIFF fails
alone: the other pages of its batch, its document and the other documents are untouched."""

from __future__ import annotations

import io
import struct
import threading
import time
from collections import Counter

import pymupdf
import pytest
from PIL import Image

import doctables
import doctables.pipeline.table_stage as table_stage
from doctables.convert.render import open_document, render_page
from doctables.deadline import within_budget
from doctables.errors import DocumentError, ErrorCode
from doctables.local.stack import TABLE, InvocationDied, LocalStack
from doctables.pipeline.aws import current_runtime
from doctables.pipeline.store import JobStore
from doctables.settings import Settings


def _text_pdf(*texts: str) -> bytes:
    document = pymupdf.open()
    for text in texts:
        document.new_page().insert_text((72, 72), text)
    return document.tobytes()


def _with_extra_page(base: bytes, text: str) -> bytes:
    document = pymupdf.open(stream=base, filetype="pdf")
    document.new_page().insert_text((72, 72), text)
    return document.tobytes()


def _marked(layout, word: str) -> bool:
    return any(w.text == word for w in layout.words)


def _queued(stack, queue: str) -> int:
    answer = stack.aws.sqs.get_queue_attributes(
        QueueUrl=getattr(stack.queues, queue), AttributeNames=["ApproximateNumberOfMessages"]
    )
    return int(answer["Attributes"]["ApproximateNumberOfMessages"])


# --- (a) a page that kills its invocation ---------------------------------------------------------

@pytest.mark.parametrize("heavy_first", [True, False], ids=["heavy-page-first", "heavy-page-last"])
def test_a_page_that_kills_its_invocation_takes_only_itself_down(sample_bytes, monkeypatch, heavy_first):
    """The audit's case: one heavy page kills its invocation (out of memory, timed out) while an
    innocent two-page document shares its batch. Before, the whole batch came back every time and
    the innocent document ended FAILED, both pages PAGE_FAILED_REPEATEDLY, after 9 redeliveries."""
    real_find = table_stage.find_page
    runs: Counter = Counter()

    def find_page(image, layout, settings, **options):
        heavy = _marked(layout, "HEAVY")
        runs["heavy" if heavy else f"innocent page {layout.page}"] += 1
        if heavy:
            raise InvocationDied("the function ran out of memory on this page")
        return real_find(image, layout, settings, **options)

    monkeypatch.setattr(table_stage, "find_page", find_page)
    with LocalStack() as stack:
        dead_letters = stack._handlers["dead_letters"]
        real_dead = dead_letters.fail_dead_letter
        dead: list[str] = []

        def fail_dead_letter(body, runtime):
            dead.append(body)
            return real_dead(body, runtime)

        monkeypatch.setattr(dead_letters, "fail_dead_letter", fail_dead_letter)
        documents = [("heavy.pdf", _text_pdf("HEAVY")), ("innocent.pdf", sample_bytes)]
        keys = [stack.upload(data, name) for name, data in (documents if heavy_first else documents[::-1])]
        stack.pump_once("ingest")
        assert _queued(stack, "pages") == 3  # one batch: the heavy page and the innocent document's two
        stack.run_until(lambda: all(stack.event_for_key(k) for k in keys), timeout=180)

        heavy, innocent = (stack.event_for_key(k)["detail"] for k in (keys if heavy_first else keys[::-1]))
        assert innocent["status"] == "SUCCEEDED"
        assert innocent["pages"] == {"total": 2, "done": 2, "failed": 0} and innocent["tables"] == 2
        assert heavy["status"] == "FAILED" and heavy["pages"] == {"total": 1, "done": 0, "failed": 1}
        page = stack.result(heavy["job_id"])["page_results"][0]
        assert page["error"]["code"] == "PAGE_FAILED_REPEATEDLY"
        # Only the guilty page reached the dead-letter queue, after its three receives.
        assert len(dead) == 1 and '"page":1' in dead[0] and heavy["job_id"] in dead[0]
        assert runs["heavy"] == 3
        assert table_stage.page_attempts(heavy["job_id"], 1, current_runtime()) == 3
        # The innocent pages ran once each: a page settled before the death comes back as a duplicate.
        assert runs["innocent page 1"] == 1 and runs["innocent page 2"] == 1
        assert stack.redeliveries <= 5  # 3 for the first death, then the heavy page alone (9 before)
        pages, _tables = JobStore(stack.aws.dynamodb, TABLE).job_contents(innocent["job_id"])
        assert [p.status for p in pages] == ["DONE", "DONE"]


@pytest.mark.integration
def test_a_redelivered_batch_runs_the_suspect_last_and_deletes_the_others_first(sample_bytes, monkeypatch):
    """Driven by hand: the batch's first delivery dies on the heavy page; the second delivery
    knows it (marked, never settled), runs it last, and deletes every message done before it."""
    real_find = table_stage.find_page

    def find_page(image, layout, settings, **options):
        if _marked(layout, "HEAVY"):
            raise InvocationDied("killed")
        return real_find(image, layout, settings, **options)

    monkeypatch.setattr(table_stage, "find_page", find_page)
    from doctables.local.stack import LambdaContext, _as_lambda_record

    with LocalStack() as stack:
        stack.upload(_text_pdf("HEAVY"), "heavy.pdf")
        stack.upload(_text_pdf("one", "two"), "plain.pdf")
        stack.pump_once("ingest")
        tables = stack._handlers["tables"]

        def receive():
            answer = stack.aws.sqs.receive_message(QueueUrl=stack.queues.pages, MaxNumberOfMessages=10,
                                                   AttributeNames=["All"], VisibilityTimeout=0)
            return {"Records": [_as_lambda_record(m) for m in answer["Messages"]]}

        first = receive()
        assert len(first["Records"]) == 3
        with pytest.raises(InvocationDied):
            tables.handler(first, LambdaContext("tables"))
        second = receive()
        assert {table_stage.receive_count(r) for r in second["Records"]} == {2}
        runtime = current_runtime()
        with pytest.raises(InvocationDied):
            tables.handler(second, LambdaContext("tables"))
        # The two plain pages were done and deleted before the heavy page ran again: only it is left.
        left = receive()["Records"]
        assert len(left) == 1 and '"page":1' in left[0]["body"]
        assert table_stage.page_attempts(_job_of(left[0]), 1, runtime) == 2


def _job_of(record) -> str:
    import json

    return json.loads(record["body"])["job_id"]


def test_a_batch_of_first_deliveries_makes_no_extra_call(monkeypatch):
    """The careful path (suspect look-ups, early deletes) costs nothing when nothing came back."""
    done = []

    def process_page(message, runtime, budget=None, **_options):
        done.append(message.page)
        return table_stage.PageOutcome(message.job_id, message.page, "done")

    def forbidden(*_args, **_kwargs):
        raise AssertionError("no look-up or delete for first deliveries")

    monkeypatch.setattr(table_stage, "process_page", process_page)
    monkeypatch.setattr(table_stage, "was_running", forbidden)
    monkeypatch.setattr(table_stage, "_delete", forbidden)
    result = table_stage.process_batch([_record(n) for n in (1, 2, 3, 4)], _FakeRuntime())
    assert done == [1, 2, 3, 4] and result.item_failures == []


def test_a_redelivered_batch_orders_suspects_last_and_most_received_first(monkeypatch):
    done, deleted = [], []

    def process_page(message, runtime, budget=None, **_options):
        done.append(message.page)
        if message.page == 2:
            raise RuntimeError("the suspect fails again")
        return table_stage.PageOutcome(message.job_id, message.page, "done")

    monkeypatch.setattr(table_stage, "process_page", process_page)
    monkeypatch.setattr(table_stage, "was_running", lambda message, runtime: message.page == 2)
    monkeypatch.setattr(table_stage, "_delete", lambda record, runtime: deleted.append(record["messageId"]) or True)
    records = [_record(1, receives=2), _record(2, receives=2), _record(3, receives=1), _record(4, receives=3)]
    result = table_stage.process_batch(records, _FakeRuntime())
    assert done == [4, 1, 3, 2]  # most received first, the suspect last
    assert deleted == ["m4", "m1", "m3"]  # each deleted as soon as it was done, before the suspect ran
    assert result.suspects == ["m2"] and result.failures == ["m2"]


# --- (b) a time budget per page -----------------------------------------------------------------

def test_within_budget_stops_work_that_runs_past_it():
    def spin(seconds: float) -> str:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                time.sleep(0.005)
            except Exception:  # a fallback in the page's code must not swallow the deadline
                pass
        return "finished"

    assert within_budget(1.0, spin, 0.05) == "finished"
    assert within_budget(0, spin, 0.05) == "finished"  # 0: no budget
    started = time.monotonic()
    with pytest.raises(DocumentError) as error:
        within_budget(0.2, spin, 10.0, page=7)
    assert time.monotonic() - started < 2.0
    assert error.value.code is ErrorCode.PAGE_TIMEOUT and "page 7" in error.value.message
    spin(0.3)  # nothing is left pending to strike later


def test_within_budget_works_in_any_thread():
    outcome: list[object] = []

    def worker():
        try:
            within_budget(0.2, time.sleep, 0.01)
            within_budget(0.2, lambda: [time.sleep(0.01) for _ in range(500)])
        except DocumentError as error:
            outcome.append(error.code)

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(10)
    assert outcome == [ErrorCode.PAGE_TIMEOUT]


def _slow_find_page_tables(real):
    def find_page(image, layout, settings, **options):
        if _marked(layout, "SLOW"):  # a page whose table stage would take far too long
            end = time.monotonic() + 20.0
            while time.monotonic() < end:
                time.sleep(0.01)
            raise RuntimeError("the slow page was never stopped")
        return real(image, layout, settings, **options)

    return find_page


def test_a_page_over_its_time_budget_fails_alone_with_page_timeout(sample_bytes, monkeypatch):
    monkeypatch.setattr(table_stage, "find_page", _slow_find_page_tables(table_stage.find_page))
    with LocalStack(Settings(page_time_budget=4.0)) as stack:
        key = stack.upload(_with_extra_page(sample_bytes, "SLOW"), "slow.pdf")
        stack.run_until(lambda: stack.event_for_key(key) is not None, timeout=120)
        detail = stack.event_for_key(key)["detail"]
        assert detail["status"] == "PARTIALLY_SUCCEEDED"
        assert detail["pages"] == {"total": 3, "done": 2, "failed": 1} and detail["tables"] == 2
        page = stack.result(detail["job_id"])["page_results"][2]
        assert page["error"]["code"] == "PAGE_TIMEOUT" and "time budget of 4 s" in page["error"]["message"]
        assert stack.redeliveries == 0 and not stack.handler_errors  # failed once, for good: no retry


def test_extract_records_a_page_over_its_time_budget_as_the_pipeline_does(sample_bytes, monkeypatch):
    import doctables.inprocess as inprocess

    monkeypatch.setattr(inprocess, "find_page", _slow_find_page_tables(inprocess.find_page))
    document = doctables.extract(_with_extra_page(sample_bytes, "SLOW"), settings=Settings(page_time_budget=4.0))
    assert document.status == "PARTIALLY_SUCCEEDED" and len(document.tables) == 2
    assert [p.page for p in document.failed_pages] == [3]
    assert document.failed_pages[0].error["code"] == "PAGE_TIMEOUT"


def test_pages_without_time_left_in_the_invocation_go_back_unstarted(monkeypatch):
    clock = {"left": 100.0}
    budgets = []

    def process_page(message, runtime, budget=None, **_options):
        budgets.append(budget)
        clock["left"] -= 30.0
        return table_stage.PageOutcome(message.job_id, message.page, "done")

    monkeypatch.setattr(table_stage, "process_page", process_page)
    runtime = _FakeRuntime(Settings(page_time_budget=60.0))
    result = table_stage.process_batch([_record(n) for n in (1, 2, 3, 4)], runtime,
                                       remaining_seconds=lambda: clock["left"])
    # 100 s left: page 1; 70 s: page 2 (60 s of budget and 10 to finish); 40 s: no room for page 3.
    assert budgets == [60.0, 60.0] and result.deferred == ["m3", "m4"] and result.failures == []
    # A short invocation still runs its first page, within the time it has.
    clock["left"], budgets[:] = 45.0, []
    result = table_stage.process_batch([_record(1)], runtime, remaining_seconds=lambda: clock["left"])
    assert budgets == [35.0] and result.deferred == []


class _FakeRuntime:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.aws = None


def _record(page: int, receives: int = 1) -> dict:
    body = (f'{{"kind":"page","v":1,"job_id":"j","page":{page},"bucket":"b",'
            f'"image_key":"i{page}","layout_key":"l{page}"}}')
    return {"messageId": f"m{page}", "receiptHandle": f"r{page}", "body": body,
            "attributes": {"ApproximateReceiveCount": str(receives)}}


# --- (c) multi-frame TIFFs: frame and pixel budgets from the headers, before MuPDF -------------------

def _tiff(frames: int, size: tuple[int, int] = (8, 8), big: dict[int, tuple[int, int]] | None = None) -> bytes:
    """An uncompressed grey TIFF of `frames` directories sharing one strip (built directly:
    PIL takes minutes for a hundred thousand frames)."""
    entry_count = 8
    ifd_size = 2 + 12 * entry_count + 4
    strip = 8 + ifd_size * frames
    out = bytearray(b"II*\x00" + struct.pack("<I", 8))
    for index in range(frames):
        width, height = (big or {}).get(index, size)
        following = 8 + ifd_size * (index + 1) if index + 1 < frames else 0
        out += struct.pack("<H", entry_count)
        for tag, kind, value in ((256, 4, width), (257, 4, height), (258, 3, 8), (259, 3, 1), (262, 3, 1),
                                 (273, 4, strip), (278, 4, size[1]), (279, 4, size[0] * size[1])):
            out += struct.pack("<HHII", tag, kind, 1, value)
        out += struct.pack("<I", following)
    return bytes(out + b"\x80" * (size[0] * size[1]))


@pytest.fixture
def mupdf_never_opens(monkeypatch):
    def refuse(*_args, **_kwargs):
        raise AssertionError("MuPDF opened the TIFF before its headers were checked")

    monkeypatch.setattr(pymupdf, "open", refuse)
    monkeypatch.setattr(pymupdf, "Document", refuse)


def test_a_tiff_over_the_frame_budget_is_refused_from_its_headers(mupdf_never_opens):
    with pytest.raises(DocumentError) as error:
        open_document(_tiff(21), Settings(max_pages=20))
    assert error.value.code is ErrorCode.TOO_MANY_PAGES
    assert "more than 20 frames" in error.value.message and "limit of 20" in error.value.message


def test_a_tiff_of_200000_frames_is_refused_at_once(mupdf_never_opens):
    """MuPDF counts a TIFF's frames when it opens it, in time that grows with their square:
    200,000 one-pixel frames (20 MB) took 6.7 s, a million (100 MB, within the byte limit)
    would take minutes. The headers say "too many" after the limit's 2,001st directory."""
    data = _tiff(200_000)
    started = time.monotonic()
    with pytest.raises(DocumentError) as error:
        open_document(data, Settings())
    assert error.value.code is ErrorCode.TOO_MANY_PAGES
    assert time.monotonic() - started < 1.0


def test_a_tiff_frame_over_the_pixel_budget_is_refused_before_mupdf_opens_it(mupdf_never_opens):
    with pytest.raises(DocumentError) as error:
        open_document(_tiff(3, big={1: (20_000, 20_000)}), Settings())
    assert error.value.code is ErrorCode.PAGE_TOO_LARGE and "page 2" in error.value.message


def test_a_tiff_within_its_budgets_opens_and_renders_every_frame():
    frames = [Image.new("L", (60 + 10 * i, 40), 255) for i in range(5)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:])
    document = open_document(buffer.getvalue(), Settings(max_pages=5))
    assert document.page_count == 5
    widths = [render_page(document.load_page(i), i + 1, 144).layout.image_width for i in range(5)]
    assert widths == [60, 70, 80, 90, 100]
    assert open_document(_tiff(20), Settings(max_pages=20)).page_count == 20  # at the limit: accepted


def test_a_tiff_over_the_frame_budget_fails_its_job_with_a_recorded_code():
    with LocalStack(Settings(max_pages=20)) as stack:
        key = stack.upload(_tiff(21), "fax.tif")
        stack.run_until(lambda: stack.event_for_key(key) is not None, timeout=60)
        detail = stack.event_for_key(key)["detail"]
        assert detail["status"] == "FAILED" and detail["error"]["code"] == "TOO_MANY_PAGES"


@pytest.mark.integration  # a subprocess
def test_tiff_frames_render_one_at_a_time_with_flat_memory():
    """The bench's measurement (bench.hostile) on a small size: memory after the last frame is
    what it was after the tenth."""
    from bench.hostile import measure_tiff_conversion

    report = measure_tiff_conversion(frames=60, timeout=300)
    assert report["frames"] == 60 and report["failed"] == 0
    assert report["rss_mb_last"] - report["rss_mb_tenth"] < 40, report


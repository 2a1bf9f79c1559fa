"""bench.speed's billing arithmetic: DynamoDB item sizes as DynamoDB counts them."""

from __future__ import annotations

import pytest

from bench.speed import cost


def test_item_bytes_count_binaries_raw_and_numbers_by_digits():
    item = {
        "pk": {"S": "JOB#é"},  # 2 + 6 (é is two bytes in UTF-8)
        "body_gz": {"B": b"\x1f\x8b" * 1000},  # 7 + 2000: raw bytes, not their repr or base64
        "n": {"N": "12345"},  # 1 + 4: three bytes for 5 significant digits, plus one
        "tables": {"L": [{"N": "1"}, {"S": "ab"}]},  # 6 + 3 + (1 + 2) + (1 + 2)
        "m": {"M": {"k": {"BOOL": True}}},  # 1 + 3 + (1 + 1 + 1)
        "pages": {"NS": ["1", "100"]},  # 5 + 2 + 2
    }
    assert cost.dynamodb_item_bytes(item) == 8 + 2007 + 5 + 15 + 7 + 9


def test_a_binary_of_3000_bytes_is_three_write_units_not_twelve():
    item = {"pk": {"S": "a"}, "body_gz": {"B": b"\x00" * 3000}}
    assert cost.request_units("dynamodb", "PutItem", {"Item": item}) == {"dynamodb_wru": 3.0}


def test_updates_are_billed_on_the_item_as_it_stands_after():
    big = {"pk": {"S": "a" * 2500}}
    assert cost.request_units("dynamodb", "UpdateItem", {}, {}, [big]) == {"dynamodb_wru": 3.0}
    assert cost.request_units("dynamodb", "UpdateItem", {}) == {"dynamodb_wru": 1.0}
    transaction = {"TransactItems": [{"Put": {"Item": {"pk": {"S": "a"}}}}, {"Update": {}}]}
    assert cost.request_units("dynamodb", "TransactWriteItems", transaction, {}, [big]) == {"dynamodb_wru": 8.0}


# --- the Lambda model (bench.speed.lambda_model) ---------------------------------------------

from bench.speed import lambda_model  # noqa: E402


def config(**overrides):
    values = {"conversion_memory_mb": 1769, "table_memory_mb": 2048, "range_pages": 50, "batch_size": 4,
              "max_concurrency": 10, "model_threads": 1, "max_pages": 3000}
    return cost.StackConfig(**{**values, **overrides})


def test_cpu_share_grows_with_memory_up_to_the_threads_used():
    assert lambda_model.cpu_scale(1769, 1769) == 1.0
    assert lambda_model.cpu_scale(884.5, 1769) == 2.0  # half the memory: half the CPU
    assert lambda_model.cpu_scale(4096, 2048) == 1.0  # one thread: more than one vCPU does not help
    assert lambda_model.cpu_scale(3538, 1769, threads=2) == 0.5


def test_a_long_document_finishes_when_its_last_batch_does():
    seconds = lambda_model.StageSeconds(conversion_per_page=0.05, table_per_page=0.1, table_model_init=0.2,
                                        measured_at_mb=(1769, 2048))
    none = lambda_model.Assumptions(table_init_s=0, conversion_init_s=0, range_overhead_s=0, batch_overhead_s=0,
                                    queue_latency_s=0, finish_per_page_s=0, table_concurrency=10)
    # one range of 40 pages: converted in 2 s, then 10 batches of 4 on 10 workers, 0.4 s each (+ model init)
    result = lambda_model.finish_time(40, config(), seconds, none)
    assert (result["ranges"], result["table_invocations"], result["table_cold_starts"]) == (1, 10, 10)
    assert result["finished_s"] == pytest.approx(2.0 + 0.2 + 0.4)
    # 3,000 pages: 60 ranges on 5 conversion workers keep 10 table workers fed or not; slower is later
    long = lambda_model.finish_time(3000, config(), seconds)
    slower = lambda_model.finish_time(3000, config(), seconds, lambda_model.Assumptions(arm_slowdown=1.5))
    assert long["ranges"] == 60 and 0 < long["conversion_done_s"] <= long["finished_s"] < slower["finished_s"]
    assert long["table_cold_starts"] == 10
    # less memory for the table stage: less CPU, later
    assert lambda_model.finish_time(3000, config(), seconds, memory=(1769, 1024))["finished_s"] > long["finished_s"]


def test_requests_are_fitted_per_document_and_per_page():
    runs = [{"pages": {"total": n}, "units": {"s3_put": 2 + 0.02 * n, "dynamodb_wru": 3 + 4 * n}} for n in (10, 100)]
    linear = lambda_model.fit_linear(runs)
    assert linear.per_document["s3_put"] == pytest.approx(2) and linear.per_page["dynamodb_wru"] == pytest.approx(4)
    usage = cost.Usage(conversion_seconds=0.05, table_seconds=0.1)
    rows = lambda_model.cost_by_size(usage, linear, config())
    assert [r["pages"] for r in rows] == [10, 100, 1000, 3000]
    per_page = [r["dollars_per_1000_pages"] for r in rows]
    assert per_page == sorted(per_page, reverse=True) and per_page[-1] > 0.99 * per_page[-2]  # flat at scale


def test_the_memory_sweep_marks_sizes_below_the_floor():
    usage = cost.Usage(conversion_seconds=0.05, table_seconds=0.1)
    rows = lambda_model.memory_sweep(usage, config(), 300, floors=(1024, 2048))
    table = {r["memory_mb"]: r for r in rows if r["function"] == "table"}
    assert not table[1769]["fits"] and table[2048]["fits"] and table[2048]["configured"]
    # CPU-bound, one thread: the same GB-seconds below a vCPU, more above it
    assert table[1024]["compute_dollars"] == pytest.approx(table[1769]["compute_dollars"], rel=1e-3)
    assert table[4096]["compute_dollars"] > table[2048]["compute_dollars"]


def test_a_20000_page_document_is_refused_up_front():
    result = lambda_model.refused_up_front(20000, 3000)
    assert result["refused_with"] == "TOO_MANY_PAGES" and result["ms"] < 1000
    assert lambda_model.refused_up_front(3, 3000)["refused_with"] is None


def test_the_stack_takes_a_textract_sized_document():
    import json as _json
    from pathlib import Path

    context = _json.loads((Path(__file__).parent.parent / "cdk.json").read_text())["context"]
    assert 3000 <= context["maxPages"] < 20000

"""Settings: every tunable is a context key with its default in cdk.json, typed and checked."""

from __future__ import annotations

from dataclasses import fields

import pytest
from infra_testing import REPO_ROOT

from infra.settings import (
    CONTEXT_KEYS,
    DocTablesSettings,
    SettingsError,
    load_cdk_json_context,
    render_context_table,
)

pytest_plugins = ["infra_fixtures"]

REQUIRED_KEYS = {
    # the list of tunables
    "dpi", "conversionMemoryMb", "conversionTimeoutSeconds", "tableMemoryMb",
    "tableTimeoutSeconds", "batchSize", "maxBatchingWindowSeconds", "maxConcurrency",
    "maxReceiveCount", "maxPages", "maxBytes", "maxPagePixels", "maxRenderPixels", "rangePages",
    "detectionModel", "structureModel", "modelThreads", "pageTtlDays", "pagesLifecycleDays",
    "architecture", "eventBusName", "uploadPrefix", "logRetentionDays", "destroyOnRemove",
    # the sweeper's
    "jobDeadlineMinutes", "sweepIntervalMinutes",
}


def test_every_context_key_has_a_default_in_cdk_json() -> None:
    context = load_cdk_json_context()
    keys = {entry.key for entry in CONTEXT_KEYS}
    assert REQUIRED_KEYS <= keys
    assert keys <= set(context), sorted(keys - set(context))
    assert context["uploadPrefix"] == "uploads/"
    assert context["eventBusName"] == "default"
    assert context["destroyOnRemove"] is False


def test_every_settings_field_is_a_context_key() -> None:
    assert {f.name for f in fields(DocTablesSettings)} == {e.field for e in CONTEXT_KEYS}


def test_context_md_documents_every_key_with_its_default() -> None:
    document = (REPO_ROOT / "infra" / "CONTEXT.md").read_text(encoding="utf-8")
    assert render_context_table() in document


def test_cli_strings_are_converted() -> None:
    context = dict(load_cdk_json_context())
    context.update(
        dpi="200", destroyOnRemove="true", detectionThreshold="0.7", bundle="false",
        architecture="x86_64",
    )
    settings = DocTablesSettings.from_context(context.get)
    assert settings.dpi == 200
    assert settings.destroy_on_remove is True
    assert settings.detection_threshold == pytest.approx(0.7)
    assert settings.bundle is False
    assert settings.architecture == "x86_64"


def test_missing_key_is_reported() -> None:
    context = dict(load_cdk_json_context())
    del context["dpi"]
    with pytest.raises(SettingsError, match="dpi"):
        DocTablesSettings.from_context(context.get)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"architecture": "arm"}, "architecture"),
        ({"encryption": "aes"}, "encryption"),
        ({"upload_prefix": ""}, "uploadPrefix"),
        ({"upload_prefix": "uploads"}, "uploadPrefix"),
        # a prefix overlapping what the pipeline writes would trigger conversions of its output
        ({"upload_prefix": "pages/"}, "overlaps"),
        ({"upload_prefix": "results/in/"}, "overlaps"),
        ({"event_bus_name": "arn:aws:events:eu-west-1:1:event-bus/x"}, "eventBusName"),
        ({"max_concurrency": 1}, "maxConcurrency"),
        ({"batch_size": 11, "max_batching_window_seconds": 0}, "batchSize"),
        ({"table_timeout_seconds": 901}, "table_timeout_seconds"),
        ({"log_retention_days": 31}, "logRetentionDays"),
        ({"detection_threshold": 1.5}, "detectionThreshold"),
        ({"max_receive_count": 0}, "maxReceiveCount"),
        ({"max_render_pixels": 0}, "max_render_pixels"),
        ({"export_formats": "csv,pdf"}, "exportFormats"),
    ],
)
def test_invalid_values_are_rejected(changes: dict, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        DocTablesSettings.defaults(**changes)


def test_bad_types_are_rejected() -> None:
    context = dict(load_cdk_json_context(), dpi="high")
    with pytest.raises(SettingsError, match="dpi"):
        DocTablesSettings.from_context(context.get)
    context = dict(load_cdk_json_context(), destroyOnRemove="maybe")
    with pytest.raises(SettingsError, match="destroyOnRemove"):
        DocTablesSettings.from_context(context.get)


def test_large_batches_need_a_batching_window() -> None:
    settings = DocTablesSettings.defaults(batch_size=100, max_batching_window_seconds=5)
    assert settings.batch_size == 100


def test_every_allowed_log_retention_maps_to_a_cloudwatch_value() -> None:
    from infra.function_base import _RETENTION
    from infra.settings import LOG_RETENTION_DAYS

    assert set(_RETENTION) == set(LOG_RETENTION_DAYS)


def test_export_formats_match_the_runtimes() -> None:
    from doctables.outputs.exports import FORMATS
    from infra.settings import EXPORT_FORMATS

    assert tuple(EXPORT_FORMATS) == tuple(FORMATS)

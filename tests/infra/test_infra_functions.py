"""Lambda: the conversion, table and dead-letter functions and the dependencies layer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk.assertions import Annotations, Match
from infra_testing import Synthesized, synthesize

from infra.settings import DocTablesSettings
from infra.table_stage import DOCKER_CONTEXT_EXCLUDE

pytest_plugins = ["infra_fixtures"]

RUNTIME_ENVIRONMENT = {
    "DOCTABLES_BUCKET", "DOCTABLES_TABLE", "DOCTABLES_PAGE_QUEUE_URL", "DOCTABLES_RANGE_QUEUE_URL",
    "DOCTABLES_EVENT_BUS", "DOCTABLES_UPLOAD_PREFIX", "DOCTABLES_DPI", "DOCTABLES_MAX_PAGES",
    "DOCTABLES_MAX_BYTES", "DOCTABLES_MAX_PAGE_PIXELS", "DOCTABLES_MAX_RENDER_PIXELS",
    "DOCTABLES_RANGE_PAGES",
    "DOCTABLES_DETECTION_MODEL", "DOCTABLES_STRUCTURE_MODEL", "DOCTABLES_MODEL_THREADS",
    "DOCTABLES_STRUCTURE_DECODER",
    "DOCTABLES_DETECTION_THRESHOLD", "DOCTABLES_PAGE_TTL_DAYS", "DOCTABLES_JOB_DEADLINE_MINUTES",
    "DOCTABLES_OCR_DETECTION_MODEL", "DOCTABLES_OCR_RECOGNITION_MODEL",
    "DOCTABLES_OCR_FULL_PAGE", "DOCTABLES_EXPORT_FORMATS", "DOCTABLES_PAGE_TIME_BUDGET",
    "DOCTABLES_TEXTRACT_BUCKETS", "DOCTABLES_TEXTRACT_TPS", "DOCTABLES_TEXTRACT_ANALYSIS_FUNCTION",
}
# set on the Textract API function only (the function it invokes for AnalyzeDocument)
API_ONLY = {"DOCTABLES_TEXTRACT_ANALYSIS_FUNCTION"}
# variable -> settings field: set only when the context names a path (the image has defaults)
MODEL_VARIABLES = {
    "DOCTABLES_DETECTION_MODEL": "detection_model",
    "DOCTABLES_STRUCTURE_MODEL": "structure_model",
    "DOCTABLES_OCR_DETECTION_MODEL": "ocr_detection_model",
    "DOCTABLES_OCR_RECOGNITION_MODEL": "ocr_recognition_model",
}


def _function(synth: Synthesized, construct) -> dict:
    return synth.json["Resources"][synth.logical_id(construct.function)]["Properties"]


def _functions(synth: Synthesized) -> dict[str, dict]:
    stack = synth.stack
    return {
        "conversion": _function(synth, stack.conversion),
        "table": _function(synth, stack.table_stage),
        "dead_letters": _function(synth, stack.dead_letters),
        "sweeper": _function(synth, stack.sweeper),
    }


def test_four_pipeline_functions_three_of_textracts_api_and_the_backfill_starter(synthesized: Synthesized) -> None:
    # plus CDK's bucket-notifications handler (and, with destroyOnRemove, the
    # auto-delete provider, which is a plain CfnResource of type AWS::Lambda::Function)
    functions = synthesized.resources("AWS::Lambda::Function")
    ours = [f for f in functions.values() if f["Properties"].get("TracingConfig")]
    assert len(ours) == 4 + 3 + 1


def test_zip_functions(synthesized: Synthesized) -> None:
    arch = synthesized.settings.architecture
    layer_ref = synthesized.ref(synthesized.stack.node.find_child("Dependencies").layer)
    for name, construct in (("conversion", synthesized.stack.conversion),
                            ("dead_letters", synthesized.stack.dead_letters),
                            ("sweeper", synthesized.stack.sweeper),
                            ("backfill", synthesized.stack.backfill.starter)):
        properties = _function(synthesized, construct)
        assert properties["Runtime"] == "python3.12", name
        assert properties["Handler"] == "handler.handler", name
        assert properties["Architectures"] == [arch], name
        assert properties["Layers"] == [layer_ref], name
        assert properties["TracingConfig"] == {"Mode": "Active"}, name
        assert properties["LoggingConfig"] == {"LogGroup": synthesized.ref(construct.log_group)}, name
    conversion = _function(synthesized, synthesized.stack.conversion)
    assert conversion["MemorySize"] == synthesized.settings.conversion_memory_mb
    assert conversion["Timeout"] == synthesized.settings.conversion_timeout_seconds
    assert conversion["EphemeralStorage"] == {"Size": synthesized.settings.conversion_ephemeral_storage_mb}
    dead_letters = _function(synthesized, synthesized.stack.dead_letters)
    assert dead_letters["MemorySize"] == synthesized.settings.dead_letter_memory_mb
    assert dead_letters["Timeout"] == synthesized.settings.dead_letter_timeout_seconds
    sweeper = _function(synthesized, synthesized.stack.sweeper)
    assert sweeper["MemorySize"] == synthesized.settings.sweeper_memory_mb
    assert sweeper["Timeout"] == synthesized.settings.sweeper_timeout_seconds


def test_layer(synthesized: Synthesized) -> None:
    synthesized.template.resource_count_is("AWS::Lambda::LayerVersion", 1)
    synthesized.template.has_resource_properties(
        "AWS::Lambda::LayerVersion",
        {
            "CompatibleRuntimes": ["python3.12"],
            "CompatibleArchitectures": [synthesized.settings.architecture],
        },
    )


def test_table_function_is_a_container_image(synthesized: Synthesized) -> None:
    properties = _function(synthesized, synthesized.stack.table_stage)
    assert properties["PackageType"] == "Image"
    assert "Runtime" not in properties and "Handler" not in properties
    assert properties["Architectures"] == [synthesized.settings.architecture]
    assert properties["MemorySize"] == synthesized.settings.table_memory_mb
    assert properties["Timeout"] == synthesized.settings.table_timeout_seconds
    assert properties["TracingConfig"] == {"Mode": "Active"}


def test_analysis_function_runs_the_table_image_within_api_gateways_limit(synthesized: Synthesized) -> None:
    """AnalyzeDocument's function is the table stage's image (one asset) with its own handler,
    under API Gateway's 29 s: the API function (29 s) waits for it, and it stops a slow page first."""
    from infra.table_stage import ANALYSIS_PAGE_BUDGET_S, ANALYSIS_TIMEOUT_S

    stack = synthesized.stack
    analysis = _function(synthesized, stack.textract_analysis)
    table = _function(synthesized, stack.table_stage)
    assert analysis["PackageType"] == "Image" and analysis["Code"] == table["Code"]  # the same image
    assert analysis["ImageConfig"] == {"Command": ["analyze.handler"]} and "ImageConfig" not in table
    assert analysis["Timeout"] == ANALYSIS_TIMEOUT_S < 29 and analysis["TracingConfig"] == {"Mode": "Active"}
    environment = analysis["Environment"]["Variables"]
    assert float(environment["DOCTABLES_PAGE_TIME_BUDGET"]) == ANALYSIS_PAGE_BUDGET_S < ANALYSIS_TIMEOUT_S
    table_environment = table["Environment"]["Variables"]
    assert {k: v for k, v in environment.items() if k != "DOCTABLES_PAGE_TIME_BUDGET"} == {
        k: v for k, v in table_environment.items() if k != "DOCTABLES_PAGE_TIME_BUDGET"}  # the table stage's
    assert "ReservedConcurrentExecutions" not in analysis
    api = _function(synthesized, stack.textract.handler)["Environment"]["Variables"]
    assert api["DOCTABLES_TEXTRACT_ANALYSIS_FUNCTION"] == synthesized.ref(stack.textract_analysis.function)
    handler = Path(__file__).resolve().parents[2] / "lambdas" / "analyze" / "handler.py"
    dockerfile = (Path(__file__).resolve().parents[2] / "lambdas" / "tables" / "Dockerfile").read_text()
    assert handler.is_file() and "COPY lambdas/analyze/handler.py ${LAMBDA_TASK_ROOT}/analyze.py" in dockerfile


def test_table_image_asset_builds_from_repo_root(synthesized: Synthesized) -> None:
    assembly = synthesized.stack.node.root.synth()
    manifest = Path(assembly.directory) / f"{synthesized.stack.artifact_id}.assets.json"
    images = json.loads(manifest.read_text())["dockerImages"]
    assert len(images) == 1
    source = next(iter(images.values()))["source"]
    assert source["dockerFile"] == "lambdas/tables/Dockerfile"
    assert source["platform"] == {"arm64": "linux/arm64", "x86_64": "linux/amd64"}[
        synthesized.settings.architecture
    ]
    # the build context is the repository root, staged without the excluded paths
    staged = Path(assembly.directory) / source["directory"]
    assert (staged / "lambdas" / "tables" / "Dockerfile").is_file()
    assert (staged / "doctables").is_dir()
    for excluded in ("cdk.out", ".git", "tests", "bench", "node_modules"):
        assert excluded in DOCKER_CONTEXT_EXCLUDE
        assert not (staged / excluded).exists(), excluded


def test_runtime_environment(synthesized: Synthesized) -> None:
    stack, settings = synthesized.stack, synthesized.settings
    for name, properties in _functions(synthesized).items():
        environment = properties["Environment"]["Variables"]
        expected = (RUNTIME_ENVIRONMENT - API_ONLY) | {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE"}
        expected -= {variable for variable, field in MODEL_VARIABLES.items() if not getattr(settings, field)}
        assert set(environment) == expected, name
        assert environment["POWERTOOLS_SERVICE_NAME"] == "doctables"
        assert environment["POWERTOOLS_METRICS_NAMESPACE"] == "doctables"
        assert environment["DOCTABLES_BUCKET"] == synthesized.ref(stack.bucket)
        assert environment["DOCTABLES_TABLE"] == synthesized.ref(stack.table)
        assert environment["DOCTABLES_PAGE_QUEUE_URL"] == synthesized.ref(stack.page_queue.queue)
        assert environment["DOCTABLES_RANGE_QUEUE_URL"] == synthesized.ref(stack.range_queue.queue)
        assert environment["DOCTABLES_UPLOAD_PREFIX"] == settings.upload_prefix
        assert environment["DOCTABLES_DPI"] == str(settings.dpi)
        assert environment["DOCTABLES_MAX_PAGES"] == str(settings.max_pages)
        assert environment["DOCTABLES_MAX_BYTES"] == str(settings.max_bytes)
        assert environment["DOCTABLES_MAX_PAGE_PIXELS"] == str(settings.max_page_pixels)
        assert environment["DOCTABLES_MAX_RENDER_PIXELS"] == str(settings.max_render_pixels)
        assert environment["DOCTABLES_RANGE_PAGES"] == str(settings.range_pages)
        assert environment["DOCTABLES_MODEL_THREADS"] == str(settings.model_threads)
        assert float(environment["DOCTABLES_DETECTION_THRESHOLD"]) == settings.detection_threshold
        assert environment["DOCTABLES_PAGE_TTL_DAYS"] == str(settings.page_ttl_days)
        assert environment["DOCTABLES_JOB_DEADLINE_MINUTES"] == str(settings.job_deadline_minutes)
        assert environment["DOCTABLES_OCR_FULL_PAGE"] == ("true" if settings.ocr_full_page else "false")
        assert environment["DOCTABLES_EXPORT_FORMATS"] == settings.export_formats
        assert environment["DOCTABLES_TEXTRACT_BUCKETS"] == settings.textract_buckets
        assert environment["DOCTABLES_TEXTRACT_TPS"] == "0"


def test_event_bus_variable(default_stack: Synthesized, variant_stack: Synthesized) -> None:
    environment = _function(default_stack, default_stack.stack.conversion)["Environment"]["Variables"]
    assert environment["DOCTABLES_EVENT_BUS"] == "default"
    environment = _function(variant_stack, variant_stack.stack.conversion)["Environment"]["Variables"]
    assert environment["DOCTABLES_EVENT_BUS"] == variant_stack.ref(variant_stack.stack.event_bus)


def test_model_paths_only_when_given(default_stack: Synthesized, variant_stack: Synthesized) -> None:
    for properties in _functions(default_stack).values():
        assert not set(MODEL_VARIABLES) & set(properties["Environment"]["Variables"])
    table = _function(variant_stack, variant_stack.stack.table_stage)["Environment"]["Variables"]
    assert table["DOCTABLES_DETECTION_MODEL"] == "/opt/models/detection.onnx"
    assert table["DOCTABLES_STRUCTURE_MODEL"] == "/opt/models/structure.onnx"
    assert table["DOCTABLES_OCR_RECOGNITION_MODEL"] == "/opt/models/ocr-recognition.onnx"
    assert "DOCTABLES_OCR_DETECTION_MODEL" not in table


def test_environment_matches_the_runtime_settings() -> None:
    """The runtime's own list of variables (doctables.settings), when it is importable."""
    runtime_settings = pytest.importorskip("doctables.settings")
    assert set(runtime_settings.ENVIRONMENT) == RUNTIME_ENVIRONMENT


def test_log_groups(synthesized: Synthesized) -> None:
    # the eight functions', the Textract API's access logs and the backfill state machine's
    synthesized.template.resource_count_is("AWS::Logs::LogGroup", 10)
    synthesized.template.all_resources_properties(
        "AWS::Logs::LogGroup", {"RetentionInDays": synthesized.settings.log_retention_days}
    )


def test_roles_have_no_managed_policies(synthesized: Synthesized) -> None:
    for construct in (synthesized.stack.conversion, synthesized.stack.table_stage,
                      synthesized.stack.dead_letters, synthesized.stack.sweeper):
        role = synthesized.json["Resources"][synthesized.logical_id(construct.role)]["Properties"]
        assert "ManagedPolicyArns" not in role
        assert role["AssumeRolePolicyDocument"]["Statement"] == [
            {"Action": "sts:AssumeRole", "Effect": "Allow",
             "Principal": {"Service": "lambda.amazonaws.com"}}
        ]


def test_tracing_everywhere(synthesized: Synthesized) -> None:
    for properties in _functions(synthesized).values():
        assert properties["TracingConfig"] == {"Mode": "Active"}


def test_sweeper_runs_on_a_schedule(synthesized: Synthesized) -> None:
    sweeper = synthesized.stack.sweeper
    rule = synthesized.json["Resources"][synthesized.logical_id(sweeper.schedule)]["Properties"]
    assert rule["ScheduleExpression"] == f"rate({synthesized.settings.sweep_interval_minutes} minutes)"
    assert rule["State"] == "ENABLED"
    assert [t["Arn"] for t in rule["Targets"]] == [synthesized.arn(sweeper.function)]
    synthesized.template.has_resource_properties(
        "AWS::Lambda::Permission",
        {
            "Action": "lambda:InvokeFunction",
            "Principal": "events.amazonaws.com",
            "FunctionName": synthesized.arn(sweeper.function),
            "SourceArn": synthesized.arn(sweeper.schedule),
        },
    )


def test_a_deadline_shorter_than_the_retries_is_warned_about(default_stack: Synthesized) -> None:
    Annotations.from_stack(default_stack.stack).has_no_warning("*", Match.any_value())
    short = synthesize(DocTablesSettings.defaults(stack_name="DocTablesShortDeadline", job_deadline_minutes=30))
    Annotations.from_stack(short.stack).has_warning(
        "/DocTablesShortDeadline", Match.string_like_regexp("jobDeadlineMinutes=30")
    )

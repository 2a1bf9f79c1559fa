"""The Get responses of a Textract job, from the pipeline job it reads: its status, and its
result document's blocks (`doctables.outputs.textract`), paged by MaxResults and NextToken."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from collections.abc import Mapping, Sequence
from typing import Any

from doctables.model.text import TextLine
from doctables.outputs.textract import MODEL_VERSION, to_textract
from doctables.pipeline.store import Job, JobStatus
from doctables.pipeline.textract_errors import InvalidParameterException

ANALYSIS = "StartDocumentAnalysis"
TEXT_DETECTION = "StartDocumentTextDetection"
_TEXT_BLOCKS = ("PAGE", "LINE", "WORD")
STATUS = {
    JobStatus.SUCCEEDED: "SUCCEEDED",
    JobStatus.PARTIALLY_SUCCEEDED: "PARTIAL_SUCCESS",
    JobStatus.FAILED: "FAILED",
}


@dataclass(frozen=True)
class FullResponse:
    """A job's whole answer before paging: everything but the blocks, and the blocks."""

    header: dict[str, Any]
    blocks: list[dict[str, Any]]


def job_status(job: Job | None) -> str:
    """IN_PROGRESS until the pipeline job is final (or before conversion has created it)."""
    return STATUS.get(job.status, "IN_PROGRESS") if job is not None else "IN_PROGRESS"


def in_progress(api: str, job: Job | None) -> FullResponse:
    header: dict[str, Any] = {"JobStatus": "IN_PROGRESS", _version_key(api): MODEL_VERSION}
    if job is not None and job.pages_total:
        header["DocumentMetadata"] = {"Pages": job.pages_total}
    return FullResponse(header, [])


def final(api: str, job: Job, result: dict[str, Any],
          text: Mapping[int, Sequence[TextLine]] | None = None) -> FullResponse:
    """The answer of a final job from its result document and its pages' text (every line and
    word of the page). A FAILED job has no blocks; a PARTIAL_SUCCESS one lists its failed
    pages in Warnings ([{ErrorCode, Pages}])."""
    analysis = to_textract(result, warnings=True, page_text=text)
    header: dict[str, Any] = {
        "DocumentMetadata": {"Pages": job.pages_total or analysis["DocumentMetadata"]["Pages"]},
        "JobStatus": job_status(job),
        _version_key(api): MODEL_VERSION,
    }
    for key in ("StatusMessage", "Warnings"):
        if key in analysis:
            header[key] = analysis[key]
    if job.status is JobStatus.FAILED:
        return FullResponse(header, [])
    blocks = analysis["Blocks"] if api == ANALYSIS else text_blocks(analysis["Blocks"])
    return FullResponse(header, blocks)


def text_blocks(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Text detection's blocks: PAGE, LINE and WORD only; a PAGE's children are its LINEs."""
    kept = [dict(b) for b in blocks if b["BlockType"] in _TEXT_BLOCKS]
    lines = {b["Id"] for b in kept if b["BlockType"] == "LINE"}
    for block in kept:
        if block["BlockType"] == "PAGE" and "Relationships" in block:
            ids = [i for r in block["Relationships"] if r["Type"] == "CHILD" for i in r["Ids"] if i in lines]
            block["Relationships"] = [{"Type": "CHILD", "Ids": ids}] if ids else []
            if not ids:
                del block["Relationships"]
    return kept


def page(full: FullResponse, job_id: str, max_results: int, next_token: str | None) -> dict[str, Any]:
    """One page of at most `max_results` blocks, from where `next_token` says, in block order
    (every block after its PAGE block, as the whole answer has them)."""
    start = _offset(next_token, job_id, len(full.blocks)) if next_token else 0
    end = start + max_results
    answer = {**full.header, "Blocks": full.blocks[start:end]}
    if end < len(full.blocks):
        answer["NextToken"] = _token(job_id, end)
    return answer


def pages(full: FullResponse, job_id: str, max_results: int = 1000) -> list[dict[str, Any]]:
    """Every page of the answer, as successive Get calls return them (OutputConfig writes these)."""
    answers = [page(full, job_id, max_results, None)]
    while "NextToken" in answers[-1]:
        answers.append(page(full, job_id, max_results, answers[-1]["NextToken"]))
    return answers


def _token(job_id: str, offset: int) -> str:
    raw = json.dumps({"job": job_id, "offset": offset}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _offset(token: str, job_id: str, count: int) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset = data["offset"]
        valid = data["job"] == job_id and isinstance(offset, int) and 0 < offset < count
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        valid = False
    if not valid:
        raise InvalidParameterException("Request has invalid parameters: NextToken is not a token of this job")
    return int(offset)


def _version_key(api: str) -> str:
    return "AnalyzeDocumentModelVersion" if api == ANALYSIS else "DetectDocumentTextModelVersion"

"""Textract requests read and checked as Textract checks them (its API reference's shapes:
lengths, patterns, required members), into typed values for the operations."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any

from doctables.pipeline.textract_errors import DocumentTooLargeException, InvalidParameterException

_BUCKET = re.compile(r"^[0-9A-Za-z.\-_]{3,255}$")
_NON_BLANK = re.compile(r".*\S.*", re.DOTALL)
_TOKEN = re.compile(r"^[a-zA-Z0-9\-_]{1,64}$")
_JOB_TAG = re.compile(r"^[a-zA-Z0-9_.\-:]{1,64}$")
_JOB_ID = re.compile(r"^[a-zA-Z0-9\-_]{1,64}$")
_TOPIC_ARN = re.compile(r"^arn:([a-z\d-]+):sns:[a-zA-Z\d-]{1,20}:\w{12}:.+$")
_ROLE_ARN = re.compile(r"^arn:([a-z\d-]+):iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$")
_KMS_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:_/+=,@.-]{0,2048}$")

FEATURES_KNOWN = ("TABLES", "FORMS", "QUERIES", "SIGNATURES", "LAYOUT")
SYNC_MAX_BYTES = 10 * 1024 * 1024  # Textract's limit on Document.Bytes and on synchronous documents
MAX_RESULTS = 1000
TOO_LARGE_MESSAGE = f"S3 object size or Document.Bytes is more than the maximum limit {SYNC_MAX_BYTES} bytes"


@dataclass(frozen=True)
class S3Location:
    bucket: str
    name: str
    version: str | None = None


@dataclass(frozen=True)
class Notification:
    topic_arn: str
    role_arn: str


@dataclass(frozen=True)
class Output:
    bucket: str
    prefix: str


@dataclass(frozen=True)
class StartRequest:
    """StartDocumentAnalysis / StartDocumentTextDetection."""

    api: str  # the operation's name, as the SNS message's `API` carries it
    document: S3Location
    features: tuple[str, ...]
    token: str | None
    job_tag: str | None
    notification: Notification | None
    output: Output | None
    kms_key_id: str | None

    def identity(self) -> dict[str, Any]:
        """Everything that makes two requests with one ClientRequestToken the same request."""
        return {
            "api": self.api, "document": vars(self.document), "features": sorted(self.features),
            "job_tag": self.job_tag, "notification": vars(self.notification) if self.notification else None,
            "output": vars(self.output) if self.output else None, "kms_key_id": self.kms_key_id,
        }


@dataclass(frozen=True)
class GetRequest:
    job_id: str
    max_results: int
    next_token: str | None


@dataclass(frozen=True)
class AnalyzeRequest:
    """AnalyzeDocument: the document's bytes or where it is in S3."""

    data: bytes | None
    location: S3Location | None
    features: tuple[str, ...]


def _fail(message: str) -> InvalidParameterException:
    return InvalidParameterException(f"Request has invalid parameters: {message}")


def _object(body: dict[str, Any], name: str, required: bool = False) -> dict[str, Any] | None:
    value = body.get(name)
    if value is None:
        if required:
            raise _fail(f"{name} is required")
        return None
    if not isinstance(value, dict):
        raise _fail(f"{name} must be an object")
    return value


def _string(body: dict[str, Any], name: str, pattern: re.Pattern[str], *, required: bool = False,
            path: str = "") -> str | None:
    value = body.get(name)
    where = f"{path}{name}"
    if value is None:
        if required:
            raise _fail(f"{where} is required")
        return None
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise _fail(f"{where} {value!r} does not satisfy its constraints")
    return value


def _s3_object(container: dict[str, Any], path: str) -> S3Location:
    s3 = _object(container, "S3Object", required=True)
    assert s3 is not None
    bucket = _string(s3, "Bucket", _BUCKET, required=True, path=f"{path}S3Object.")
    name = _string(s3, "Name", _NON_BLANK, required=True, path=f"{path}S3Object.")
    version = _string(s3, "Version", _NON_BLANK, path=f"{path}S3Object.")
    assert bucket is not None and name is not None
    if len(name) > 1024 or (version is not None and len(version) > 1024):
        raise _fail(f"{path}S3Object.Name and Version are at most 1024 characters")
    return S3Location(bucket, name, version)


def _features(body: dict[str, Any]) -> tuple[str, ...]:
    """FeatureTypes must be exactly TABLES: the others are named and refused, never ignored."""
    features = body.get("FeatureTypes")
    if not isinstance(features, list) or not features or not all(isinstance(f, str) for f in features):
        raise _fail("FeatureTypes is required: a non-empty list, TABLES")
    unknown = [f for f in features if f not in FEATURES_KNOWN]
    if unknown:
        raise _fail(f"FeatureTypes {unknown} are not among {list(FEATURES_KNOWN)}")
    refused = sorted(set(features) - {"TABLES"})
    if refused:
        raise InvalidParameterException(
            f"doctables does not do {', '.join(refused)}: FeatureTypes must be [\"TABLES\"] "
            "(tables, with their lines and words)")
    return ("TABLES",)


def _refuse_members(body: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        if body.get(name) is not None:
            raise InvalidParameterException(f"doctables does not do {name}")


def _require_object_body(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise _fail("the request body must be a JSON object")
    return body


def start_request(api: str, body: Any) -> StartRequest:
    body = _require_object_body(body)
    location = _object(body, "DocumentLocation", required=True)
    assert location is not None
    document = _s3_object(location, "DocumentLocation.")
    if api == "StartDocumentAnalysis":
        _refuse_members(body, ("QueriesConfig", "AdaptersConfig"))
        features = _features(body)
    else:
        features = ()
    notification = None
    channel = _object(body, "NotificationChannel")
    if channel is not None:
        topic = _string(channel, "SNSTopicArn", _TOPIC_ARN, required=True, path="NotificationChannel.")
        role = _string(channel, "RoleArn", _ROLE_ARN, required=True, path="NotificationChannel.")
        assert topic is not None and role is not None
        notification = Notification(topic, role)
    output = None
    config = _object(body, "OutputConfig")
    if config is not None:
        bucket = _string(config, "S3Bucket", _BUCKET, required=True, path="OutputConfig.")
        prefix = _string(config, "S3Prefix", _NON_BLANK, path="OutputConfig.")
        assert bucket is not None
        output = Output(bucket, prefix if prefix is not None else "textract_output")
    kms = _string(body, "KMSKeyId", _KMS_KEY)
    if kms is not None and output is None:
        raise _fail("KMSKeyId encrypts the OutputConfig objects: give OutputConfig too")
    return StartRequest(
        api=api, document=document, features=features,
        token=_string(body, "ClientRequestToken", _TOKEN),
        job_tag=_string(body, "JobTag", _JOB_TAG),
        notification=notification, output=output, kms_key_id=kms,
    )


def get_request(body: Any) -> GetRequest:
    body = _require_object_body(body)
    job_id = _string(body, "JobId", _JOB_ID, required=True)
    assert job_id is not None
    max_results = body.get("MaxResults", MAX_RESULTS)
    if isinstance(max_results, bool) or not isinstance(max_results, int) or max_results < 1:
        raise _fail(f"MaxResults {max_results!r} must be an integer of at least 1")
    token = body.get("NextToken")
    if token is not None and (not isinstance(token, str) or not _NON_BLANK.fullmatch(token) or len(token) > 1024):
        raise _fail("NextToken is not a token this API returned")
    # Textract caps MaxResults at 1,000 rather than refusing more.
    return GetRequest(job_id, min(max_results, MAX_RESULTS), token)


def analyze_request(body: Any) -> AnalyzeRequest:
    body = _require_object_body(body)
    _refuse_members(body, ("QueriesConfig", "AdaptersConfig", "HumanLoopConfig"))
    document = _object(body, "Document", required=True)
    assert document is not None
    features = _features(body)
    raw = document.get("Bytes")
    if raw is not None and document.get("S3Object") is not None:
        raise _fail("Document takes Bytes or S3Object, not both")
    if raw is None:
        return AnalyzeRequest(None, _s3_object(document, "Document."), features)
    if not isinstance(raw, str):
        raise _fail("Document.Bytes must be base64 text")
    if len(raw) > (SYNC_MAX_BYTES + 2) // 3 * 4 + 4:
        raise DocumentTooLargeException(TOO_LARGE_MESSAGE)
    try:
        data = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _fail("Document.Bytes is not valid base64") from exc
    if not data:
        raise _fail("Document.Bytes is empty")
    if len(data) > SYNC_MAX_BYTES:
        raise DocumentTooLargeException(TOO_LARGE_MESSAGE)
    return AnalyzeRequest(data, None, features)

"""AWS clients and the settings they serve, built once per process (per Lambda container)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config

from doctables.settings import ENVIRONMENT, Settings

# Standard retry mode backs off with jitter on throttling and 5xx answers.
_CLIENT_CONFIG = Config(retries={"max_attempts": 8, "mode": "standard"}, connect_timeout=5, read_timeout=30)


@dataclass(frozen=True)
class Aws:
    """The four service clients the pipeline uses."""

    s3: Any
    dynamodb: Any
    sqs: Any
    events: Any


@dataclass(frozen=True)
class Runtime:
    """Settings plus clients: what every handler needs."""

    settings: Settings
    aws: Aws


def make_aws(endpoint_url: str | None = None, region: str | None = None) -> Aws:
    """Clients for AWS itself, or for an endpoint such as a local moto server."""
    session = boto3.session.Session(region_name=region)

    def client(name: str) -> Any:
        return session.client(name, endpoint_url=endpoint_url, config=_CLIENT_CONFIG)

    return Aws(s3=client("s3"), dynamodb=client("dynamodb"), sqs=client("sqs"), events=client("events"))


def current_runtime() -> Runtime:
    """The runtime for the current environment; rebuilt only when the environment changes."""
    keys = (*ENVIRONMENT, "AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION", "AWS_REGION")
    return _runtime_for(tuple((k, os.environ.get(k, "")) for k in keys))


@lru_cache(maxsize=4)
def _runtime_for(environment: tuple[tuple[str, str], ...]) -> Runtime:
    values = dict(environment)
    region = values["AWS_REGION"] or values["AWS_DEFAULT_REGION"] or None
    return Runtime(
        settings=Settings.from_env(values),
        aws=make_aws(values["AWS_ENDPOINT_URL"] or None, region),
    )

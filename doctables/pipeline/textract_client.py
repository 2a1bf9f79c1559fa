"""`doctables.textract_client()`: a real boto3 Textract client pointed at doctables.

Deployed, the stack's Textract API sits behind API Gateway with IAM auth, which checks SigV4
signatures made for the service `execute-api`; boto3's Textract client signs for `textract`.
The one change is the signing name, set on each request before it is signed; the requests,
their serialisation and the answers are boto3's own."""

from __future__ import annotations

from typing import Any

import boto3

LOCAL_ENDPOINT = "http://127.0.0.1:4566"
API_URL_OUTPUT = "TextractApiUrl"  # the stack output naming the API's stage URL
_SIGNING_NAME = "execute-api"


def textract_client(*, stack: str | None = None, endpoint: str | None = None, region: str | None = None,
                    session: Any = None) -> Any:
    """A boto3 Textract client for a deployed stack (`stack`: its name; your own credentials)
    or for `doctables serve` (`endpoint`, by default the local one)."""
    session = session or boto3.session.Session(region_name=region)
    if stack is None:
        return session.client("textract", endpoint_url=endpoint or LOCAL_ENDPOINT,
                              region_name=region or session.region_name or "us-east-1")
    described = session.client("cloudformation", region_name=region).describe_stacks(StackName=stack)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described["Stacks"][0].get("Outputs", [])}
    if API_URL_OUTPUT not in outputs:
        raise ValueError(f"stack {stack} has no {API_URL_OUTPUT} output: not a doctables stack with the Textract API")
    client = session.client("textract", endpoint_url=outputs[API_URL_OUTPUT].rstrip("/"), region_name=region)
    client.meta.events.register("before-sign.textract", _sign_for_api_gateway)
    return client


def _sign_for_api_gateway(request: Any, **_kwargs: Any) -> None:
    request.context.setdefault("signing", {})["signing_name"] = _SIGNING_NAME

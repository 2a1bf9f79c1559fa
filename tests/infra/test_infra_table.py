"""DynamoDB: keys, billing, PITR, encryption, TTL and the jobs-by-time index."""

from __future__ import annotations

from operator import itemgetter

import pytest
from infra_testing import Synthesized

pytest_plugins = ["infra_fixtures"]


def _table(synth: Synthesized) -> dict:
    return synth.json["Resources"][synth.logical_id(synth.stack.table)]["Properties"]


def test_one_table(synthesized: Synthesized) -> None:
    synthesized.template.resource_count_is("AWS::DynamoDB::Table", 1)


def test_keys_billing_pitr_ttl(synthesized: Synthesized) -> None:
    table = _table(synthesized)
    assert table["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert sorted(table["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == [
        {"AttributeName": name, "AttributeType": "S"}
        for name in ("active_pk", "gsi1pk", "gsi1sk", "pk", "sk")
    ]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


def _index(name: str, partition: str) -> dict:
    return {
        "IndexName": name,
        "KeySchema": [
            {"AttributeName": partition, "KeyType": "HASH"},
            {"AttributeName": "gsi1sk", "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "ALL"},
    }


def test_indexes(synthesized: Synthesized) -> None:
    assert _table(synthesized)["GlobalSecondaryIndexes"] == [
        _index("jobs-by-time", "gsi1pk"),  # every job, newest first
        _index("active-jobs", "active_pk"),  # sparse: unfinished jobs, read by the sweeper
    ]


def test_table_matches_the_runtime_definition(synthesized: Synthesized) -> None:
    """The runtime's own CreateTable definition (local runs), when it is importable."""
    store = pytest.importorskip("doctables.pipeline.store")
    definition = store.table_definition("t")
    table = _table(synthesized)
    for field in ("KeySchema", "GlobalSecondaryIndexes", "BillingMode"):
        assert table[field] == definition[field], field
    by_name = itemgetter("AttributeName")
    assert sorted(table["AttributeDefinitions"], key=by_name) == sorted(
        definition["AttributeDefinitions"], key=by_name
    )


def test_encryption(default_stack: Synthesized, variant_stack: Synthesized) -> None:
    assert _table(default_stack)["SSESpecification"] == {"SSEEnabled": True}
    assert _table(variant_stack)["SSESpecification"] == {
        "KMSMasterKeyId": variant_stack.arn(variant_stack.stack.encryption_key),
        "SSEEnabled": True,
        "SSEType": "KMS",
    }

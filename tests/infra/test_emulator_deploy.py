"""Smoke test: `cdk bootstrap` + `cdk deploy --all` (profile ``local``) to a PRIVATE moto_server,
then every resource is checked through its service API (tests/infra/emulator.py). Deploy success alone
proves nothing on moto; the table printed here says what really got built."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.infra.emulator import deploy, free_port, moto_server, summary_table, verify

pytestmark = pytest.mark.slow

# Types moto really builds from our templates and whose checked properties survive.
MUST_BE_ACCEPTED = {
    "AWS::SQS::Queue", "AWS::Events::Rule", "AWS::Lambda::EventSourceMapping", "AWS::IAM::Role",
    "AWS::IAM::Policy", "AWS::StepFunctions::StateMachine", "AWS::CloudWatch::Dashboard", "AWS::Logs::LogGroup",
    "AWS::SNS::Topic", "AWS::KMS::Alias", "AWS::EC2::VPC", "AWS::EC2::Subnet",
}  # fmt: skip
# Types that must at least exist (moto drops some of their properties: see the printed notes).
MUST_EXIST = {"AWS::S3::Bucket", "AWS::DynamoDB::Table", "AWS::Lambda::Function"}


def test_emulator_deploy_builds_the_core_resources(tmp_path: Path) -> None:
    port = free_port(5100)
    assert port != 5000
    with moto_server(port) as endpoint:
        result = deploy(port, cdk_home=tmp_path / "cdk-home", outdir=tmp_path / "cdk.out")
        checks = verify(endpoint, tmp_path / "cdk.out")
    print(f"\nbootstrap {result.bootstrap_s:.1f} s, deploy {result.deploy_s:.1f} s on port {port}")
    print(summary_table(checks))

    assert {c.stack for c in checks} == {
        "Storage", "State", "Ingestion", "Streaming", "Warehouse", "Processing", "Observability",
    }  # fmt: skip
    not_accepted = [c for c in checks if c.resource_type in MUST_BE_ACCEPTED and c.status != "accepted"]
    assert not_accepted == []
    missing = [
        c for c in checks if c.resource_type in MUST_EXIST and c.status not in ("accepted", "half-built")
    ]
    assert missing == []
    # Half-built tables must still have the spec's keys: only PITR/TTL/KMS may be dropped.
    for check in checks:
        if check.resource_type == "AWS::DynamoDB::Table":
            assert "key-schema" not in check.note and "gsis" not in check.note, check

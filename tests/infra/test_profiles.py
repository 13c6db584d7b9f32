"""Context-driven variants of the app: the ``local`` (emulator) profile and the EMR flag."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from infra.app import build_app


def synth(context: dict[str, object], outdir: Path) -> dict[str, dict]:
    app = build_app(context, outdir=str(outdir))
    assembly = app.synth()
    return {stack.stack_name: stack.template for stack in assembly.stacks}


@pytest.fixture(scope="module")
def local_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    return synth({"gladiator:profile": "local"}, tmp_path_factory.mktemp("local"))


def test_local_profile_has_no_cross_stack_exports(local_templates: dict[str, dict]) -> None:
    text = json.dumps(local_templates)
    assert "Fn::ImportValue" not in text and "Fn::GetStackOutput" not in text
    assert not any(t.get("Outputs") for t in local_templates.values())


def test_local_profile_leaves_kms_keys_untagged_and_skips_msk(local_templates: dict[str, dict]) -> None:
    resources = [r for t in local_templates.values() for r in t["Resources"].values()]
    keys = [r for r in resources if r["Type"] == "AWS::KMS::Key"]
    assert keys and all("Tags" not in k["Properties"] for k in keys)
    assert not [r for r in resources if r["Type"] == "AWS::MSK::ServerlessCluster"]
    buckets = [r for r in resources if r["Type"] == "AWS::S3::Bucket"]
    assert all(b["Properties"].get("Tags") for b in buckets)  # other resources keep their tags


def test_emr_serverless_is_behind_a_context_flag(tmp_path: Path) -> None:
    app = build_app({"gladiator:emr_serverless": True}, outdir=str(tmp_path))
    processing = next(c for c in app.node.children if isinstance(c, cdk.Stack) and c.node.id == "Processing")
    Template.from_stack(processing).has_resource_properties(
        "AWS::EMRServerless::Application",
        {"Type": "SPARK", "AutoStopConfiguration": {"Enabled": True, "IdleTimeoutMinutes": 15}},
    )

"""cdk-nag AwsSolutions: zero unacknowledged findings, and every acknowledgement has a reason."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3

from infra.app import build_app


def failing_rules(report_path: Path) -> list[str]:
    report = json.loads(report_path.read_text())
    failures = []
    for plugin in report.get("pluginReports", []):
        for violation in plugin.get("violations", []):
            for where in violation.get("violatingResources", violation.get("violatingConstructs", [])):
                failures.append(f"{violation.get('ruleName')} at {where.get('constructPath', where)}")
    return failures


def test_app_has_no_unacknowledged_findings(cdk_app: cdk.App, cdk_outdir: Path) -> None:
    # cdk_app synthesized without ValidationFailed; the report must agree.
    report = cdk_outdir / "policy-validation-report.json"
    assert report.exists(), "cdk-nag did not run (no policy-validation-report.json)"
    assert failing_rules(report) == []


def test_every_acknowledgement_has_a_reason(cdk_app: cdk.App) -> None:
    reasons: dict[str, str] = {}
    for construct in cdk_app.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                for rule_id, reason in dict(entry.data).items():
                    reasons[f"{construct.node.path} {rule_id}"] = reason
    assert len(reasons) > 10
    assert [key for key, reason in reasons.items() if len(str(reason).split()) < 4] == []


def test_an_unacknowledged_finding_fails_the_synth() -> None:
    """The guard can fail: one naked bucket (no logs, no SSL policy) must break synth."""
    with tempfile.TemporaryDirectory() as out:
        app = build_app({"@aws-cdk/core:validationReportJson": True}, outdir=out)
        storage = next(c for c in app.node.children if isinstance(c, cdk.Stack))
        s3.Bucket(storage, "UnloggedBucket")
        with pytest.raises(RuntimeError, match="ValidationFailed"):
            app.synth()
        assert any(
            "S1" in f or "S10" in f for f in failing_rules(Path(out) / "policy-validation-report.json")
        )

"""Infra test fixtures: the CDK app is synthesized ONCE per test session (jsii start-up ~5 s);
every assertion then reads the cached templates."""

from __future__ import annotations

import os
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from infra.app import build_app
from infra.config import InfraConfig

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def cdk_outdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cdk-out")


@pytest.fixture(scope="session")
def cdk_app(cdk_outdir: Path) -> cdk.App:
    """The whole app, synthesized (cdk-nag runs during synth and raises on any finding)."""
    app = build_app({"@aws-cdk/core:validationReportJson": True}, outdir=str(cdk_outdir))
    app.synth()
    return app


@pytest.fixture(scope="session")
def config(cdk_app: cdk.App) -> InfraConfig:
    return InfraConfig.from_context(cdk_app)


@pytest.fixture(scope="session")
def stacks(cdk_app: cdk.App) -> dict[str, cdk.Stack]:
    return {child.node.id: child for child in cdk_app.node.children if isinstance(child, cdk.Stack)}


@pytest.fixture(scope="session")
def templates(stacks: dict[str, cdk.Stack]) -> dict[str, Template]:
    return {name: Template.from_stack(stack) for name, stack in stacks.items()}

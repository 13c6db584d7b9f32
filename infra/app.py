"""The Gladiator CDK app: one stack per concern, configured from ``cdk.json`` context.

Run by ``cdk.json`` as ``.venv/bin/python -m infra.app``. ``build_app()`` is also what the tests
synthesize (once per session).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aws_cdk as cdk

from infra.config import InfraConfig
from infra.nag import add_aws_solutions_checks
from infra.stacks.ingestion import LandingIngestionStack
from infra.stacks.observability import ObservabilityStack
from infra.stacks.processing import ProcessingStack
from infra.stacks.state import StateStack
from infra.stacks.storage import StorageStack
from infra.stacks.streaming import StreamingStack
from infra.stacks.warehouse import WarehouseStack

CDK_JSON = Path(__file__).resolve().parent.parent / "cdk.json"


def cdk_json_context() -> dict[str, Any]:
    """The ``context`` block of cdk.json (the CLI passes it too; tests call ``build_app`` directly)."""
    return dict(json.loads(CDK_JSON.read_text()).get("context", {}))


def build_app(context: Mapping[str, Any] | None = None, *, outdir: str | None = None) -> cdk.App:
    """Compose every stack. Context precedence: CLI ``-c`` > ``context`` argument > cdk.json."""
    app = cdk.App(context={**cdk_json_context(), **(context or {})}, outdir=outdir)
    config = InfraConfig.from_context(app)
    # The VPC checks its AZs against the stack's; answer that lookup from context, offline.
    app.node.set_context(
        f"availability-zones:account={config.account}:region={config.region}", list(config.availability_zones)
    )
    env = cdk.Environment(account=config.account, region=config.region)

    def name(concern: str) -> str:
        return f"{config.prefix}-{concern}"

    storage = StorageStack(app, "Storage", stack_name=name("storage"), config=config, env=env)
    # Buckets and tables are shared by name (infra.shared); only the key may be an object.
    key = storage.key if config.cross_stack_references else None
    common: dict[str, Any] = {"config": config, "env": env}
    state = StateStack(app, "State", stack_name=name("state"), key=key, **common)
    ingestion = LandingIngestionStack(app, "Ingestion", stack_name=name("ingestion"), key=key, **common)
    streaming = StreamingStack(app, "Streaming", stack_name=name("streaming"), key=key, **common)
    vpc = streaming.network.vpc if config.cross_stack_references else None
    warehouse = WarehouseStack(app, "Warehouse", stack_name=name("warehouse"), key=key, vpc=vpc, **common)
    processing = ProcessingStack(app, "Processing", stack_name=name("processing"), key=key, **common)
    ObservabilityStack(app, "Observability", stack_name=name("observability"), **common)
    dependencies: dict[cdk.Stack, list[cdk.Stack]] = {
        state: [storage],
        ingestion: [storage, state],
        streaming: [storage, state],
        warehouse: [storage, streaming],
        processing: [storage, state, warehouse],
    }
    for consumer, producers in dependencies.items():
        for producer in producers:
            consumer.add_stack_dependency(producer)

    # moto fails mid-change-set on tagged KMS keys; the local profile leaves keys untagged.
    untagged = [] if config.tag_kms_keys else ["AWS::KMS::Key"]
    cdk.Tags.of(app).add("project", "gladiator", exclude_resource_types=untagged)
    cdk.Tags.of(app).add("environment", config.prefix, exclude_resource_types=untagged)
    add_aws_solutions_checks(app)
    return app


def main() -> None:
    build_app().synth()


if __name__ == "__main__":
    main()

"""Least privilege: no IAM statement allows a wildcard action on a wildcard resource."""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Template


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements(template: Template) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for resource_type, key in (
        ("AWS::IAM::Policy", "PolicyDocument"),
        ("AWS::IAM::ManagedPolicy", "PolicyDocument"),
    ):
        for logical_id, resource in template.find_resources(resource_type).items():
            for statement in resource["Properties"][key]["Statement"]:
                found.append((logical_id, statement))
    for logical_id, resource in template.find_resources("AWS::IAM::Role").items():
        for policy in resource["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                found.append((logical_id, statement))
    return found


def unscoped(statement: dict[str, Any]) -> bool:
    if statement.get("Effect") != "Allow":
        return False
    actions = as_list(statement.get("Action", []))
    wildcard_action = any(a == "*" or (isinstance(a, str) and a.endswith(":*")) for a in actions)
    return wildcard_action and "*" in as_list(statement.get("Resource", []))


def test_no_wildcard_action_on_wildcard_resource(templates: dict[str, Template]) -> None:
    offenders = [
        f"{stack}/{logical_id}: {statement}"
        for stack, template in templates.items()
        for logical_id, statement in statements(template)
        if unscoped(statement)
    ]
    assert offenders == []
    assert sum(len(statements(t)) for t in templates.values()) > 10  # the scan saw the policies


def test_the_check_recognises_an_unscoped_statement() -> None:
    assert unscoped({"Effect": "Allow", "Action": "*", "Resource": "*"})
    assert unscoped({"Effect": "Allow", "Action": ["s3:*"], "Resource": ["*"]})
    assert not unscoped({"Effect": "Allow", "Action": "xray:PutTraceSegments", "Resource": "*"})
    assert not unscoped({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::bucket/*"})

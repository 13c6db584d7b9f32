"""Small helpers over the low-level DynamoDB client (plain Python values in and out)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | set | tuple):
        return [_plain(v) for v in value]
    return value


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    """Python dict -> DynamoDB attribute map (None values are left out)."""
    return {k: _serializer.serialize(v) for k, v in values.items() if v is not None}


def to_value(value: Any) -> dict[str, Any]:
    return dict(_serializer.serialize(value))


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    """DynamoDB attribute map -> plain Python (ints for whole numbers)."""
    return {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}


def default_client(client: Any | None) -> Any:
    """``client``, or a DynamoDB client built from the settings (profile and endpoint)."""
    if client is not None:
        return client
    from gladiator.config import load_settings

    return load_settings().client("dynamodb")

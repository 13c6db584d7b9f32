"""Gladiator's AWS infrastructure as code (CDK, Python).

``infra.app`` composes one Stack per concern (storage, state, ingestion, processing, streaming,
warehouse, observability); each Stack wires small Constructs from ``infra.constructs`` and does
the ``grant_*`` calls. Every name, key and TTL comes from ``gladiator.resources`` and every job
from ``gladiator.pipeline``, the same definitions the local emulation is provisioned from.
"""

"""Gladiator: the shared domain package.

Everything that batch (glue_jobs), streaming, the landing Lambda, the warehouse loader and the
CDK app must agree on lives here exactly once: entity contracts, cleaning rules, metrics,
resource definitions and configuration.
"""

__version__ = "0.1.0"

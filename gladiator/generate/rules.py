"""Reading the contract's rule predicates well enough to write a value that breaks each one.

Contract rules are SQL text; the shapes used are ``c IN (...)``, ``c BETWEEN lo AND hi`` and
``c > x`` (x a literal or another column). An unknown shape is skipped by the generator (and so
gets no injected fault) rather than guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from gladiator.contracts import Contract, Rule

_IN = re.compile(r"^(\w+) IN \((.*)\)$")
_BETWEEN = re.compile(r"^(\w+) BETWEEN (\S+) AND (\S+)$")
_GREATER = re.compile(r"^(\w+) > (\S+)$")


@dataclass(frozen=True)
class ParsedRule:
    rule: Rule
    shape: str  # "in" | "between" | "greater"
    column: str
    operands: tuple[str, ...]


def parse_rule(rule: Rule) -> ParsedRule | None:
    if m := _IN.match(rule.predicate):
        values = tuple(v.strip().strip("'") for v in m.group(2).split(","))
        return ParsedRule(rule, "in", m.group(1), values)
    if m := _BETWEEN.match(rule.predicate):
        return ParsedRule(rule, "between", m.group(1), (m.group(2), m.group(3)))
    if m := _GREATER.match(rule.predicate):
        return ParsedRule(rule, "greater", m.group(1), (m.group(2),))
    return None


def _scale(type_: str) -> int:
    return int(type_.split(",")[1].rstrip(")")) if type_.startswith("decimal") else 0


def _number(value: Decimal, type_: str) -> str:
    scale = _scale(type_)
    return f"{value:.{scale}f}" if scale else str(int(value))


def violating_value(parsed: ParsedRule, contract: Contract, row: dict[str, str | None], serial: int) -> str:
    """A text value for ``parsed.column`` that makes ``row`` break exactly this rule.

    Key columns get ``serial`` added so every injected key is distinct (no two rejected rows
    share a key, so no cleaner can mistake them for versions of one another).
    """
    column = contract.column(parsed.column)
    bump = serial if parsed.column in contract.primary_key else 0
    if parsed.shape == "in":
        candidate = "X"
        while candidate in parsed.operands:
            candidate += "X"
        return candidate
    if parsed.shape == "between":
        return _number(Decimal(parsed.operands[1]) + 1 + bump, column.type)
    operand = parsed.operands[0]
    if operand in contract.column_names:  # c > other column: make them equal
        value = row[operand]
        assert value is not None
        return value
    return _number(Decimal(operand) - bump, column.type)


def satisfies_key_range(parsed: ParsedRule, value: int) -> bool:
    """Whether an integer key value satisfies a between/greater rule on it."""
    if parsed.shape == "between":
        return Decimal(parsed.operands[0]) <= value <= Decimal(parsed.operands[1])
    if parsed.shape == "greater" and parsed.operands[0] not in ("",):
        try:
            return value > Decimal(parsed.operands[0])
        except ArithmeticError:
            return True
    return True

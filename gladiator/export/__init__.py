"""Exports of gold for BI tools: Tableau Hyper extracts (``export_tableau``)."""

from gladiator.export.tableau import export_tableau

__all__ = ["export_tableau"]

"""Exploratory data analysis of silver: ``build_eda(settings, out_dir)`` writes a self-contained
HTML report (profiles, monthly trends, quarantine by reason, changes since the last run)."""

from gladiator.eda.report import build_eda

__all__ = ["build_eda"]

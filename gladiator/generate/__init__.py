"""Retail test data: the clean truth plus dirty landing files with a manifest of every fault.

    from gladiator.generate import generate
    report = generate("/tmp/retail", scale=0.01, seed=7, faults=0.02, fmt="mixed")

writes ``truth/`` (what cleaning must give back), ``landing/`` (what arrives) and ``faults.json``
(every non-truth row and fault file with its expected outcome); see docs/HELPERS.md.
Same arguments, same bytes.
"""

from gladiator.generate.api import FORMAT_CHOICES, GenerationReport, generate, generate_truth
from gladiator.generate.errors import InvalidGenerateOptions, TpchGenerationFailed

__all__ = [
    "FORMAT_CHOICES",
    "GenerationReport",
    "InvalidGenerateOptions",
    "TpchGenerationFailed",
    "generate",
    "generate_truth",
]

"""Landing file formats: the one list, and the one way to read a format from an object key.

The generator writes these formats, the landing Lambda accepts them, and landing_to_bronze
parses them; all three use this module. ``FORMATS`` is in the generator's rotation order
(``--format mixed`` cycles through it), so its order is part of the generated data.
"""

from __future__ import annotations

FORMATS: tuple[str, ...] = ("csv", "csv.gz", "jsonl", "parquet")
EXTENSIONS: tuple[str, ...] = tuple(f".{fmt}" for fmt in FORMATS)
MIXED = "mixed"  # a generator option, not a format: rotate FORMATS across the files
FORMAT_CHOICES: tuple[str, ...] = (*FORMATS, MIXED)  # `gladiator generate --format`


def format_of(key: str) -> str | None:
    """The landing format of ``key`` from its extension, case-insensitively (``A.CSV.GZ`` -> ``csv.gz``).

    The longest extension wins, so ``.csv.gz`` is never read as ``.csv``. None if no format matches.
    """
    lowered = key.lower()
    for fmt in sorted(FORMATS, key=len, reverse=True):
        if lowered.endswith("." + fmt):
            return fmt
    return None

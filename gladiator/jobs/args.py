"""Glue-style job arguments (``--name value``), parsed the same way on Glue and locally.

On Glue, ``awsglue.utils.getResolvedOptions`` is the documented parser; it is used when present so
Glue's own reserved arguments (``--JOB_NAME``, ``--TempDir`` ...) are handled exactly as Glue does.
Locally the same ``sys.argv`` is parsed here.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from gladiator.errors import ConfigurationError


def parse_job_args(
    argv: Sequence[str] | None = None,
    required: Sequence[str] = (),
    optional: dict[str, str] | None = None,
) -> dict[str, str]:
    """Return ``{name: value}`` for ``required`` names plus ``optional`` ones (with defaults).

    Names are given without dashes. Unknown ``--x`` arguments are ignored, as on Glue.
    Raises ConfigurationError listing every missing required argument.
    """
    argv = list(sys.argv if argv is None else argv)
    optional = dict(optional or {})
    try:
        from awsglue.utils import getResolvedOptions
    except ImportError:
        getResolvedOptions = None

    if getResolvedOptions is not None:
        present = [name for name in optional if f"--{name}" in argv]
        resolved = getResolvedOptions(argv, [*required, *present])
        return {**optional, **{k: resolved[k] for k in [*required, *present]}}

    values: dict[str, str] = {}
    i = 0
    while i < len(argv):
        token = argv[i]
        if token.startswith("--"):
            name, _, inline = token[2:].partition("=")
            if inline or i + 1 >= len(argv) or argv[i + 1].startswith("--"):
                values[name] = inline
            else:
                values[name] = argv[i + 1]
                i += 1
        i += 1
    missing = [name for name in required if name not in values]
    if missing:
        raise ConfigurationError(f"missing job argument(s): {', '.join('--' + m for m in missing)}")
    return {**optional, **{k: v for k, v in values.items() if k in required or k in optional}}

"""Glue job replay_quarantined: quarantined rows and files through the current contracts again.

Arguments: pipeline.COMMON_ARGUMENTS; optional ``--entities``, ``--reasons``, ``--batches``
(comma-separated filters) and ``--codec``. Idempotent; a run that died is resumed by the next one.
"""

from __future__ import annotations

import json
import logging
import sys

from gladiator.jobs import replay_quarantined
from gladiator.replay.request import ReplayRequest


def main(argv: list[str]) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    ctx = replay_quarantined.context_from_argv(argv)
    replay = replay_quarantined.open_run(ctx, ReplayRequest.from_args(ctx.args))
    with ctx.lineage.run(ctx.name, batch_id=ctx.batch_id) as run:
        report = replay_quarantined.run(ctx, replay)
        replay_quarantined.record_lineage(run, ctx, report)
    print(json.dumps({"job": ctx.name, **report.as_dict()}))


if __name__ == "__main__":
    main(sys.argv)

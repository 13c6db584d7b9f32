"""Replay of quarantined rows and files after a contract fix (DESIGN §7 "Ways back").

- ``request``: what to re-check (entities, reasons, original batches);
- ``store``: replay runs in the job-state table (the open run a crash leaves is resumed) and the
  batch reconciliation with replays applied;
- ``files``: quarantined files validated again by the landing Lambda's own check;
- ``rows``: quarantined rows classified again by silver's own check chain, loaded with the
  guarded MERGE, the rest kept with their current reason.

The job that runs them in order is gladiator.jobs.replay_quarantined.
"""

"""Event-driven file ingestion: S3 arrival -> validation -> DynamoDB ledger -> batches.

- ``object_events``: S3 "Object Created" events (EventBridge and classic notification shapes).
- ``validation``: file-level checks against the entity contract, reading only the object's head.
- ``ledger``: the per-file state machine (conditional writes) and the batch API used by the jobs.
- ``batches``: micro-batch policy and the pipeline start adapters (Step Functions / local).
- ``process``: the per-record function the landing Lambda runs.
"""

from gladiator.ingestion.model import Batch, BatchState, LedgerEntry, LedgerState, file_id_of

__all__ = ["Batch", "BatchState", "LedgerEntry", "LedgerState", "file_id_of"]

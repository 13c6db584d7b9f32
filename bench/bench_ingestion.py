"""Ingestion benchmark (not a test). Prints figures measured side by side in one run:

1. burst: N files (default 1,000) dropped at once -> time until every one is final for the
   Lambda (VALIDATED | QUARANTINED) and, after claiming + marking loaded, final (LOADED |
   QUARANTINED); target <= 60 s for 1,000;
2. handler time per record: median of (invocation time / records) over the burst, and of
   single-record invocations;
3. memory: peak RSS of a fresh process validating a 2 GB CSV vs a 1 MB one (target < 256 MB),
   the 2 GB object made by a streamed multipart upload (one 16 MiB part in memory at a time).
   moto_server copies a whole object into memory on every GET (even a ranged one), so the big
   object lives on a private LocalStack S3 (or, with --big-backend moto, a private moto_server).

Run:  .venv/bin/python bench/bench_ingestion.py [--files 1000] [--big-mb 2048] [--concurrency 1]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")

from gladiator import constants, resources  # noqa: E402
from gladiator.config import load_settings, use_local_credentials  # noqa: E402
from gladiator.contracts import get_contract  # noqa: E402
from gladiator.ingestion.batches import BatchStore  # noqa: E402
from gladiator.ingestion.ledger import Ledger  # noqa: E402
from gladiator.ingestion.model import LedgerState  # noqa: E402
from local_emulation.lambda_runtime import load_handler_module, provision_ingestion  # noqa: E402
from tests import samples  # noqa: E402

MIB = 1024 * 1024


def timed_handlers(durations: list[tuple[float, int]]) -> Any:
    def factory(index: int) -> Any:
        real = load_handler_module(instance=index).handler

        def handler(event: dict[str, Any], context: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return real(event, context)
            finally:
                durations.append((time.perf_counter() - t0, len(event["Records"])))

        return handler

    return factory


def bench_burst(n_files: int, concurrency: int) -> dict[str, Any]:
    prefix = f"gl-bench{uuid.uuid4().hex[:8]}"
    os.environ[constants.STACK_PREFIX] = prefix
    settings = replace(load_settings(), naming=resources.Naming(prefix=prefix))
    stack = provision_ingestion(settings)
    for i in range(concurrency):
        load_handler_module(instance=i).runtime.cache_clear()
    try:
        contract = get_contract("lineitem")
        bad = samples.bad_files("lineitem", tag="bench")
        files = bad + [
            samples.SampleFile(
                f"lineitem/bench-{i:05d}.csv", samples.csv_bytes(contract, 5, start=i * 5), None
            )
            for i in range(n_files - len(bad))
        ]
        s3 = stack.client("s3")
        durations: list[tuple[float, int]] = []
        t0 = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            list(
                pool.map(
                    lambda f: s3.put_object(Bucket=settings.landing_bucket, Key=f.key, Body=f.data), files
                )
            )
        uploaded = time.monotonic() - t0
        mapping = stack.mapping(
            batch_size=10, concurrency=concurrency, handler_factory=timed_handlers(durations)
        )
        stats = mapping.run_until_idle(timeout=900, settle_s=0.3)
        lambda_final = time.monotonic() - t0
        ledger = Ledger(settings.table_name(resources.LEDGER), stack.client("dynamodb"))
        store = BatchStore(settings.table_name(resources.JOB_STATE), ledger, ledger.client)
        t1 = time.monotonic()
        batches = 0
        while batch := store.claim(200):
            store.mark_loaded(batch.batch_id)
            batches += 1
        claimed_loaded = time.monotonic() - t1
        all_final = time.monotonic() - t0
        states: dict[str, int] = {}
        for entry in ledger.entries():
            states[entry.state] = states.get(entry.state, 0) + 1
        assert sum(states.values()) == n_files, states
        assert set(states) <= {LedgerState.LOADED, LedgerState.QUARANTINED}, states

        # single-record invocations on 50 more files
        singles: list[tuple[float, int]] = []
        extra = [
            samples.SampleFile(f"lineitem/one-{i:03d}.csv", samples.csv_bytes(contract, 5), None)
            for i in range(50)
        ]
        for f in extra:
            s3.put_object(Bucket=settings.landing_bucket, Key=f.key, Body=f.data)
        stack.mapping(batch_size=1, handler_factory=timed_handlers(singles)).run_until_idle(
            timeout=600, settle_s=0.3
        )
        return {
            "files": n_files,
            "concurrency": concurrency,
            "upload_s": uploaded,
            "poller_s": stats.seconds,
            "to_lambda_final_s": lambda_final,
            "claim_and_mark_loaded_s": claimed_loaded,
            "batches": batches,
            "to_all_final_s": all_final,
            "states": {str(k): v for k, v in states.items()},
            "idle": stats.idle,
            "per_record_ms_batched_median": 1000 * statistics.median(d / n for d, n in durations),
            "per_record_ms_single_median": 1000 * statistics.median(d for d, _ in singles),
        }
    finally:
        stack.delete()


# --- 2 GB: streamed multipart upload, validation memory in a fresh process ------------------
def upload_big_csv(s3: Any, bucket: str, key: str, total_bytes: int, part_bytes: int = 16 * MIB) -> int:
    """A CSV of ~total_bytes, uploaded part by part; only one part is ever in memory."""
    contract = get_contract("lineitem")
    block = b"".join(samples.csv_bytes(contract, 2000).split(b"\n", 1)[1:])  # rows only
    header = samples.csv_bytes(contract, 0)
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    parts, written, number = [], 0, 1
    while written < total_bytes:
        target = min(part_bytes, total_bytes - written)  # every part but the last is 16 MiB
        chunk = bytearray(header if number == 1 else b"")
        while len(chunk) < target:
            chunk += block
        body = bytes(chunk)
        etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=number, Body=body)["ETag"]
        parts.append({"PartNumber": number, "ETag": etag})
        written += len(body)
        number += 1
        del chunk, body
    s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": parts})
    return written


MEASURE = r"""
import json, os, sys, time, tracemalloc
def hwm_mb():  # peak RSS of this process image (VmHWM; ru_maxrss would carry the parent's over exec)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
sys.path.insert(0, sys.argv[1])
import boto3
from gladiator.ingestion.objects import S3ObjectReader
from gladiator.ingestion.validation import validate_object
s3 = boto3.client("s3", endpoint_url=sys.argv[2], region_name="us-east-1")
bucket, key = sys.argv[3], sys.argv[4]
size = s3.head_object(Bucket=bucket, Key=key)["ContentLength"]
validate_object(S3ObjectReader(s3, bucket, key, version_id=None, size=1000), "lineitem/warm.csv")  # warm imports
base = hwm_mb()
tracemalloc.start()
t0 = time.perf_counter()
reader = S3ObjectReader(s3, bucket, key, version_id=None, size=size)
verdict = validate_object(reader, key)
seconds = time.perf_counter() - t0
_, peak_py = tracemalloc.get_traced_memory()
print(json.dumps({"size": size, "ok": verdict.ok, "reason": verdict.reason, "seconds": seconds,
    "peak_rss_mb": hwm_mb(), "rss_before_mb": base,
    "python_peak_mb": peak_py / 2**20, "bytes_read": reader.bytes_read, "requests": reader.requests}))
"""


def measure_validation(endpoint: str, bucket: str, key: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, str(ROOT), endpoint, bucket, key],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def private_s3(backend: str) -> tuple[str, Any]:
    """(endpoint, stop) of an S3 owned by this run."""
    if backend == "localstack":
        from local_emulation.localstack import start_localstack

        instance = start_localstack()
        return instance.endpoint, instance.stop
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(2)

    def stop() -> None:
        process.terminate()
        process.wait(20)

    return f"http://127.0.0.1:{port}", stop


def bench_big(big_mb: int, backend: str) -> dict[str, Any]:
    import boto3

    endpoint, stop = private_s3(backend)
    try:
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        bucket = "bench-big"
        s3.create_bucket(Bucket=bucket)
        t0 = time.monotonic()
        size = upload_big_csv(s3, bucket, "lineitem/big.csv", big_mb * MIB)
        upload_s = time.monotonic() - t0
        s3.put_object(
            Bucket=bucket, Key="lineitem/small.csv", Body=samples.csv_bytes(get_contract("lineitem"), 6000)
        )
        small = measure_validation(endpoint, bucket, "lineitem/small.csv")
        big = measure_validation(endpoint, bucket, "lineitem/big.csv")
        return {"backend": backend, "big_bytes": size, "upload_s": upload_s, "small": small, "big": big}
    finally:
        stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument(
        "--concurrency", default="1,4", help="pollers; a comma list runs the burst once per value"
    )
    parser.add_argument("--big-mb", type=int, default=2048)
    parser.add_argument("--big-backend", choices=["localstack", "moto"], default="localstack")
    parser.add_argument("--skip-burst", action="store_true")
    parser.add_argument("--skip-big", action="store_true")
    args = parser.parse_args()
    use_local_credentials()
    results: dict[str, Any] = {}
    if not args.skip_burst:
        runs = results["burst"] = [bench_burst(args.files, int(c)) for c in args.concurrency.split(",")]
        for burst in runs:
            print(f"burst: {burst['files']} files, {burst['concurrency']} poller(s)")
            print(
                f"  upload {burst['upload_s']:.1f}s; all VALIDATED/QUARANTINED after {burst['to_lambda_final_s']:.1f}s"
            )
            print(f"  claim+mark loaded {burst['claim_and_mark_loaded_s']:.1f}s ({burst['batches']} batches)")
            print(f"  ALL FINAL after {burst['to_all_final_s']:.1f}s (target <= 60 s): {burst['states']}")
            print(
                f"  handler per record: {burst['per_record_ms_batched_median']:.1f} ms median in batches of 10, "
                f"{burst['per_record_ms_single_median']:.1f} ms median single-record invocations"
            )
        if len(runs) > 1:
            first, last = runs[0], runs[-1]
            print(
                f"  ratio {last['concurrency']} vs {first['concurrency']} poller(s): all-final time "
                f"x{last['to_all_final_s'] / first['to_all_final_s']:.2f}, poller time x{last['poller_s'] / first['poller_s']:.2f}"
            )
    if not args.skip_big:
        big = results["big"] = bench_big(args.big_mb, args.big_backend)
        s, b = big["small"], big["big"]
        print(
            f"validation memory ({big['backend']} S3; {big['big_bytes'] / 2**30:.2f} GiB uploaded in {big['upload_s']:.1f}s):"
        )
        for name, r in (("small", s), ("big", b)):
            print(
                f"  {name:5} {r['size'] / MIB:9.1f} MiB: ok={r['ok']} {r['seconds'] * 1000:7.1f} ms, "
                f"peak RSS {r['peak_rss_mb']:.1f} MiB (before {r['rss_before_mb']:.1f}), "
                f"python peak {r['python_peak_mb']:.2f} MiB, read {r['bytes_read'] / MIB:.2f} MiB in {r['requests']} GET(s)"
            )
        print(
            f"  ratio big/small: size x{b['size'] / s['size']:.0f}, peak RSS x{b['peak_rss_mb'] / s['peak_rss_mb']:.2f}, "
            f"time x{b['seconds'] / s['seconds']:.2f} (target: peak RSS < 256 MiB)"
        )
    out = Path(tempfile.gettempdir()) / "bench_ingestion.json"
    out.write_text(json.dumps(results, indent=2, default=str))
    print(f"(raw figures: {out})")


if __name__ == "__main__":
    main()

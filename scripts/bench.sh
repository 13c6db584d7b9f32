#!/usr/bin/env bash
# `make bench`: every benchmark, each printing ratios measured side by side in one run.
# Benchmarks are not tests: this machine is shared and noisy, so read the ratios, not the seconds.
# Pick some with BENCH="generate ingestion" make bench; BENCH_SCALE (default 1) sets the scale
# factor where a benchmark takes one; BATCH_SCALES (default 0.1,1,3) the scales of the batch
# lakehouse benchmark (SF 0.1,1,3 took ~45 min here; SF 3 writes ~15 GB to local disk).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv/bin
SCALE=${BENCH_SCALE:-1}
ALL="generate mysql_seed ingestion batch gold mysql_extract streaming merge_dv jvm_start warehouse cdk"
SELECTED=${BENCH:-$ALL}

$VENV/gladiator local up
for name in $SELECTED; do
  echo "==> [bench] $name"
  case "$name" in
    generate)      $VENV/python bench/bench_generate.py --scale "$SCALE" ;;
    mysql_seed)    $VENV/python bench/bench_mysql_seed.py --scale "$SCALE" ;;
    ingestion)     $VENV/python bench/bench_ingestion.py ;;
    batch)         $VENV/python bench/bench_batch.py --scales "${BATCH_SCALES:-0.1,1,3}" ;;
    gold)          $VENV/python bench/bench_gold.py --scale 0.1 --scale "$SCALE" ;;
    mysql_extract) $VENV/python bench/bench_mysql_extract.py --scale "$SCALE" ;;
    streaming)     $VENV/python bench/bench_streaming.py ;;
    merge_dv)      $VENV/python bench/bench_merge_dv.py ;;
    jvm_start)     $VENV/python bench/bench_jvm_start.py ;;
    warehouse)     $VENV/python bench/bench_warehouse.py --scale "$SCALE" ;;
    cdk)           $VENV/python bench/bench_cdk.py ;;
    *) echo "error: [bench] unknown benchmark '$name' (known: $ALL)" >&2; exit 2 ;;
  esac
done

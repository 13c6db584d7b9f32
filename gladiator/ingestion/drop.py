"""Dropping local files into the landing bucket (what a producer does), with a progress bar.

Keys: a dropped folder's files keep their path relative to that folder, so dropping
``DIR/landing`` (``<entity>/<file>`` inside) lands each file under its entity prefix. A dropped
file goes to ``<prefix>/<name>``, ``prefix`` defaulting to the name of the folder holding it.
Big files go up in parts (boto3 managed transfer); small ones in parallel.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MIB = 1024 * 1024


@dataclass(frozen=True)
class DropReport:
    files: int
    bytes: int
    keys: list[str]


def plan_keys(paths: Iterable[Path], prefix: str | None = None) -> list[tuple[Path, str]]:
    """(local file, landing key) for every file under ``paths``; hidden files are skipped."""
    out: list[tuple[Path, str]] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.is_file()):
                rel = file.relative_to(path)
                if any(part.startswith(".") for part in rel.parts):
                    continue
                key = rel.as_posix()
                out.append((file, f"{prefix.strip('/')}/{key}" if prefix else key))
        elif path.is_file():
            out.append((path, f"{(prefix or path.parent.name).strip('/')}/{path.name}"))
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    return out


def transfer_config() -> Any:
    from boto3.s3.transfer import TransferConfig

    return TransferConfig(multipart_threshold=64 * MIB, multipart_chunksize=16 * MIB, max_concurrency=4)


def drop_paths(
    paths: Iterable[Path],
    *,
    s3: Any,
    bucket: str,
    prefix: str | None = None,
    progress: bool = True,
    workers: int = 8,
) -> DropReport:
    """Upload every file under ``paths`` to ``bucket``; a tqdm bar (bytes) goes to stderr."""
    from tqdm import tqdm

    plan = plan_keys(paths, prefix)
    total = sum(f.stat().st_size for f, _ in plan)
    config = transfer_config()
    with tqdm(
        total=total,
        unit="B",
        unit_scale=True,
        desc=f"drop {len(plan)} files",
        file=sys.stderr,
        disable=not progress,
    ) as bar:

        def upload(item: tuple[Path, str]) -> str:
            file, key = item
            s3.upload_file(str(file), bucket, key, Config=config, Callback=bar.update)
            return key

        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            keys = list(pool.map(upload, plan))
    return DropReport(files=len(plan), bytes=total, keys=keys)

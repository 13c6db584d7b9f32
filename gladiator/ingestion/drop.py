"""Dropping local files into the landing bucket (what a producer does), with a progress bar.

Keys: the landing key of a file is ``<entity>/<file name>`` (the landing Lambda reads the entity
from the first segment), so
- a dropped folder's files keep their path relative to that folder: dropping ``DIR/landing``
  (``<entity>/<file>`` inside) lands each file under its entity prefix;
- a dropped file goes to ``<entity>/<name>``, the entity being the ``entity`` argument, else the
  name of the folder holding the file if that is an entity, else the entity its name starts with
  (``orders-00001.csv``, ``lineitem_2024.jsonl``); if none says which, the drop is refused with
  the list of entities, before anything is uploaded.
``prefix`` (optional) goes in front of every key. No key ever has an empty segment.
Big files go up in parts (boto3 managed transfer); small ones in parallel.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gladiator.contracts import ENTITY_NAMES
from gladiator.errors import ConfigurationError

MIB = 1024 * 1024
# Longest first, so "partsupp-1.csv" is partsupp, not part; the entity must end the name's first word.
_ENTITY_AT_START = re.compile(
    rf"^({'|'.join(sorted(ENTITY_NAMES, key=len, reverse=True))})(?![a-z0-9])", re.IGNORECASE
)


@dataclass(frozen=True)
class DropReport:
    files: int
    bytes: int
    keys: list[str]


def entity_of_file(path: Path, entity: str | None = None) -> str:
    """The entity a single dropped file belongs to (see the module docstring); raises
    ConfigurationError naming the file and listing the entities when nothing says which."""
    if entity is not None:
        if entity not in ENTITY_NAMES:
            raise ConfigurationError(f"unknown entity {entity!r}: use one of {', '.join(ENTITY_NAMES)}")
        return entity
    if path.parent.name in ENTITY_NAMES:
        return path.parent.name
    if match := _ENTITY_AT_START.match(path.name):
        return match.group(1).lower()
    raise ConfigurationError(
        f"{path}: cannot tell which entity this file holds (neither its name nor its folder starts "
        f"with one); pass --entity, or name it <entity>-<n>.<ext>. Entities: {', '.join(ENTITY_NAMES)}. "
        "Nothing was uploaded."
    )


def _join(*parts: str | None) -> str:
    """A key from path parts, without empty segments (``"a//b/"`` -> ``"a/b"``)."""
    return "/".join(seg for part in parts if part for seg in part.split("/") if seg)


def plan_keys(
    paths: Iterable[Path], prefix: str | None = None, *, entity: str | None = None
) -> list[tuple[Path, str]]:
    """(local file, landing key) for every file under ``paths``; hidden files are skipped.

    Pure (no upload): a refusal or a missing path stops the drop before its first write."""
    out: list[tuple[Path, str]] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.is_file()):
                rel = file.relative_to(path)
                if any(part.startswith(".") for part in rel.parts):
                    continue
                out.append((file, _join(prefix, rel.as_posix())))
        elif path.is_file():
            out.append((path, _join(prefix, entity_of_file(path, entity), path.name)))
        else:
            raise FileNotFoundError(2, "no such file or folder", str(path))
    return out


def _resume_note(bucket: str, planned: int, failed: list[Path]) -> str:
    if len(failed) == planned:
        return "Nothing was uploaded."
    shown = ", ".join(map(str, failed[:5])) + (" ..." if len(failed) > 5 else "")
    return (
        f"{planned - len(failed)} of {planned} file(s) landed in s3://{bucket}/ (see `gladiator ledger`); "
        f"once fixed, drop only the {len(failed)} that did not: {shown}"
    )


def transfer_config() -> Any:
    from boto3.s3.transfer import TransferConfig

    return TransferConfig(multipart_threshold=64 * MIB, multipart_chunksize=16 * MIB, max_concurrency=4)


def drop_paths(
    paths: Iterable[Path],
    *,
    s3: Any,
    bucket: str,
    prefix: str | None = None,
    entity: str | None = None,
    progress: bool = True,
    workers: int = 8,
) -> DropReport:
    """Upload every file under ``paths`` to ``bucket``; a tqdm bar (bytes) goes to stderr.

    If an upload fails, the exception carries a note saying how many files landed and what to do:
    the files that landed are already in the ledger, so only the others should be dropped again
    (a second drop of the same file is a new object version, i.e. a second ledger entry)."""
    from tqdm import tqdm

    plan = plan_keys(paths, prefix, entity=entity)
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
            futures = [pool.submit(upload, item) for item in plan]
        failed = [(file, exc) for (file, _), f in zip(plan, futures, strict=True) if (exc := f.exception())]
    if failed:
        error = failed[0][1]
        error.add_note(_resume_note(bucket, len(plan), [file for file, _ in failed]))
        raise error
    return DropReport(files=len(plan), bytes=total, keys=[key for _, key in plan])

"""Reading parts of an S3 object without holding it: ranged, streamed reads.

``ObjectReader`` is what the validators need; ``S3ObjectReader`` serves it with ranged GETs on one
object version, ``BytesReader`` from memory (unit tests). ``RangeFile`` adapts a reader to a
seekable binary file so pyarrow can read a Parquet footer with two small ranged reads.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any, Protocol

CHUNK_BYTES = 64 * 1024


class ObjectReader(Protocol):
    size: int

    def read_range(self, start: int, length: int) -> bytes:
        """``length`` bytes from ``start`` (fewer at the end of the object)."""
        ...

    def iter_bytes(self, start: int = 0, length: int | None = None) -> Iterator[bytes]:
        """The bytes from ``start`` (``length`` of them, default: to the end) in small chunks."""
        ...


class S3ObjectReader:
    """One object version on S3; every read is a ranged GET, streamed in 64 KiB chunks."""

    def __init__(self, s3: Any, bucket: str, key: str, *, version_id: str | None, size: int) -> None:
        self.s3, self.bucket, self.key, self.version_id, self.size = s3, bucket, key, version_id, size
        self.requests = 0  # ranged GETs issued (tests assert the head-only behaviour)
        self.bytes_read = 0

    def _get(self, start: int, end_inclusive: int) -> Any:
        args: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": self.key,
            "Range": f"bytes={start}-{end_inclusive}",
        }
        if self.version_id and self.version_id != "null":
            args["VersionId"] = self.version_id
        self.requests += 1
        return self.s3.get_object(**args)["Body"]

    def read_range(self, start: int, length: int) -> bytes:
        if length <= 0 or start >= self.size:
            return b""
        return b"".join(self.iter_bytes(start, length))

    def iter_bytes(self, start: int = 0, length: int | None = None) -> Iterator[bytes]:
        end = self.size if length is None else min(self.size, start + length)
        if start >= end:
            return
        body = self._get(start, end - 1)
        try:
            for chunk in body.iter_chunks(CHUNK_BYTES):
                self.bytes_read += len(chunk)
                yield chunk
        finally:
            body.close()  # stop the download when the caller has seen enough


class BytesReader:
    """An in-memory object (tests)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.size = len(data)

    def read_range(self, start: int, length: int) -> bytes:
        return self.data[start : start + max(length, 0)]

    def iter_bytes(self, start: int = 0, length: int | None = None) -> Iterator[bytes]:
        end = self.size if length is None else min(self.size, start + length)
        for offset in range(start, end, CHUNK_BYTES):
            yield self.data[offset : min(end, offset + CHUNK_BYTES)]


class RangeFile(io.RawIOBase):
    """A read-only, seekable file over an ``ObjectReader`` (each read is one ranged read)."""

    def __init__(self, reader: ObjectReader) -> None:
        self.reader = reader
        self.position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.reader.size}[whence]
        self.position = max(0, base + offset)
        return self.position

    def readinto(self, buffer: Any) -> int:
        data = self.reader.read_range(self.position, len(buffer))
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)

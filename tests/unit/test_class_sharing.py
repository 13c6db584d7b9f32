"""gladiator.jvm's class-data-sharing options: used when the archive is there, absent otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from gladiator import jvm


def test_no_archive_means_no_sharing_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jvm, "class_archive", lambda: tmp_path / "spark-classes-0.jsa")
    assert jvm.class_sharing_options() == ""


def test_an_archive_is_mapped_quietly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "spark-classes-0.jsa"
    archive.write_bytes(b"x")
    monkeypatch.setattr(jvm, "class_archive", lambda: archive)
    options = jvm.class_sharing_options().split()
    assert f"-XX:SharedArchiveFile={archive}" in options
    assert "-Xlog:cds=off" in options  # a JVM that cannot map it runs on without a warning
    monkeypatch.setenv("GLADIATOR_CLASS_ARCHIVE", "off")
    assert jvm.class_sharing_options() == ""


def test_the_archive_name_follows_the_jars(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    jar = tmp_path / "a-1.0.jar"
    jar.write_bytes(b"1")
    monkeypatch.setattr(jvm, "jars", lambda part: [jar])
    before = jvm.class_archive().name
    jar.write_bytes(b"12")  # another build of the jar: the old archive no longer fits
    assert jvm.class_archive().name != before
    assert before.startswith("spark-classes-") and before.endswith(".jsa")

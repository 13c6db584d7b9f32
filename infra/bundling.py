"""Build Python assets without Docker: copy sources and, when asked, pip-install dependencies.

CDK calls ``try_bundle`` at synth time. Two modes, chosen by the ``gladiator:bundle_lambda_dependencies``
context flag (see docs/deploy.md):

- off (default, what tests and offline synths use): the asset holds the entry folder and the
  ``gladiator`` package only. Synth is offline and takes milliseconds; the asset is NOT deployable
  as a Lambda (Powertools missing), and synth says so with a warning.
- on: dependencies are installed for the Lambda platform with
  ``pip install --target --platform manylinux2014_x86_64 --only-binary=:all: --python-version 3.11``
  into a cache folder keyed by the requirements, then copied. Only the first run needs PyPI.

The asset hash is computed from the inputs (sources, requirements, mode), not from the output, so
two synths of the same tree give byte-identical templates.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii

REPO_ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = REPO_ROOT / ".gladiator" / "cache" / "python-deps"
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".mypy_cache", "tests")


def tree_files(root: Path) -> Iterable[Path]:
    """Files under ``root`` that go into an asset, in a stable order."""
    if root.is_file():
        yield root
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            yield path


def content_hash(*parts: Path | str) -> str:
    """SHA-256 of file contents (with their relative paths) and literal strings, in order."""
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, Path):
            for path in tree_files(part):
                rel = path.relative_to(part.parent) if part.is_dir() else Path(path.name)
                digest.update(str(rel).encode() + b"\0" + path.read_bytes() + b"\0")
        else:
            digest.update(part.encode() + b"\0")
    return digest.hexdigest()


@jsii.implements(cdk.ILocalBundling)
class PythonLocalBundling:
    """Copies ``sources`` (folders are copied with their contents at the asset root, except the
    ``packages``, copied as ``<name>/``) and optionally pip-installs ``requirements``."""

    def __init__(
        self,
        *,
        entry: Path | None,
        packages: Sequence[Path] = (),
        requirements: str = "",
        install_dependencies: bool = False,
        python_version: str = "3.11",
        platform: str = "manylinux2014_x86_64",
        stub: str = "",
    ) -> None:
        self.entry = entry
        self.packages = tuple(packages)
        self.requirements = requirements
        self.install_dependencies = install_dependencies
        self.python_version = python_version
        self.platform = platform
        self.stub = stub  # written as app.py when the entry folder does not exist yet

    def asset_hash(self) -> str:
        parts: list[Path | str] = [f"deps={self.install_dependencies}", self.requirements, self.stub]
        if self.entry is not None and self.entry.exists():
            parts.append(self.entry)
        parts += list(self.packages)
        return content_hash(*parts)

    def try_bundle(self, output_dir: str, *args: Any, **kwargs: Any) -> bool:
        out = Path(output_dir)
        if self.install_dependencies and self.requirements.strip():
            shutil.copytree(
                self._dependencies(), out, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".complete")
            )
        if self.entry is not None and self.entry.exists():
            shutil.copytree(self.entry, out, dirs_exist_ok=True, ignore=_IGNORED)
        elif self.stub:
            (out / "app.py").write_text(self.stub)
        for package in self.packages:
            shutil.copytree(package, out / package.name, dirs_exist_ok=True, ignore=_IGNORED)
        return True

    def _dependencies(self) -> Path:
        key = content_hash(self.requirements, self.platform, self.python_version)[:16]
        target = CACHE_DIR / key
        if (target / ".complete").exists():
            return target
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        requirements_file = target.parent / f"{key}.requirements.txt"
        requirements_file.write_text(self.requirements)
        command = [
            sys.executable, "-m", "pip", "install", "--quiet", "--no-compile",
            "--target", str(target),
            "--platform", self.platform,
            "--only-binary=:all:",
            "--implementation", "cp",
            "--python-version", self.python_version,
            "-r", str(requirements_file),
        ]  # fmt: skip
        subprocess.run(command, check=True)
        (target / ".complete").write_text("")
        return target


def bundling_options(bundler: PythonLocalBundling) -> cdk.BundlingOptions:
    """BundlingOptions that never fall back to Docker (the image is only a required placeholder:
    ``try_bundle`` always succeeds or raises)."""
    return cdk.BundlingOptions(
        image=cdk.DockerImage.from_registry("public.ecr.aws/sam/build-python3.11"),
        local=bundler,
    )

"""The local JVM: which JDK to run, and the jars fetched at install time from Maven Central.

Spark 3.5 needs JDK 17 (it fails on the JDK 25 also installed on these machines with
``getSubject is not supported``); the Kafka broker runs on the same JDK.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import xml.etree.ElementTree as ET
from functools import cache
from importlib.metadata import version
from pathlib import Path

from gladiator import constants as env
from gladiator.config import REPO_ROOT, jars_dir, java_home_settings
from gladiator.errors import ConfigurationError

POM_NS = {"m": "http://maven.apache.org/POM/4.0.0"}
JVM_DIR = REPO_ROOT / "jvm"
REQUIRED_JAVA_MAJOR = 17


def java_major_version(java_home: Path) -> int | None:
    """The major version of the JDK at ``java_home``, or None if there is no working java."""
    java = java_home / "bin" / "java"
    if not java.is_file():
        return None
    try:
        out = subprocess.run([str(java), "-version"], capture_output=True, text=True, timeout=30).stderr
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2)) if major == 1 and match.group(2) else major


@cache
def find_java_home() -> Path:
    """A JDK 17 home: ``$GLADIATOR_JAVA_HOME``, else ``$JAVA_HOME`` if it is 17, else /usr/lib/jvm.

    Raises ConfigurationError naming what was tried and how to fix it.
    """
    explicit, system = java_home_settings()
    if explicit:
        version = java_major_version(Path(explicit))
        if version != REQUIRED_JAVA_MAJOR:
            raise ConfigurationError(
                f"{env.JAVA_HOME}={explicit} is not a JDK {REQUIRED_JAVA_MAJOR} "
                f"(found: {version or 'no java'}). Spark 3.5 needs JDK 17: "
                f"apt-get install openjdk-17-jdk-headless, then point {env.JAVA_HOME} at it."
            )
        return Path(explicit)
    candidates = [Path(system)] if system else []
    jvm_root = Path("/usr/lib/jvm")
    if jvm_root.is_dir():
        candidates += sorted(p for p in jvm_root.iterdir() if "17" in p.name and p.is_dir())
    for home in candidates:
        if java_major_version(home) == REQUIRED_JAVA_MAJOR:
            return home.resolve()
    raise ConfigurationError(
        f"no JDK {REQUIRED_JAVA_MAJOR} found (tried {[str(c) for c in candidates] or 'nothing'}). "
        "Spark 3.5 and the Kafka broker need JDK 17 (JDK 25 fails with 'getSubject is not supported'). "
        f"Install it with `apt-get install openjdk-17-jdk-headless` (or run `make setup`), "
        f"or set {env.JAVA_HOME}."
    )


def jars_root() -> Path:
    return jars_dir()


def _pom_artifacts(pom: Path) -> list[str]:
    """Artifact ids a pom declares as dependencies (each must yield a jar)."""
    root = ET.parse(pom).getroot()
    return [a.text or "" for a in root.findall("m:dependencies/m:dependency/m:artifactId", POM_NS)]


def jars(part: str) -> list[Path]:
    """The jars of ``part`` ('spark' or 'kafka'), checked against the pom that fetched them.

    Raises ConfigurationError naming the missing jar, so a failed download is caught before a
    JVM starts with half a classpath.
    """
    folder = jars_root() / part
    pom = JVM_DIR / ("kafka-broker" if part == "kafka" else part) / "pom.xml"
    present = sorted(folder.glob("*.jar")) if folder.is_dir() else []
    names = [p.name for p in present]
    for artifact in _pom_artifacts(pom):
        if not any(re.fullmatch(rf"{re.escape(artifact)}-\d[\w.\-]*\.jar", n) for n in names):
            raise ConfigurationError(
                f"jar {artifact}-*.jar is missing from {folder} (declared in {pom.relative_to(REPO_ROOT)}). "
                "The Maven download failed or was interrupted: run `make setup` to fetch it again."
            )
    return present


def java_env() -> dict[str, str]:
    """The process environment with JAVA_HOME and PATH pointing at JDK 17."""
    home = find_java_home()
    environ = dict(os.environ)
    environ["JAVA_HOME"] = str(home)
    environ["PATH"] = f"{home / 'bin'}{os.pathsep}{environ.get('PATH', '')}"
    return environ


# --- Class-data sharing -----------------------------------------------------------------------
# A Spark JVM spends most of its start loading and verifying classes: about 22,000 before its
# first Delta MERGE. A dynamic CDS archive (JDK 17, ``-XX:ArchiveClassesAtExit``) of the classes
# a short Spark + Delta run loads, written once by ``make setup`` (local_emulation/class_archive),
# lets every later local Spark JVM map them instead. The archive only fits the JDK and jars it
# was made with, so its name carries their digest; a stale or missing one is simply not used.


def class_archive() -> Path:
    """Where the CDS archive of the local Spark JVM (this JDK, pyspark and Spark jars) lives."""
    java = (find_java_home() / "bin" / "java").resolve()
    parts = [str(java), str(java.stat().st_mtime_ns), version("pyspark")]
    parts += [f"{p.name}:{p.stat().st_size}" for p in jars("spark")]
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
    return jars_root() / f"spark-classes-{digest}.jsa"


# A JVM that cannot map the archive (another classpath) would print a warning; it runs anyway.
QUIET_CDS = "-Xlog:cds=off -Xlog:cds+dynamic=off"


def class_sharing_options() -> str:
    """The JVM options that map the CDS archive, or '' when there is none (still correct, slower)
    or ``$GLADIATOR_CLASS_ARCHIVE`` is ``off``."""
    if os.environ.get(env.CLASS_ARCHIVE, "").lower() == "off":
        return ""
    archive = class_archive()
    return f"-XX:SharedArchiveFile={archive} {QUIET_CDS}" if archive.is_file() else ""

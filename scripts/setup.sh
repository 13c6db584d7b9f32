#!/usr/bin/env bash
# One-time, idempotent, cached setup of everything Gladiator needs on a fresh machine:
#   Debian packages (MariaDB, PostgreSQL, JDK 17, Maven, Node), the Python venv (.venv),
#   the pinned AWS CDK CLI (node_modules), and the JVM jars (.gladiator/jars) from Maven Central.
# Each step is skipped when a stamp says its inputs have not changed, so a second run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
STAMPS="$ROOT/.gladiator/stamps"
mkdir -p "$STAMPS"

say() { printf '==> [setup] %s\n' "$*"; }
die() { printf 'error: [setup] %s\n' "$*" >&2; exit 1; }
digest() { cat "$@" | sha256sum | cut -c1-16; }
fresh() { [ -f "$STAMPS/$1" ] && [ "$(cat "$STAMPS/$1")" = "$2" ]; }
stamp() { echo "$2" > "$STAMPS/$1"; }

# --- 1. Debian packages ---------------------------------------------------------------
DEBS=(mariadb-server mariadb-client postgresql openjdk-17-jdk-headless maven nodejs npm chromium)
missing=()
for p in "${DEBS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# nodejs/npm may come from another source on some images; accept working binaries.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
if command -v mvn >/dev/null; then missing=("${missing[@]/maven}"); fi
read -r -a missing <<< "${missing[*]:-}"
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
else
  say "Debian packages present"
fi

# --- 2. Python venv ---------------------------------------------------------------------
PY=${GLADIATOR_PYTHON:-}
if [ -z "$PY" ]; then
  for cand in python3.11 "$HOME/.pyenv/versions/3.11.7/bin/python3.11" /usr/bin/python3.11; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; assert sys.version_info[:2]==(3,11)' 2>/dev/null; then
      PY=$cand; break
    fi
  done
fi
[ -n "$PY" ] || die "Python 3.11 not found (Glue 5.1 runs 3.11). Install python3.11 and python3.11-venv, or set GLADIATOR_PYTHON."
key=$(digest pyproject.toml constraints.txt)
if [ -x .venv/bin/python ] && fresh venv "$key"; then
  say "venv up to date (.venv)"
else
  say "building venv .venv with $PY (first time ~2 min: pyspark builds from its sdist)"
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  .venv/bin/pip install -q --upgrade pip setuptools wheel
  .venv/bin/pip install -q -c constraints.txt -e '.[dev]' || die "pip install failed (see output above)"
  stamp venv "$key"
fi

# --- 3. AWS CDK CLI from npm -------------------------------------------------------------
key=$(digest package.json package-lock.json)
if [ -x node_modules/.bin/cdk ] && fresh npm "$key"; then
  say "CDK CLI up to date ($(node_modules/.bin/cdk --version 2>/dev/null | cut -d' ' -f1))"
else
  say "installing the pinned AWS CDK CLI (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null || die "npm ci failed"
  stamp npm "$key"
fi

# --- 4. JVM jars from Maven Central ------------------------------------------------------
for part in spark kafka-broker; do
  dir=".gladiator/jars/${part%-broker}"
  key=$(digest "jvm/$part/pom.xml")
  if [ -d "$dir" ] && fresh "jars-$part" "$key"; then
    say "jars up to date ($dir, $(ls "$dir" | wc -l) files)"
    continue
  fi
  say "fetching $part jars from Maven Central into $dir"
  rm -rf "$dir"
  if ! (cd "jvm/$part" && mvn -q -B dependency:copy-dependencies >"$ROOT/.gladiator/mvn-$part.log" 2>&1); then
    tail -20 "$ROOT/.gladiator/mvn-$part.log" >&2
    die "Maven could not fetch the $part jars (log: .gladiator/mvn-$part.log). Check access to Maven Central, then rerun."
  fi
  stamp "jars-$part" "$key"
done

# --- 4b. Class-data-sharing archive of the local Spark JVM ------------------------------------
# Spark JVMs map the classes a short Spark + Delta run loaded instead of loading them again:
# ~2.5 s less per JVM start (gladiator/jvm.py). The module skips the work when it is up to date.
say "class-data-sharing archive of the Spark JVM"
.venv/bin/python -m local_emulation.class_archive || say "warning: no class archive; Spark runs without it (slower to start)"

# --- 5. LocalStack (optional second emulator for S3/SQS/EventBridge) ----------------------
# localstack-core runs on the host only under Python 3.13, in its own venv (MACHINE-NOTES).
# Optional: without a Python 3.13 the LocalStack integration tests skip with that reason.
LS_PINS="localstack-core[runtime]==2026.3.0 cbor2<6 pyopenssl==25.3.0 cryptography<47 service-identity"
LS_PY=${GLADIATOR_LOCALSTACK_PYTHON:-}
if [ -z "$LS_PY" ]; then
  for cand in python3.13 "$HOME/.pyenv/versions/3.13.0/bin/python3.13"; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; assert sys.version_info[:2]==(3,13)' 2>/dev/null; then
      LS_PY=$cand; break
    fi
  done
fi
LS_VENV=.gladiator/localstack-venv
key=$(echo "$LS_PINS" | sha256sum | cut -c1-16)
if [ -z "$LS_PY" ]; then
  say "no Python 3.13: skipping the optional LocalStack venv"
elif [ -x "$LS_VENV/bin/python" ] && fresh localstack "$key"; then
  say "LocalStack venv up to date ($LS_VENV)"
else
  say "installing LocalStack into $LS_VENV with $LS_PY"
  [ -x "$LS_VENV/bin/python" ] || "$LS_PY" -m venv "$LS_VENV"
  # shellcheck disable=SC2086
  if "$LS_VENV/bin/pip" install -q $LS_PINS; then
    stamp localstack "$key"
  else
    say "warning: LocalStack install failed; its integration tests will skip and say so"
  fi
fi

say "done"

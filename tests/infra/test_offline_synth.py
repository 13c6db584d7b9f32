"""`cdk synth` through the real CLI, with no network (``unshare -n``) and no credentials:
it must succeed, give byte-identical output twice, and pass cfn-lint."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # two CLI synths: ~20 s idle, over a minute on a loaded machine

REPO_ROOT = Path(__file__).resolve().parents[2]
CDK = REPO_ROOT / "node_modules" / ".bin" / "cdk"
# W3005: CDK emits a DependsOn that a GetAtt already implies (redundant, harmless; CDK-internal).
CFN_LINT_IGNORED = "W3005"


def offline_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    env["CDK_HOME"] = str(REPO_ROOT / ".gladiator" / "cdk-home-offline")
    return env


def is_diagnostic(path: Path) -> bool:
    """Synth diagnostics (not deployed): warnings with stack traces through jsii's random temp
    folders, so they differ run to run even with ``aws:cdk:disable-stack-trace``."""
    return path.name.endswith(".metadata.json") or path.name == "validation-report.json"


def digest_tree(root: Path) -> dict[str, str]:
    """Every deployable file of a cloud assembly (templates, asset manifests, assets) -> sha256."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not is_diagnostic(p)
    }


@pytest.fixture(scope="module")
def offline_synths(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-n", "true"]).returncode != 0:
        pytest.fail(
            "unshare -n is needed to prove the synth is offline (run as root, or grant CAP_SYS_ADMIN)"
        )
    outs = [tmp_path_factory.mktemp(f"synth{i}") for i in (1, 2)]
    # Two synths at once: the same work either way, half the wall time on 2 cores.
    procs = [
        subprocess.Popen(
            ["unshare", "-n", str(CDK), "synth", "-q", "-o", str(out)],
            cwd=REPO_ROOT, env=offline_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for out in outs
    ]  # fmt: skip
    for proc in procs:
        output, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0, output[-4000:]
    return outs


def test_offline_synth_is_deterministic(offline_synths: list[Path]) -> None:
    first, second = (digest_tree(out) for out in offline_synths)
    assert sum(name.endswith(".template.json") for name in first) == 7
    assert any(name.startswith("asset.") for name in first)
    assert first == second


def test_templates_pass_cfn_lint(offline_synths: list[Path]) -> None:
    templates = sorted(str(p) for p in offline_synths[0].glob("*.template.json"))
    assert len(templates) == 7
    result = subprocess.run(
        [
            str(REPO_ROOT / ".venv" / "bin" / "cfn-lint"),
            "--ignore-checks",
            CFN_LINT_IGNORED,
            "--",
            *templates,
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr

"""The shared ``gladiator`` package as a zip asset, for Glue's ``--extra-py-files``."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import AssetHashType
from aws_cdk import aws_glue as glue
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from infra.bundling import PythonLocalBundling, bundling_options

SHARED_PACKAGE = Path(__file__).resolve().parent.parent.parent / "gladiator"


class SharedLibrary(Construct):
    """``gladiator/`` copied under the zip root (so ``import gladiator`` works on Glue) at synth
    time, without Docker; hashed from its sources, so unchanged code means an unchanged template."""

    def __init__(self, scope: Construct, construct_id: str, *, package_dir: Path = SHARED_PACKAGE) -> None:
        super().__init__(scope, construct_id)
        bundler = PythonLocalBundling(entry=None, packages=[package_dir])
        self.asset = s3_assets.Asset(
            self,
            "Zip",
            path=str(package_dir),
            asset_hash=bundler.asset_hash(),
            asset_hash_type=AssetHashType.CUSTOM,
            bundling=bundling_options(bundler),
        )
        self.code = glue.Code.from_bucket(self.asset.bucket, self.asset.s3_object_key)

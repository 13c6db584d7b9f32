"""Settings: the one boto3 client factory and the settings read from the environment."""

from __future__ import annotations

import pytest

from gladiator import constants
from gladiator.config import load_settings
from gladiator.errors import ConfigurationError


def test_every_client_gets_the_profile_endpoint_unless_its_service_has_its_own(monkeypatch) -> None:
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings("local")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:4566")  # S3 on LocalStack

    s3, dynamodb = settings.client("s3"), settings.client("dynamodb")

    assert s3.meta.endpoint_url == "http://127.0.0.1:4566"
    assert dynamodb.meta.endpoint_url == settings.aws_endpoint == f"http://127.0.0.1:{settings.ports.moto}"
    assert s3.meta.region_name == dynamodb.meta.region_name == settings.region


def test_on_aws_clients_use_the_real_endpoints(monkeypatch) -> None:
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SFN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    client = load_settings("aws").client("stepfunctions")
    assert client.meta.endpoint_url == "https://states.eu-west-1.amazonaws.com"


def test_settings_read_from_the_environment_at_the_time_of_use(monkeypatch) -> None:
    settings = load_settings("local")
    monkeypatch.delenv(constants.MAX_LANDING_FILE_BYTES, raising=False)
    assert settings.max_landing_file_bytes is None
    monkeypatch.setenv(constants.MAX_LANDING_FILE_BYTES, "1024")
    assert settings.max_landing_file_bytes == 1024
    monkeypatch.setenv(constants.MAX_LANDING_FILE_BYTES, "1 KB")
    with pytest.raises(ConfigurationError, match=constants.MAX_LANDING_FILE_BYTES):
        _ = settings.max_landing_file_bytes
    monkeypatch.setenv(constants.DRIVER_MEMORY, "3g")
    assert settings.driver_memory == "3g"

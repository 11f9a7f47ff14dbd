from __future__ import annotations

import pytest

from dynaform.errors import UsageError
from dynaform.settings import Flags, Target, mask, resolve_settings


def test_defaults_without_anything() -> None:
    settings = resolve_settings(Flags(), {})
    assert settings.endpoint_url is None
    assert settings.region == "us-east-1"
    assert settings.profile is None
    assert not settings.use_local_engine
    assert settings.origins["region"] == "default"


def test_flags_beat_environment_beats_project_target() -> None:
    env = {"AWS_ENDPOINT_URL": "http://env:1", "AWS_REGION": "eu-west-1", "AWS_PROFILE": "envp"}
    target = Target(kind="aws", region="ap-south-1", profile="tp", endpoint_url="http://t:2")
    flags = Flags(endpoint_url="http://flag:3", region="us-west-2", profile="flagp")

    assert resolve_settings(flags, env, target).endpoint_url == "http://flag:3"
    assert resolve_settings(flags, env, target).region == "us-west-2"
    assert resolve_settings(flags, env, target).profile == "flagp"

    from_env = resolve_settings(Flags(), env, target)
    assert (from_env.endpoint_url, from_env.region, from_env.profile) == (
        "http://env:1",
        "eu-west-1",
        "envp",
    )
    assert from_env.origins == {
        "endpoint": "AWS_ENDPOINT_URL",
        "region": "AWS_REGION",
        "profile": "AWS_PROFILE",
    }

    from_target = resolve_settings(Flags(), {}, target)
    assert (from_target.endpoint_url, from_target.region, from_target.profile) == (
        "http://t:2",
        "ap-south-1",
        "tp",
    )


def test_region_falls_back_to_aws_default_region() -> None:
    assert resolve_settings(Flags(), {"AWS_DEFAULT_REGION": "eu-north-1"}).region == "eu-north-1"
    both = {"AWS_DEFAULT_REGION": "eu-north-1", "AWS_REGION": "eu-west-3"}
    assert resolve_settings(Flags(), both).region == "eu-west-3"


def test_service_specific_endpoint_variable_wins_over_the_general_one() -> None:
    env = {"AWS_ENDPOINT_URL": "http://general:1", "AWS_ENDPOINT_URL_DYNAMODB": "http://ddb:2"}
    assert resolve_settings(Flags(), env).endpoint_url == "http://ddb:2"


def test_local_flag_and_local_target_use_the_managed_engine() -> None:
    assert resolve_settings(Flags(local=True), {}).use_local_engine
    assert resolve_settings(Flags(), {}, Target(kind="local")).use_local_engine
    # An explicit endpoint in the environment beats the project's local target.
    env = {"AWS_ENDPOINT_URL": "http://other:9"}
    settings = resolve_settings(Flags(), env, Target(kind="local"))
    assert not settings.use_local_engine
    assert settings.endpoint_url == "http://other:9"


def test_local_and_endpoint_url_together_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as caught:
        resolve_settings(Flags(local=True, endpoint_url="http://x:1"), {})
    assert caught.value.exit_code == 2
    assert "--local" in caught.value.message


def test_a_malformed_endpoint_names_its_origin() -> None:
    with pytest.raises(UsageError) as caught:
        resolve_settings(Flags(), {"AWS_ENDPOINT_URL": "localhost:8000"})
    assert "AWS_ENDPOINT_URL" in caught.value.message
    assert "http://localhost:8000" in caught.value.hint


def test_secrets_never_appear_in_repr_or_describe() -> None:
    env = {"AWS_ACCESS_KEY_ID": "AKIAEXAMPLEKEY1234", "AWS_SECRET_ACCESS_KEY": "s3cr3t-value"}
    settings = resolve_settings(Flags(), env)
    printed = repr(settings) + str(settings.describe())
    assert "s3cr3t-value" not in printed
    assert "AKIAEXAMPLEKEY1234" not in printed
    assert settings.describe()["access key"] == mask("AKIAEXAMPLEKEY1234") == "AKIA…34"


def test_loopback_endpoints_need_no_aws_credentials() -> None:
    settings = resolve_settings(Flags(endpoint_url="http://localhost:8000"), {})
    assert settings.is_loopback
    assert "no AWS credentials needed" in settings.describe()["access key"]
    assert not resolve_settings(Flags(endpoint_url="https://dynamodb.aws:443"), {}).is_loopback

"""Issue #12's whole lifecycle on the emulator, with the real stacks of out/<env>/ and the CLI as a user
runs it (`--local`), for dev and prod: deploy -> put data in (a bucket object, a secret value, an
image) -> delete -> re-create with `all --adopt` (the data is there) -> `delete --purge` (nothing of
the environment is left) -> re-create from nothing. Prod's teardown refuses before touching anything
until `--lift-protection`, and its purge needs its name typed back (`--yes` alone is not enough)."""

from __future__ import annotations

import json
from typing import Any

import pytest

import hana_emulator as emulator
from hana_templates import config
from tests.ops.test_local_e2e import run  # noqa: F401 - the fixture
from tests.ops.test_recreate_e2e import s3_store


def _stacks(server: Any) -> dict[str, str]:
    cfn = server.client("cloudformation")
    return {s["StackName"]: s["StackStatus"] for s in cfn.describe_stacks()["Stacks"]}


def _left(server: Any, env: str) -> dict[str, list[str]]:
    """What of the environment exists, by its names (hana-<env>..., hana/<env>/..., /ecs/hana-<env>/...)."""
    mark = f"hana-{env}"
    groups = server.client("logs").describe_log_groups()["logGroups"]
    secrets = server.client("secretsmanager").list_secrets(IncludePlannedDeletion=True)["SecretList"]
    return {
        "buckets": [b["Name"] for b in server.client("s3").list_buckets()["Buckets"] if mark in b["Name"]],
        "secrets": [s["Name"] for s in secrets if s["Name"].startswith(f"hana/{env}/")],
        "repositories": [
            r["repositoryName"]
            for r in server.client("ecr").describe_repositories()["repositories"]
            if r["repositoryName"].startswith(f"hana-{env}")
        ],
        "log groups": [g["logGroupName"] for g in groups if mark in g["logGroupName"]],
        "queues": [u for u in server.client("sqs").list_queues().get("QueueUrls") or [] if mark in u],
        "aliases": [a["AliasName"] for a in server.client("kms").list_aliases()["Aliases"] if mark in a["AliasName"]],
    }


def _enabled_keys(server: Any, env: str) -> int:
    kms = server.client("kms")
    n = 0
    for k in kms.list_keys()["Keys"]:
        tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=k["KeyId"]).get("Tags") or []}
        if (
            tags.get("Environment") == env
            and kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"
        ):
            n += 1
    return n


def _put_data(server: Any, env: str) -> tuple[str, str, str]:
    bucket = f"hana-{env}-media-{emulator.ACCOUNT_ID}-{emulator.REGION}"
    secret = f"hana/{env}/anthropic-api-key"
    repository = f"hana-{env}/api"
    s3_store().put_object(bucket, "user/1.png", b"picture")  # straight into the emulator's S3, as test_recreate_e2e
    s3 = server.client("s3")  # and through the API: two versions of an object, then a delete marker on top
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    s3.put_object(Bucket=bucket, Key="user/2.png", Body=b"v1")
    s3.put_object(Bucket=bucket, Key="user/2.png", Body=b"v2")
    s3.delete_object(Bucket=bucket, Key="user/2.png")
    server.client("secretsmanager").put_secret_value(SecretId=secret, SecretString="sk-kept")
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json", "layers": []}
    server.client("ecr").put_image(repositoryName=repository, imageManifest=json.dumps(manifest), imageTag="v1")
    return bucket, secret, repository


def _data_is_there(server: Any, bucket: str, secret: str, repository: str) -> None:
    assert s3_store().get_object(bucket, "user/1.png").value == b"picture"
    assert server.client("secretsmanager").get_secret_value(SecretId=secret)["SecretString"] == "sk-kept"
    assert [i.get("imageTag") for i in server.client("ecr").list_images(repositoryName=repository)["imageIds"]] == [
        "v1"
    ]


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_deploy_delete_adopt_purge_and_recreate_from_nothing(env, run, emulator_server):  # noqa: F811
    cfg = config.get(env)
    if cfg.domain:
        emulator_server.add_hosted_zone(cfg.domain.name.split(".", 1)[1], cfg.domain.hosted_zone_id)
    prod = ["--confirm-prod"] if cfg.termination_protection else []
    assert (created := run("--env", env, "all")).code == 0, created.stdout + created.stderr
    bucket, secret, repository = _put_data(emulator_server, env)

    if prod:  # prod's teardown refuses before touching anything (deletion protection)
        refused = run("--env", env, "delete", "--yes", *prod)
        assert refused.code == 2 and "nothing was deleted" in refused.stderr
        assert set(_stacks(emulator_server).values()) == {"CREATE_COMPLETE"}
    deleted = run("--env", env, "delete", "--yes", *prod, "--lift-protection")
    assert deleted.code == 0, deleted.stdout + deleted.stderr
    assert _stacks(emulator_server) == {}
    _data_is_there(emulator_server, bucket, secret, repository)

    adopted = run("--env", env, "all", "--adopt")
    assert adopted.code == 0, adopted.stdout + adopted.stderr
    assert len(_stacks(emulator_server)) == 9 and "adopted" in adopted.stdout + adopted.stderr
    _data_is_there(emulator_server, bucket, secret, repository)

    # the purge: prod needs its name typed back; --yes alone refuses before anything is read or changed
    purge = ["--env", env, "delete", "--yes", *prod, "--lift-protection", "--purge", "--force-delete-secrets"]
    if prod:
        alone = run(*purge)
        assert alone.code == 2 and "--confirm-purge prod" in alone.stderr.strip().splitlines()[-1]
        assert len(_stacks(emulator_server)) == 9
        purge += ["--confirm-purge", env]
    purged = run(*purge)
    assert purged.code == 0, purged.stdout + purged.stderr
    # the listing, before anything was deleted: what each holds (never a secret's value)
    assert f"bucket {bucket}: 1 object, 11 B (with 2 older versions and 1 delete marker)" in purged.stdout
    assert f"ECR repository {repository}: 1 image" in purged.stdout
    assert f"secret {secret}: a value is set" in purged.stdout and "sk-kept" not in purged.stdout
    assert "the final snapshot of RDS" in purged.stdout and "kept (--delete-snapshots deletes it)" in purged.stdout
    assert f"purge {env}:" in purged.stdout
    assert f"wait that long before `python -m deploy --env {env} --local all`" in purged.stdout  # SQS's 60 s
    assert _stacks(emulator_server) == {}
    assert _left(emulator_server, env) == dict.fromkeys(
        ("buckets", "secrets", "repositories", "log groups", "queues", "aliases"), []
    )
    assert _enabled_keys(emulator_server, env) == 0  # every key scheduled for deletion
    assert emulator_server.client("rds").describe_db_snapshots()["DBSnapshots"]  # the final snapshot stays

    again = run(*purge)  # idempotent: nothing left to do
    assert again.code == 0 and "nothing to delete or purge" in again.stdout, again.stdout + again.stderr

    fresh = run("--env", env, "all")  # re-create from nothing: no refusal, nothing adopted
    assert fresh.code == 0, fresh.stdout + fresh.stderr
    assert "adopted" not in fresh.stdout + fresh.stderr and "9 created" in fresh.stdout
    assert emulator_server.client("s3").list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_purge_options_without_purge_are_bad_input(run):  # noqa: F811
    done = run("--env", "dev", "delete", "--yes", "--force-delete-secrets")
    assert done.code == 2
    assert done.stderr.strip().splitlines() == [
        "error: --force-delete-secrets only go with --purge; add --purge, or leave them out to keep the data"
    ]
    wrong = run("--env", "prod", "delete", "--yes", "--confirm-prod", "--purge", "--confirm-purge", "dev")
    assert wrong.code == 2 and "pass --confirm-purge prod" in wrong.stderr

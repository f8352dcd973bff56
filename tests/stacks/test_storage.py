"""storage: the image repository and the three buckets, private, encrypted, logged and retained."""

import json

import pytest

from hana_templates import config
from tests.tmpl import one, props, resources, template

ROLES = ("media", "artifacts", "logs")
KEY_ARN = {"Fn::GetAtt": ["StorageKey", "Arn"]}
# The ELB account of the Region the stack is deployed to (a Mapping read with AWS::Region).
ELB_ACCOUNT_OF_REGION = {
    "Fn::Sub": [
        "arn:${AWS::Partition}:iam::${Account}:root",
        {"Account": {"Fn::FindInMap": ["ElbLogDeliveryAccount", {"Ref": "AWS::Region"}, "AccountId"]}},
    ]
}
ALB_LOG_OBJECTS = {
    "Fn::Sub": ["${Arn}/alb/AWSLogs/${AWS::AccountId}/*", {"Arn": {"Fn::GetAtt": ["LogsBucket", "Arn"]}}]
}


def _tmpl(env):
    return template(env, "storage")


def _bucket_ids(env) -> dict[str, str]:
    """role -> logical ID, the role read from the bucket's name (hana-<env>-<role>-...)."""
    return {
        props(bucket)["BucketName"]["Fn::Sub"].split("-")[2]: logical_id
        for logical_id, bucket in resources(_tmpl(env), "AWS::S3::Bucket").items()
    }


def _buckets(env) -> dict[str, dict]:
    """role -> bucket resource."""
    return {role: _tmpl(env)["Resources"][logical_id] for role, logical_id in _bucket_ids(env).items()}


def _policy_of(env, bucket_id) -> list[dict]:
    for policy in resources(_tmpl(env), "AWS::S3::BucketPolicy").values():
        if props(policy)["Bucket"] == {"Ref": bucket_id}:
            return _unconditional(props(policy)["PolicyDocument"]["Statement"])
    raise AssertionError(f"no bucket policy for {bucket_id}")


# --- ECR ----------------------------------------------------------------------------------------


def test_repository_is_named_as_the_spec_scans_on_push_and_uses_the_stack_key(env):
    repo = one(_tmpl(env), "AWS::ECR::Repository")
    p = props(repo)
    assert p["RepositoryName"] == f"hana-{env}/api"
    assert p["ImageScanningConfiguration"] == {"ScanOnPush": True}
    assert p["EncryptionConfiguration"] == {"EncryptionType": "KMS", "KmsKey": KEY_ARN}
    # Every tag immutable except `latest`, which the deployer moves on every push (this is also what
    # the cfn-guard suppression of ecr_private_tag_immutability_enabled_check relies on).
    assert p["ImageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION"
    assert p["ImageTagMutabilityExclusionFilters"] == [
        {"ImageTagMutabilityExclusionFilterType": "WILDCARD", "ImageTagMutabilityExclusionFilterValue": "latest"}
    ]
    assert [s["id"] for s in repo["Metadata"]["checkov"]["skip"]] == ["CKV_AWS_51"]
    assert repo["Metadata"]["guard"]["SuppressedRules"] == ["ecr_private_tag_immutability_enabled_check"]


def test_repository_lifecycle_expires_untagged_images_and_keeps_recent_ones_for_rollback(env):
    st = config.get(env).storage
    policy = json.loads(props(one(_tmpl(env), "AWS::ECR::Repository"))["LifecyclePolicy"]["LifecyclePolicyText"])
    rules = {r["selection"]["tagStatus"]: r for r in policy["rules"]}
    untagged = rules["untagged"]["selection"]
    assert (untagged["countType"], untagged["countUnit"], untagged["countNumber"]) == (
        "sinceImagePushed",
        "days",
        st.ecr_untagged_expiry_days,
    )
    keep = rules["any"]
    assert keep["selection"]["countType"] == "imageCountMoreThan"
    assert keep["selection"]["countNumber"] == st.ecr_keep_images >= 5
    # ECR requires the rule on "any" to be evaluated last.
    assert keep["rulePriority"] == max(r["rulePriority"] for r in policy["rules"])
    assert all(r["action"] == {"type": "expire"} for r in policy["rules"])


# --- buckets ------------------------------------------------------------------------------------


def test_three_buckets_named_after_their_role_account_and_region(env):
    buckets = _buckets(env)
    assert sorted(buckets) == sorted(ROLES)
    for role, bucket in buckets.items():
        assert props(bucket)["BucketName"] == {"Fn::Sub": f"hana-{env}-{role}-${{AWS::AccountId}}-${{AWS::Region}}"}


@pytest.mark.parametrize("role", ROLES)
def test_bucket_is_private_versioned_owner_enforced_and_retained(env, role):
    bucket = _buckets(env)[role]
    p = props(bucket)
    assert p["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert p["VersioningConfiguration"] == {"Status": "Enabled"}
    assert p["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert "AccessControl" not in p
    assert (bucket["DeletionPolicy"], bucket["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain")


@pytest.mark.parametrize("role", ("media", "artifacts"))
def test_data_buckets_use_the_stack_key_with_bucket_keys(env, role):
    (rule,) = props(_buckets(env)[role])["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KEY_ARN}
    assert rule["BucketKeyEnabled"] is True


def test_logs_bucket_uses_sse_s3_because_alb_log_delivery_requires_it(env):
    (rule,) = props(_buckets(env)["logs"])["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}


@pytest.mark.parametrize("role", ROLES)
def test_bucket_policy_denies_requests_without_tls(env, role):
    bucket_id = _bucket_ids(env)[role]
    arn = {"Fn::GetAtt": [bucket_id, "Arn"]}
    deny = [s for s in _policy_of(env, bucket_id) if s["Effect"] == "Deny"]
    assert deny == [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": ["s3:*"],
            # Fn::Join and the string "false": the shape AWS Control Tower's CT.S3.PR.8 recognises
            "Resource": [arn, {"Fn::Join": ["", [arn, "/*"]]}],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ]


@pytest.mark.parametrize("role", ("media", "artifacts"))
def test_data_buckets_log_into_the_logs_bucket_once_its_policy_allows_it(env, role):
    bucket = _buckets(env)[role]
    logging = props(bucket)["LoggingConfiguration"]
    assert logging == {"DestinationBucketName": {"Ref": "LogsBucket"}, "LogFilePrefix": f"s3-access/{role}/"}
    assert "LogsBucketPolicy" in bucket["DependsOn"]


def test_logs_bucket_does_not_log_into_itself_and_says_why(env):
    logs = _buckets(env)["logs"]
    assert "LoggingConfiguration" not in props(logs)
    assert [s["id"] for s in logs["Metadata"]["checkov"]["skip"]] == ["CKV_AWS_18"]


@pytest.mark.parametrize("role", ROLES)
def test_every_bucket_sends_its_events_to_eventbridge(env, role):
    """AWS Control Tower CT.S3.PR.4, fixed rather than suppressed: events go to the default bus
    (CloudFormation template reference, AWS::S3::Bucket EventBridgeConfiguration)."""
    p = props(_buckets(env)[role])
    assert p["NotificationConfiguration"] == {"EventBridgeConfiguration": {"EventBridgeEnabled": True}}
    assert "s3_event_notifications_enabled_check" not in _buckets(env)[role].get("Metadata", {}).get("guard", {}).get(
        "SuppressedRules", []
    )


@pytest.mark.parametrize("role", ("media", "artifacts"))
def test_data_buckets_activate_object_lock_without_a_default_retention(env, role):
    """CT.S3.PR.9: Object Lock on; no default retention, so nothing is locked unless an object is
    given one (lifecycle expiry and erasure requests keep working)."""
    bucket = _buckets(env)[role]
    assert props(bucket)["ObjectLockEnabled"] is True
    assert "ObjectLockConfiguration" not in props(bucket)
    assert "guard" not in bucket.get("Metadata", {})


def test_logs_bucket_has_no_object_lock_because_it_receives_server_access_logs(env):
    """S3 User Guide, Configuring S3 Object Lock: a bucket with Object Lock cannot be the destination
    of server access logs; the logs bucket is, so it suppresses CT.S3.PR.9 as AWS-forced."""
    logs = _buckets(env)["logs"]
    assert "ObjectLockEnabled" not in props(logs)
    assert any(
        props(b)["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": "LogsBucket"}
        for r, b in _buckets(env).items()
        if r != "logs"
    )
    reason = logs["Metadata"]["hana"]["guard-reasons"]["s3_bucket_object_lock_enabled_check"]
    assert reason.startswith("AWS forces it")


@pytest.mark.parametrize("role", ROLES)
def test_lifecycle_expires_noncurrent_versions_and_aborts_stale_uploads(env, role):
    st = config.get(env).storage
    rules = props(_buckets(env)[role])["LifecycleConfiguration"]["Rules"]
    assert all(r["Status"] == "Enabled" for r in rules)
    assert any(
        r.get("NoncurrentVersionExpiration") == {"NoncurrentDays": st.noncurrent_version_expiry_days} for r in rules
    )
    assert any(r.get("AbortIncompleteMultipartUpload", {}).get("DaysAfterInitiation", 0) > 0 for r in rules)


def test_access_logs_expire_after_the_configured_retention(env):
    rules = props(_buckets(env)["logs"])["LifecycleConfiguration"]["Rules"]
    assert [r["ExpirationInDays"] for r in rules if "ExpirationInDays" in r] == [
        config.get(env).storage.access_log_retention_days
    ]
    for role in ("media", "artifacts"):  # user data never expires by itself
        assert not any("ExpirationInDays" in r for r in props(_buckets(env)[role])["LifecycleConfiguration"]["Rules"])


def test_media_moves_to_intelligent_tiering(env):
    rules = props(_buckets(env)["media"])["LifecycleConfiguration"]["Rules"]
    transitions = [t for r in rules for t in r.get("Transitions", [])]
    assert transitions == [{"StorageClass": "INTELLIGENT_TIERING", "TransitionInDays": 0}]


def _unconditional(statements: list[dict]) -> list[dict]:
    """The statements, each `Fn::If [RegionHasElbAccount, S, NoValue]` taken as S."""
    out = []
    for s in statements:
        if "Fn::If" in s:
            condition, then, otherwise = s["Fn::If"]
            assert (condition, otherwise) == ("RegionHasElbAccount", {"Ref": "AWS::NoValue"})
            s = then
        out.append(s)
    return out


def test_alb_log_delivery_follows_the_deploy_region_not_the_config(env):
    """Deploying with --region X must grant X's ELB account (an account computed for cfg.region
    fails at the ALB with "Access Denied for bucket"); Regions opened since August 2022 have no ELB
    account and use the service principal ("Enable access logs for your Application Load Balancer")."""
    tmpl = _tmpl(env)
    body = json.dumps({k: v for k, v in tmpl.items() if k != "Mappings"})
    accounts = tmpl["Mappings"]["ElbLogDeliveryAccount"]
    assert accounts["us-east-1"] == {"AccountId": "127311923021"}
    assert accounts["eu-west-1"] == {"AccountId": "156460612806"}
    assert not [a["AccountId"] for a in accounts.values() if a["AccountId"] in body], "an account is hard-coded"
    regions = json.dumps(tmpl["Conditions"]["RegionHasElbAccount"])
    assert all(f'"{r}"' in regions for r in accounts)


def test_logs_bucket_policy_allows_alb_and_s3_log_delivery_only(env):
    allows = [s for s in _policy_of(env, "LogsBucket") if s["Effect"] == "Allow"]
    assert all(s["Action"] == ["s3:PutObject"] for s in allows)
    by_principal = {json.dumps(s["Principal"], sort_keys=True): s for s in allows}
    alb_account = by_principal.pop(json.dumps({"AWS": ELB_ACCOUNT_OF_REGION}, sort_keys=True))
    alb_service = by_principal.pop(
        json.dumps({"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}, sort_keys=True)
    )
    s3_logging = by_principal.pop(json.dumps({"Service": "logging.s3.amazonaws.com"}, sort_keys=True))
    assert by_principal == {}, "the logs bucket policy allows someone else"

    # ALB writes only below alb/AWSLogs/<this account>/ (compute sets the `alb` prefix).
    assert alb_account["Resource"] == alb_service["Resource"] == [ALB_LOG_OBJECTS]

    # S3 writes server access logs only below s3-access/, only for this account's two buckets.
    assert s3_logging["Resource"] == [
        {"Fn::Sub": ["${Arn}/s3-access/*", {"Arn": {"Fn::GetAtt": ["LogsBucket", "Arn"]}}]}
    ]
    condition = s3_logging["Condition"]
    assert condition["StringEquals"] == {"aws:SourceAccount": {"Fn::Sub": "${AWS::AccountId}"}}
    sources = {arn["Fn::Sub"][1]["Name"]["Fn::Sub"] for arn in condition["ArnLike"]["aws:SourceArn"]}
    assert sources == {props(_buckets(env)[role])["BucketName"]["Fn::Sub"] for role in ("media", "artifacts")}


def test_no_partition_literals(env):
    assert "arn:aws:" not in json.dumps(_tmpl(env))


def test_key_rotates_is_retained_and_is_the_exported_key(env):
    tmpl = _tmpl(env)
    key = tmpl["Resources"]["StorageKey"]
    assert props(key)["EnableKeyRotation"] is True
    assert (key["DeletionPolicy"], key["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain")
    assert tmpl["Outputs"]["StorageKmsKeyArn"]["Value"] == KEY_ARN


def test_every_stateful_resource_is_retained(env):
    for rtype in ("AWS::ECR::Repository", "AWS::S3::Bucket", "AWS::KMS::Key"):
        for logical_id, res in resources(_tmpl(env), rtype).items():
            assert (res["DeletionPolicy"], res["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain"), logical_id

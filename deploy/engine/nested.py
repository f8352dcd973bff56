"""The nested deployment (`python -m deploy main`): one stack `hana-<env>` whose children are the
same templates the separate-stack deploy uses.

1. Ensure the template bucket `<project>-cfn-templates-<account>-<region>`: private (public
   access blocked, bucket owner enforced, TLS-only policy), encrypted (SSE-S3), versioned, old
   versions expiring. One bucket per account and region, shared by the environments in it.
2. Upload each child template under a content-addressed key; a key already in the bucket is
   skipped (same key = same bytes), so a re-run uploads nothing and a changed child gets a new
   URL, which is what makes CloudFormation update exactly the changed children.
3. Check that main.yaml points at the keys just uploaded, then deploy `hana-<env>` from
   out/<env>/main.yaml like any other stack (change set, no-op detection, progress).
   On an update, each `<X>DesiredCount` master parameter is the count the service runs now,
   read from ECS by its name (engine/counts.py), never the master's previous value: the master
   passes it to compute, and CloudFormation sends it to ECS (a stale "0" would stop prod).

The key function is the generator's when it has one (`hana_templates.main.object_key`, which
main.yaml's TemplateURLs are built with); until then `object_key` below, with the same
signature `object_key(stack, body) -> str`. main.yaml receives the bucket through the
parameters in `location_parameters` (those it declares).

`find_children` makes a nested deployment first-class for the other commands: it reads the master's
resources and points `Project.stack_name` at the children (`hana-<env>-<Logical>-<random>`), so
status, outputs, plan, delete and the operations commands see the stacks that are really there.

Exported: object_key, key_function, template_bucket, location_parameters, ensure_bucket,
upload_templates, upload_one (one big template of the separate-stack deploy), find_children,
children_of, Nested, MAX_INLINE_BODY_BYTES (from cfn.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from deploy.engine.cfn import MAX_INLINE_BODY_BYTES, Request
from deploy.engine.project import MAIN, Project
from deploy.errors import BadInput, DeployError


def object_key(stack: str, body: str) -> str:
    """`templates/network-<first 16 hex of sha256(body)>.yaml`: content-addressed."""
    return f"templates/{stack}-{hashlib.sha256(body.encode()).hexdigest()[:16]}.yaml"


def key_function() -> Callable[[str, str], str]:
    """The generator's key function when hana_templates.main provides one (main.yaml is built with it)."""
    try:
        from hana_templates import main as generator_main  # type: ignore[attr-defined]
    except ImportError:
        return object_key
    return getattr(generator_main, "object_key", object_key)


def template_bucket(project: str, account: str, region: str) -> str:
    return f"{project}-cfn-templates-{account}-{region}"


def location_parameters(bucket: str, region: str) -> dict[str, str]:
    """What main.yaml may declare to find its children (only the declared ones are passed)."""
    return {"TemplateBucket": bucket, "TemplateBucketRegion": region}


def template_url(bucket: str, region: str, key: str) -> str:
    return f"https://{bucket}.s3.{region}.amazonaws.com/{key}"


def ensure_bucket(
    s3: Any, bucket: str, account: str, region: str, partition: str = "aws", tls_only: bool = True
) -> bool:
    """Create the bucket if needed and (re)apply its settings; True when it was created.
    `tls_only=False` leaves out the deny-plain-HTTP policy: only for a local emulator spoken to over
    http://, which would otherwise lock us out of our own bucket."""
    from botocore.exceptions import ClientError

    created = False
    try:
        s3.head_bucket(Bucket=bucket, ExpectedBucketOwner=account)
    except ClientError as err:
        code = str(err.response.get("Error", {}).get("Code"))
        if code in ("403", "AccessDenied", "Forbidden"):
            raise DeployError(
                f"template bucket {bucket} exists but is not this account's ({account}) or is not readable"
            ) from None
        if code not in ("404", "NoSuchBucket", "NotFound"):
            raise
        kwargs: dict[str, Any] = {"Bucket": bucket, "ObjectOwnership": "BucketOwnerEnforced"}
        if region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        s3.create_bucket(**kwargs)
        created = True
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": True}]
        },
    )
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    if tls_only:
        _put_tls_only_policy(s3, bucket, partition)
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "expire-old-template-versions",
                    "Status": "Enabled",
                    "Filter": {"Prefix": ""},
                    "NoncurrentVersionExpiration": {"NoncurrentDays": 90},
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
                }
            ]
        },
    )
    return created


def _put_tls_only_policy(s3: Any, bucket: str, partition: str) -> None:
    arn = f"arn:{partition}:s3:::{bucket}"
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [arn, f"{arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))


@dataclass
class Uploads:
    bucket: str
    uploaded: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)

    @property
    def keys(self) -> list[str]:
        return self.uploaded + self.present


def upload_templates(
    s3: Any, bucket: str, templates: list[tuple[str, str]], key_fn: Callable[[str, str], str]
) -> Uploads:
    """Upload (stack, body) pairs under content-addressed keys, skipping keys already there."""
    from botocore.exceptions import ClientError

    result = Uploads(bucket)
    for stack, body in templates:
        key = key_fn(stack, body)
        try:
            s3.head_object(Bucket=bucket, Key=key)
        except ClientError as err:
            if str(err.response.get("Error", {}).get("Code")) not in ("404", "NoSuchKey", "NotFound"):
                raise
            s3.put_object(
                Bucket=bucket, Key=key, Body=body.encode(), ContentType="text/yaml", ServerSideEncryption="AES256"
            )
            result.uploaded.append(key)
        else:
            result.present.append(key)
    return result


def upload_one(aws: Any, project: Project, stack: str, body: str) -> str:
    """One template too big for TemplateBody (the separate-stack deploy): into the template bucket
    (created and secured as for `main`), under its content-addressed key; its TemplateURL."""
    ident = aws.identity()
    bucket = template_bucket(project.cfg.project, ident.account, aws.region)
    s3 = aws.client("s3")
    tls_only = not (aws.endpoint_url or "").startswith("http://")
    ensure_bucket(s3, bucket, ident.account, aws.region, ident.partition, tls_only)
    key_fn = key_function()
    upload_templates(s3, bucket, [(stack, body)], key_fn)
    return template_url(bucket, aws.region, key_fn(stack, body))


def _nested_urls(template: dict[str, Any]) -> dict[str, str]:
    """Logical id -> TemplateURL (flattened to text) of each nested stack in main.yaml."""
    urls = {}
    for logical, res in (template.get("Resources") or {}).items():
        if res.get("Type") == "AWS::CloudFormation::Stack":
            url = (res.get("Properties") or {}).get("TemplateURL")
            urls[logical] = url if isinstance(url, str) else json.dumps(url)
    return urls


class Nested:
    def __init__(self, deployer: Any, key_fn: Callable[[str, str], str] | None = None):
        self.deployer = deployer
        self.project: Project = deployer.project
        self.aws = deployer.aws
        self.key_fn = key_fn or key_function()
        self.uploads: Uploads | None = None
        self.bucket_created = False

    def deploy(self, continue_rollback: bool = False) -> Any:
        project = self.project
        if not project.has_main():
            raise BadInput(f"{project.env_dir}/main.yaml does not exist: run `make templates`")
        order = project.order()
        live = self.deployer.live(order)
        separate = [project.stack_name(k) for k in order if live[k] is not None]
        if separate:
            raise DeployError(
                f"environment {project.env} is deployed as separate stacks ({', '.join(separate)}); the nested "
                f"stack would create every resource twice: keep using `{project.command()} all`, or delete them first"
            )
        ident = self.aws.identity()
        region = self.aws.region
        bucket = template_bucket(project.cfg.project, ident.account, region)
        s3 = self.aws.client("s3")
        tls_only = not (self.aws.endpoint_url or "").startswith("http://")
        self.bucket_created = ensure_bucket(s3, bucket, ident.account, region, ident.partition, tls_only)
        children = [(k, project.body(k)) for k in order]
        body = project.body(MAIN)
        self.uploads = upload_templates(s3, bucket, children, self.key_fn)
        main_url = None
        if len(body.encode()) > MAX_INLINE_BODY_BYTES:
            extra = upload_templates(s3, bucket, [(MAIN, body)], self.key_fn)
            self.uploads.uploaded += extra.uploaded
            self.uploads.present += extra.present
            main_url = template_url(bucket, region, self.key_fn(MAIN, body))
        self._check_references(children)
        declared = project.parameter_defaults(MAIN)
        params = {k: v for k, v in location_parameters(bucket, region).items() if k in declared}
        deploy_params = {p.name for spec in project.stacks.values() for p in spec.deploy_parameters}
        unknown = [k for k, default in declared.items() if default is None and k not in set(params) | deploy_params]
        if unknown:
            raise DeployError(
                f"main.yaml declares parameters the deployer cannot fill: {', '.join(unknown)} "
                f"(it passes {', '.join(location_parameters(bucket, region))})"
            )
        request = Request(
            key=MAIN,
            name=project.stack_name(MAIN),
            body=body,
            parameters=params,
            defaults=declared,
            # ImageTag: UsePreviousValue; *DesiredCount: the live ECS count (plan.ecs_live_value)
            keep_live=tuple(sorted(deploy_params & set(declared))),
            tags=project.tags(MAIN),
            termination_protection=self.deployer.protected,
            template_url=main_url,
            continue_rollback=continue_rollback,
            command=project.command(),
        )
        return self.deployer.run("deploy", [MAIN], {}, lambda _key: self.deployer.ops.deploy(request), resume="main")

    def _check_references(self, children: list[tuple[str, str]]) -> None:
        """Every nested stack in main.yaml must point at one of the keys just uploaded."""
        names = {self.key_fn(stack, body).rsplit("/", 1)[-1] for stack, body in children}
        for logical, url in _nested_urls(self.project.template(MAIN)).items():
            if not any(n in url for n in names):
                raise DeployError(
                    f"main.yaml's {logical} points at a template this deployer did not upload ({url}): the key "
                    "functions of hana_templates.main and deploy/engine/nested.py disagree, or out/ is stale "
                    "(`make templates`)"
                )


def find_children(deployer: Any) -> bool:
    """When `hana-<env>` exists: set `project.children` from its nested stacks (logical id `Compute`
    -> key `compute`) and return True; otherwise False (the separate stacks' names stand)."""
    project: Project = deployer.project
    master = deployer.ops.describe(project.stack_name(MAIN))
    if master is None:
        project.children = {}
        return False
    project.children = _children(deployer.aws.client("cloudformation"), project, master["StackId"])
    return True


def children_of(cfn: Any, project: Project) -> bool:
    """`find_children` for callers without a deployer (`drift`): the same, with a CloudFormation client."""
    from botocore.exceptions import ClientError

    from deploy.engine.cfn import error_code, error_text

    try:
        stacks = cfn.describe_stacks(StackName=project.stack_name(MAIN)).get("Stacks") or []
    except ClientError as err:
        if error_code(err) == "ValidationError" and "does not exist" in error_text(err):
            stacks = []
        else:
            raise
    master = next((s for s in stacks if s.get("StackStatus") != "DELETE_COMPLETE"), None)
    project.children = _children(cfn, project, master["StackId"]) if master is not None else {}
    return master is not None


def _children(cfn: Any, project: Project, master_id: str) -> dict[str, str]:
    by_logical = {k.replace("_", "").replace("-", "").lower(): k for k in project.stacks}
    children: dict[str, str] = {}
    kwargs: dict[str, Any] = {"StackName": master_id}
    while True:
        page = cfn.list_stack_resources(**kwargs)
        for res in page.get("StackResourceSummaries") or []:
            key = by_logical.get(str(res.get("LogicalResourceId", "")).lower())
            physical = res.get("PhysicalResourceId")
            if res.get("ResourceType") == "AWS::CloudFormation::Stack" and key and physical:
                # the physical id is the child's ARN: .../stack/<name>/<uuid>
                children[key] = physical.split(":stack/", 1)[1].split("/", 1)[0] if ":stack/" in physical else physical
        if not page.get("NextToken"):
            break
        kwargs["NextToken"] = page["NextToken"]
    return children

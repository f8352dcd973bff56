"""awacs helpers for the IAM and resource-policy shapes the stacks share.

ARNs are built with `${AWS::Partition}` (never an `arn:aws:` literal), actions are awacs
constants so a typo fails at import.
"""

from __future__ import annotations

from awacs import aws, kms, s3, sts
from troposphere import Join, Sub

ACCOUNT_ROOT = Sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")


def service_principal(service: str) -> aws.Principal:
    """`service_principal("ecs-tasks")` -> Principal Service ecs-tasks.amazonaws.com."""
    return aws.Principal("Service", f"{service}.amazonaws.com")


def assume_role_policy(service: str, source_arn: object | None = None) -> aws.PolicyDocument:
    """Trust policy letting one AWS service assume a role, limited to this account (and, with
    `source_arn`, to requests on behalf of matching resources: the confused-deputy guard)."""
    conditions = [aws.StringEquals("aws:SourceAccount", Sub("${AWS::AccountId}"))]
    if source_arn is not None:
        conditions.append(aws.ArnLike("aws:SourceArn", source_arn))
    return aws.PolicyDocument(
        Version="2012-10-17",
        Statement=[
            aws.Statement(
                Effect=aws.Allow,
                Principal=service_principal(service),
                Action=[sts.AssumeRole],
                Condition=aws.Condition(conditions),
            )
        ],
    )


def tls_only_statement(bucket_arn: object) -> aws.Statement:
    """Deny any S3 request on the bucket and its objects that is not made over TLS.

    Written in the exact shape AWS Control Tower's CT.S3.PR.8 (cfn-guard) recognises: the
    condition value as the string "false" and the object ARN as `Fn::Join` of the bucket ARN and
    "/*" (IAM reads `false`/"false" and Sub/Join alike; the rule compares literally)."""
    return aws.Statement(
        Sid="DenyInsecureTransport",
        Effect=aws.Deny,
        Principal=aws.Principal("*"),
        Action=[s3.Action("*")],
        Resource=[bucket_arn, Join("", [bucket_arn, "/*"])],
        Condition=aws.Condition(aws.Bool("aws:SecureTransport", "false")),
    )


def deny_grants_except_for_aws_resources() -> aws.Statement:
    """Key-policy statement: nobody may create a grant on the key unless the grant is for an AWS
    resource (an integrated service such as RDS or ElastiCache creating it on our behalf) or the
    caller is an AWS service itself. Grants are a second, IAM-invisible way to hand out key use;
    this keeps them to what AWS services need (AWS Control Tower CT.KMS.PR.3; `kms:GrantIsForAWSResource`
    is true only when an integrated service calls CreateGrant for us:
    https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource).
    BoolIfExists: a request without the key (not through a service) counts as "false"."""
    return aws.Statement(
        Sid="DenyGrantsExceptForAwsResources",
        Effect=aws.Deny,
        Principal=aws.Principal("AWS", "*"),
        Action=[kms.CreateGrant],
        Resource=["*"],  # in a key policy, "*" means this key
        Condition=aws.Condition(
            aws.BoolIfExists({"kms:GrantIsForAWSResource": "false", "aws:PrincipalIsAWSService": "false"})
        ),
    )


def kms_key_policy(
    *service_users: str, via_service: str | None = None, extra_statements: tuple[aws.Statement, ...] = ()
) -> aws.PolicyDocument:
    """Key policy: the account administers the key through IAM (the AWS default), and the named
    AWS services (e.g. "cloudwatch", "sns") may use it to encrypt and decrypt on our behalf.
    With `via_service` ("sqs", "secretsmanager"), principals of this account may use the key
    only through that service. `extra_statements` are appended as they are (e.g. logs_key_statement)."""
    statements = [
        aws.Statement(
            Sid="AccountAdministersKeyThroughIam",
            Effect=aws.Allow,
            Principal=aws.Principal("AWS", ACCOUNT_ROOT),
            Action=[kms.Action("*")],
            Resource=["*"],  # in a key policy, "*" means this key
        )
    ]
    if service_users:
        statements.append(
            aws.Statement(
                Sid="AwsServicesUseKey",
                Effect=aws.Allow,
                Principal=aws.Principal("Service", [f"{s}.amazonaws.com" for s in service_users]),
                Action=[kms.Decrypt, kms.GenerateDataKey],
                Resource=["*"],
                Condition=aws.Condition(aws.StringEquals("aws:SourceAccount", Sub("${AWS::AccountId}"))),
            )
        )
    if via_service:
        statements.append(
            aws.Statement(
                Sid=f"AccountUsesKeyVia{via_service.title().replace('-', '')}",
                Effect=aws.Allow,
                Principal=aws.Principal("AWS", ACCOUNT_ROOT),
                Action=[kms.Decrypt, kms.GenerateDataKey, kms.DescribeKey],
                Resource=["*"],
                Condition=aws.Condition(
                    aws.StringEquals("kms:ViaService", Sub(f"{via_service}.${{AWS::Region}}.amazonaws.com"))
                ),
            )
        )
    statements.extend(extra_statements)
    statements.append(deny_grants_except_for_aws_resources())
    return aws.PolicyDocument(Version="2012-10-17", Statement=statements)


def logs_key_statement(*log_group_names: str) -> aws.Statement:
    """Key-policy statement letting CloudWatch Logs encrypt the named log groups with the key.

    CloudWatch Logs calls KMS as the regional principal `logs.<region>.amazonaws.com` (not
    `logs.amazonaws.com`) and always passes the log group's ARN as encryption context, so the
    key serves these log groups and no other."""
    return aws.Statement(
        Sid="CloudWatchLogsUsesKey",
        Effect=aws.Allow,
        Principal=aws.Principal("Service", Sub("logs.${AWS::Region}.amazonaws.com")),
        Action=[
            kms.Action("Encrypt*"),
            kms.Action("Decrypt*"),
            kms.Action("ReEncrypt*"),
            kms.Action("GenerateDataKey*"),
            kms.Action("Describe*"),
        ],
        Resource=["*"],  # in a key policy, "*" means this key
        Condition=aws.Condition(
            aws.ArnEquals(
                "kms:EncryptionContext:aws:logs:arn",
                [
                    Sub(f"arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{name}")
                    for name in log_group_names
                ],
            )
        ),
    )

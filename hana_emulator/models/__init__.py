"""CloudFormation resource types moto 5.2.5 skips, modelled on moto's own service backends.

Each model class (in the service modules) turns a CloudFormation resource into calls on the moto
backend of its service, so what a stack creates is visible through that service's API
(list_secrets, describe_replication_groups, describe_scalable_targets, list_web_acls,
describe_alarms, ...).
`MODELS` is the registry `patches` merges into moto's parser; `attribute_table()` and
`ref_table()` add GetAtt attributes and Refs to moto's own models; `patch_moto_models()` fixes
moto models that create the resource but mishandle properties (see each patch).

One module per service, as moto lays out its own: each holds the models of its service's types
and the fixes to moto's models of that service (`_patch_*`, each documented where it is);
`attributes` and `deletes` fix moto's models across services; `base` is what the models share.

Resource types moto skipped, now created in the real service backends
--------------------------------------------------------------------
SecretsManager::Secret (GenerateSecretString, template + key) and SecretTargetAttachment (adds
engine/host/port/dbInstanceIdentifier); ElastiCache::ReplicationGroup (GetAtt PrimaryEndPoint.*,
ReaderEndPoint.*, ReadEndPoint.*) and SubnetGroup; ApplicationAutoScaling::ScalableTarget and
ScalingPolicy; WAFv2::WebACL (Arn, Id, Capacity; over 1,500 WCU refused), WebACLAssociation (the
load balancer must exist) and LoggingConfiguration (log group must be named aws-waf-logs-*);
CloudWatch::Alarm (single metric and metric math); SNS::Subscription and TopicPolicy;
S3::BucketPolicy; SQS::QueuePolicy; EC2::SecurityGroupEgress;
ECS::ClusterCapacityProviderAssociations; CertificateManager::Certificate;
ElasticLoadBalancingV2::ListenerCertificate; Logs::MetricFilter.
ELBv2 LoadBalancer: LoadBalancerAttributes applied (create, update) and deletion protection
enforced (DeleteLoadBalancer refuses, so the stack's delete ends DELETE_FAILED, as on AWS). Kept on the service backend but
not visible through an API (moto has none): ElastiCache::ParameterGroup, Logs::QueryDefinition.
EC2::SubnetRouteTableAssociation is replaced (moto's was invisible to describe_route_tables and
could not be deleted).
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation.utils import random_suffix

from .acm import Certificate
from .applicationautoscaling import ScalableTarget, ScalingPolicy
from .attributes import attribute_table, ref_table
from .base import EmulatorResourceError, Resource
from .cloudwatch import Alarm
from .deletes import _patch_deletes
from .ec2 import SecurityGroupEgress, SubnetRouteTableAssociation, _patch_security_group
from .ecr import _patch_repository, find_repository
from .ecs import ClusterCapacityProviderAssociations, _patch_service, _patch_task_definition
from .elasticache import CacheParameterGroup, CacheSubnetGroup, ReplicationGroup, _snapshot_replication_group
from .elbv2 import ListenerCertificate, _patch_load_balancer
from .kms import _patch_kms_key, find_key
from .logs import MetricFilter, QueryDefinition, _patch_log_group, find_log_group
from .rds import _patch_db_instance, _patch_db_parameter_group, _patch_orderable_options, _snapshot_db_instance
from .s3 import BucketPolicy, _patch_bucket, find_bucket
from .secretsmanager import Secret, SecretTargetAttachment, _secret_name, find_secret
from .sns import Subscription, TopicPolicy
from .sqs import QueuePolicy, find_queue
from .wafv2 import WafLoggingConfiguration, WebACL, WebACLAssociation

__all__ = [
    "IMPORTABLE",
    "MODELS",
    "SNAPSHOT_DELETERS",
    "Alarm",
    "BucketPolicy",
    "CacheParameterGroup",
    "CacheSubnetGroup",
    "Certificate",
    "ClusterCapacityProviderAssociations",
    "EmulatorResourceError",
    "ListenerCertificate",
    "MetricFilter",
    "QueryDefinition",
    "QueuePolicy",
    "ReplicationGroup",
    "Resource",
    "ScalableTarget",
    "ScalingPolicy",
    "Secret",
    "SecretTargetAttachment",
    "SecurityGroupEgress",
    "SubnetRouteTableAssociation",
    "Subscription",
    "TopicPolicy",
    "WafLoggingConfiguration",
    "WebACL",
    "WebACLAssociation",
    "attribute_table",
    "patch_moto_models",
    "ref_table",
    "snapshot_name",
]


MODELS: dict[str, type[Resource]] = {
    model.TYPE: model
    for model in (
        Secret,
        SecretTargetAttachment,
        CacheSubnetGroup,
        CacheParameterGroup,
        ReplicationGroup,
        ScalableTarget,
        ScalingPolicy,
        WebACL,
        WebACLAssociation,
        WafLoggingConfiguration,
        Alarm,
        Subscription,
        TopicPolicy,
        QueuePolicy,
        BucketPolicy,
        SecurityGroupEgress,
        SubnetRouteTableAssociation,
        ClusterCapacityProviderAssociations,
        Certificate,
        ListenerCertificate,
        MetricFilter,
        QueryDefinition,
    )
}


# Resource import (IMPORT change sets): type -> (identifier property, the template property that
# must match it or None when the identifier is read-only, and the lookup of an existing resource
# returning the model the engine keeps, or None). The identifiers are the types' primary
# identifiers in CloudFormation's resource schemas, as ResourcesToImport takes them ("The key is
# an identifier property (for example, BucketName for AWS::S3::Bucket resources)", API reference,
# ResourceToImport); the types are in "Resource type support" of the CloudFormation User Guide.
IMPORTABLE: dict[str, tuple[str, str, Any, Any]] = {
    # type: (identifier, template property naming it, that name from the identifier, lookup)
    "AWS::S3::Bucket": ("BucketName", "BucketName", str, find_bucket),
    "AWS::Logs::LogGroup": ("LogGroupName", "LogGroupName", str, find_log_group),
    "AWS::ECR::Repository": ("RepositoryName", "RepositoryName", str, find_repository),
    "AWS::SQS::Queue": ("QueueUrl", "QueueName", lambda url: url.rstrip("/").rsplit("/", 1)[-1], find_queue),
    "AWS::SecretsManager::Secret": ("Id", "Name", _secret_name, find_secret),
    "AWS::KMS::Key": ("KeyId", "", None, find_key),  # no name: nothing in the template to match
}


# DeletionPolicy Snapshot: how to take the final snapshot and delete (moto just deleted).
SNAPSHOT_DELETERS: dict[str, Any] = {
    "AWS::RDS::DBInstance": _snapshot_db_instance,
    "AWS::ElastiCache::ReplicationGroup": _snapshot_replication_group,
}


def snapshot_name(stack_name: str, logical: str) -> str:
    """As CloudFormation names final snapshots: `<stack>-<logical>-<random>`, lower case."""
    return f"{stack_name}-{logical}-{random_suffix()}".lower()[:255]


def patch_moto_models() -> None:
    """Fix moto models that create the resource but mishandle properties our templates set."""
    _patch_security_group()
    _patch_db_instance()
    _patch_orderable_options()
    _patch_db_parameter_group()
    _patch_bucket()
    _patch_repository()
    _patch_kms_key()
    _patch_log_group()
    _patch_task_definition()
    _patch_service()
    _patch_deletes()
    _patch_load_balancer()

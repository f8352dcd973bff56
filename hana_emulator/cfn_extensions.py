"""Everything hana-infra changes in moto 5.2.5 to make it a faithful CloudFormation stand-in.

moto is pinned exactly (pyproject): these patches replace or wrap moto-private functions, and
tests/emulator/ covers each one, so an upgrade that moves them fails the build loudly.
`apply()` installs all of them once per process; `hana_emulator.start()` calls it.

Where each change lives (each module's docstring lists what it changes and why):
- `engine`: the stack engine (create/update/delete resource by resource in dependency order,
  per-resource events, rollback, DeletionPolicy, Outputs/Exports, unsupported types refused);
- `stacks`: moto's stack methods (create/update/delete, termination protection) and Stack model
  (outputs, parameters as passed, nested stacks);
- `changesets`: moto's change-set methods and ChangeSet model; `planning`: what a change set or
  update does to each resource (Modify, Replacement, Details); `parameters`: parameter types and
  values; `dependencies`: references and dependency order;
- `intrinsics`: the template language (Fn::GetAZs, Fn::Cidr, Fn::Length, `{{resolve:...}}`);
- `patches`: moto's type registry, responses (resource statuses) and model attributes;
- `models/`: the resource types moto skips, one module per service, and the fixes to moto's own
  models (security group, DB instance, bucket, repository, KMS key, log group, task definition,
  GetAtt attributes, Refs, deletes), each next to its service.

What moto still ignores (accepted, not applied or not reported: assert on the templates, not on
the emulator)
-------------
- Updates of types moto cannot update (EC2 VPC, Subnet, gateways, routes, endpoints, flow logs,
  SecurityGroupIngress; ELBv2 TargetGroup (LoadBalancer: only its attributes and security groups); RDS DBSubnetGroup) are reported
  UPDATE_COMPLETE and leave the resource as created. Tags of existing resources are not updated.
- EC2: VPC EnableDnsHostnames/EnableDnsSupport, Subnet MapPublicIpOnLaunch, flow log format.
  RDS and ElastiCache create no network interfaces, so a subnet or security group "in use" by
  them can be deleted (AWS would refuse).
- ECS: TaskDefinition task-level Cpu/Memory, NetworkMode awsvpc, RequiresCompatibilities,
  RuntimePlatform, ExecutionRoleArn; Service LaunchType (FARGATE reads EC2), LoadBalancers,
  NetworkConfiguration, DeploymentConfiguration (circuit breaker), HealthCheckGracePeriodSeconds,
  EnableExecuteCommand, PropagateTags; Cluster containerInsights reads "disabled". No task runs.
- RDS: ManageMasterUserPassword, Performance Insights retention, parameter values not checked.
- ElastiCache (ours): no real nodes; the auth token is stored as "enabled" and never checked.
- ELBv2: LoadBalancerAttributes are stored and reported (deletion protection is enforced) but
  have no effect on traffic (invalid headers, idle timeout, access logs are never written);
  TargetGroupAttributes (stickiness) are accepted and not applied.
- S3: IntelligentTieringConfigurations, NotificationConfiguration. Secrets: KMS not applied.
- WAFv2 (ours): rules stored as given, nothing filtered; Capacity counts only the AWS managed
  rule groups it knows and rate-based rules. CloudWatch alarms never change state. SNS email
  subscriptions stay pending; nothing is sent.
- IAM, key, queue, topic and secret policies (TLS-only denies, least privilege) are stored,
  never evaluated. Bucket policies are evaluated by moto's S3 on object requests, without their
  conditions (models/s3.py: the TLS-only statement does not apply to the emulator's http, which
  stands in for AWS's https). CAPABILITY_IAM / CAPABILITY_NAMED_IAM are checked (engine.py).
- Deleted secrets are removed at once (no recovery window), so a stack can be re-created.
"""

from __future__ import annotations

_APPLIED = False


def apply() -> None:
    """Install every patch (idempotent)."""
    global _APPLIED
    from . import changesets, engine, intrinsics, models, parameters, patches, stacks

    with engine.LOCK:
        if _APPLIED:
            return
        patches._patch_model_registry(models.MODELS)
        stacks._patch_stack_methods()
        changesets._patch_change_set_methods()
        stacks._patch_stack_model()
        parameters._patch_parameters()
        changesets._patch_change_set()
        patches._patch_responses()
        intrinsics._patch_dynamic_references()
        patches._patch_attributes()
        models.patch_moto_models()
        _APPLIED = True

"""ECS: AWS::ECS::ClusterCapacityProviderAssociations (moto skips it), and moto's task
definition fixed.

- ECS TaskDefinition: an update registers a complete new revision (moto's lost the containers'
  `image`).
- Deployments: UpdateService with a new task definition or forceNewDeployment starts a new PRIMARY
  deployment (new id, the new task definition); a count change updates the PRIMARY's counts.
- AWS rules moto did not enforce (docs/emulator.md lists them): a Fargate task definition's CPU and
  memory must be one of Fargate's combinations; a service on FARGATE_SPOT runs only Linux tasks,
  and ARM64 ones only on platform version 1.4.0 or later (LATEST is 1.4.0).
"""

from __future__ import annotations

from typing import Any

from moto.ecs.models import ecs_backends

from .base import EmulatorResourceError, Resource, _int

# Fargate's task sizes: CPU units -> memory (MiB) allowed. The ECS Developer Guide, "Task CPU and
# memory" (Fargate): 256 -> 512/1024/2048; 512 -> 1-4 GB; 1024 -> 2-8 GB; 2048 -> 4-16 GB;
# 4096 -> 8-30 GB (1 GB steps); 8192 -> 16-60 GB (4 GB steps); 16384 -> 32-120 GB (8 GB steps).
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
    8192: tuple(range(16384, 61441, 4096)),
    16384: tuple(range(32768, 122881, 8192)),
}


class ClusterCapacityProviderAssociations(Resource):
    """AWS::ECS::ClusterCapacityProviderAssociations. Ref: the cluster name."""

    TYPE = "AWS::ECS::ClusterCapacityProviderAssociations"
    CREATE_ONLY = ("Cluster",)

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> Resource:
        cluster = properties["Cluster"]
        strategy = [
            {k[0].lower() + k[1:]: (_int(v) if k in ("Base", "Weight") else v) for k, v in item.items()}
            for item in properties.get("DefaultCapacityProviderStrategy") or []
        ]
        ecs_backends[account_id][region_name].put_cluster_capacity_providers(
            cluster, list(properties["CapacityProviders"]), strategy
        )
        return cls(cluster.rsplit("/", 1)[-1], properties, account_id, region_name)

    def update(self, properties: dict[str, Any]) -> Resource:
        return self.create(self.physical_resource_id, properties, self.account_id, self.region_name)

    def remove(self) -> None:
        backend = ecs_backends[self.account_id][self.region_name]
        if self.physical_resource_id in backend.clusters:
            backend.put_cluster_capacity_providers(self.physical_resource_id, [], [])


def _patch_task_definition() -> None:
    """An update registers a new revision built as the create builds it, then deregisters the old
    one (CloudFormation replaces a task definition: nearly all its properties are create-only).
    moto's update skipped the create's PascalCase -> camelCase conversion of the containers, so the
    new revision had no `image` (and, comparing that unconverted text with the stored one, it
    always registered one anyway)."""
    from moto.ecs.models import TaskDefinition

    def update(
        cls: Any,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> Any:
        revision = TaskDefinition.create_from_cloudformation_json(
            new_resource_name, cloudformation_json, account_id, region_name
        )
        ecs_backends[account_id][region_name].deregister_task_definition(original_resource.arn)
        return revision

    TaskDefinition.update_from_cloudformation_json = classmethod(update)

    original_create = TaskDefinition.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kw: Any):
        properties = cloudformation_json.get("Properties") or {}
        _check_fargate_size(properties)
        revision = original_create(cls, resource_name, cloudformation_json, account_id, region_name, **kw)
        # moto drops these; the service rules below read them.
        revision.hana_properties = {k: properties.get(k) for k in ("Cpu", "Memory", "RuntimePlatform")}
        return revision

    TaskDefinition.create_from_cloudformation_json = classmethod(create)


def _check_fargate_size(properties: dict[str, Any]) -> None:
    """RegisterTaskDefinition refuses a Fargate task whose CPU/memory pair Fargate does not offer."""
    if "FARGATE" not in (properties.get("RequiresCompatibilities") or []):
        return
    try:
        cpu, memory = int(properties.get("Cpu")), int(properties.get("Memory"))
    except (TypeError, ValueError):
        raise EmulatorResourceError(
            "ClientException", "Fargate requires that 'cpu' be defined at the task level."
        ) from None
    if memory not in FARGATE_SIZES.get(cpu, ()):
        raise EmulatorResourceError(
            "ClientException", f"No Fargate configuration exists for given values: {cpu} CPU, {memory} memory."
        )


def _platform_at_least(version: str | None, minimum: tuple[int, ...]) -> bool:
    if version in (None, "", "LATEST"):  # LATEST is 1.4.0 for Linux tasks
        return True
    try:
        return tuple(int(p) for p in str(version).split(".")) >= minimum
    except ValueError:
        return False


def check_spot(properties: dict[str, Any], task_definition: Any) -> None:
    """The ECS API Reference, CapacityProviderStrategyItem: "FARGATE_SPOT supports Linux tasks with
    the X86_64 architecture on platform version 1.3.0 or later. FARGATE_SPOT supports Linux tasks
    with the ARM64 architecture on platform version 1.4.0 or later." Windows containers on Fargate
    don't support Fargate Spot (ECS Developer Guide, "Fargate capacity providers")."""
    providers = [i.get("CapacityProvider") for i in properties.get("CapacityProviderStrategy") or []]
    if "FARGATE_SPOT" not in providers:
        return
    platform = (getattr(task_definition, "hana_properties", None) or {}).get("RuntimePlatform") or {}
    os_family = platform.get("OperatingSystemFamily") or "LINUX"
    arch = platform.get("CpuArchitecture") or "X86_64"
    version = properties.get("PlatformVersion")
    if os_family != "LINUX":
        raise EmulatorResourceError(
            "InvalidParameterException", "FARGATE_SPOT capacity provider is not supported for Windows containers."
        )
    minimum = (1, 4, 0) if arch == "ARM64" else (1, 3, 0)
    if not _platform_at_least(version, minimum):
        raise EmulatorResourceError(
            "InvalidParameterException",
            f"FARGATE_SPOT supports Linux tasks with the {arch} architecture on platform version "
            f"{'.'.join(map(str, minimum))} or later, not {version}.",
        )


def _patch_service() -> None:
    """Service create/update apply the Fargate Spot rule (check_spot) before moto's code."""
    from moto.ecs.models import Service, TaskDefinition

    create, update = Service.create_from_cloudformation_json.__func__, Service.update_from_cloudformation_json.__func__

    def task_definition(properties: dict[str, Any], account_id: str, region_name: str) -> Any:
        ref = properties.get("TaskDefinition")
        if isinstance(ref, TaskDefinition):
            return ref
        backend = ecs_backends[account_id][region_name]
        try:
            return backend.describe_task_definition(str(ref))
        except Exception:  # noqa: BLE001 - moto's own error follows in its create
            return None

    def checked_create(
        cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kw: Any
    ) -> Any:
        props = cloudformation_json.get("Properties") or {}
        check_spot(props, task_definition(props, account_id, region_name))
        return create(cls, resource_name, cloudformation_json, account_id, region_name, **kw)

    def checked_update(
        cls: Any,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> Any:
        props = cloudformation_json.get("Properties") or {}
        check_spot(props, task_definition(props, account_id, region_name))
        return update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name)

    Service.create_from_cloudformation_json = classmethod(checked_create)
    Service.update_from_cloudformation_json = classmethod(checked_update)
    _patch_deployments()


def _patch_deployments() -> None:
    """UpdateService (the API, and CloudFormation's update of an AWS::ECS::Service) starts a new
    deployment when the task definition changes or forceNewDeployment is asked: a new PRIMARY with
    its own id, as ECS does ("Updating an Amazon ECS service", ECS Developer Guide: a new task
    definition or forceNewDeployment starts a new deployment). moto kept the first deployment, with
    the first task definition and count, forever. No task runs here, so the new deployment is
    COMPLETED at once (running = desired); a count change alone updates the PRIMARY's counts."""
    from moto.core.utils import utcnow
    from moto.ecs.models import EC2ContainerServiceBackend
    from moto.moto_api._internal import mock_random

    original = EC2ContainerServiceBackend.update_service

    def update_service(self: Any, service_properties: dict[str, Any]) -> Any:
        cluster = service_properties.get("cluster", "default")
        name = str(service_properties.get("service", "")).split("/")[-1]
        force = bool(service_properties.get("force_new_deployment"))
        try:
            before = self._get_service(cluster, name).task_definition
        except Exception:  # noqa: BLE001 - moto's own ServiceNotFoundException follows
            before = None
        service = original(self, service_properties)
        if not service.deployments:
            return service
        now = utcnow()
        primary = service.deployments[0]
        if force or service.task_definition != before:
            deployment_id = f"ecs-svc/{mock_random.randint(0, 32**12)}"
            primary = {**primary, "id": deployment_id, "createdAt": now, "taskDefinition": service.task_definition}
            primary["rolloutStateReason"] = f"ECS deployment {deployment_id} completed."
        primary.update(
            status="PRIMARY",
            desiredCount=service.desired_count,
            runningCount=service.desired_count,
            pendingCount=0,
            rolloutState="COMPLETED",
            updatedAt=now,
        )
        service.deployments = [primary]
        return service

    EC2ContainerServiceBackend.update_service = update_service

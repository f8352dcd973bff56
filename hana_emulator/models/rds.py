"""RDS: moto's DB instance and DB parameter group fixed, and the final snapshot of a DB instance
(DeletionPolicy Snapshot).

- RDS DBInstance: DBSubnetGroupName as a name, the engine's default port (moto: 3306 for all),
  DeletionProtection, log exports, monitoring and MaxAllocatedStorage kept, in-place updates;
  DBParameterGroup: DBParameterGroupName honoured, parameter changes applied.
- AWS rules moto did not enforce: an instance's engine version and class must be orderable
  (`ORDERABLE`, also served by DescribeOrderableDBInstanceOptions, which moto answered only for
  Aurora and Neptune); an update never moves the engine version backwards ("Cannot upgrade
  postgres from 16.16 to 16.15", what AWS answers once RDS upgraded the minor version itself).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from moto.rds.models import rds_backends

from .base import EmulatorResourceError, _bool, _int

# The emulator's orderable PostgreSQL options: a coarse stand-in for AWS's list (every 16.x minor
# up to the newest cfn-lint knows, the Graviton and x86 classes of config.RDS_INSTANCE_CLASSES and
# their neighbours), in every AZ of the Region.
ORDERABLE_VERSIONS = {"postgres": tuple(f"16.{n}" for n in range(1, 16))}
ORDERABLE_CLASSES = tuple(
    f"db.{family}.{size}"
    for family, sizes in (
        ("t3", ("micro", "small", "medium", "large")),
        ("t4g", ("micro", "small", "medium", "large")),
        ("m6g", ("large", "xlarge")),
        ("m7g", ("large", "xlarge")),
        ("r6g", ("large", "xlarge")),
        ("r7g", ("large", "xlarge")),
    )
    for size in sizes
)


def orderable(engine: str, version: str | None, region: str) -> list[dict[str, Any]]:
    zones = [{"Name": f"{region}{z}"} for z in "abcd"]
    return [
        {
            "Engine": engine,
            "EngineVersion": v,
            "DBInstanceClass": c,
            "LicenseModel": "postgresql-license",
            "AvailabilityZones": zones,
            "MultiAZCapable": True,
            "StorageType": "gp3",
        }
        for v in ORDERABLE_VERSIONS.get(engine, ())
        if version in (None, "", v)
        for c in ORDERABLE_CLASSES
    ]


def _check_orderable(properties: dict[str, Any], region: str) -> None:
    engine, version, klass = (
        properties.get("Engine"),
        properties.get("EngineVersion"),
        properties.get("DBInstanceClass"),
    )
    if engine not in ORDERABLE_VERSIONS:
        return
    if version and version not in ORDERABLE_VERSIONS[engine]:
        raise EmulatorResourceError("InvalidParameterCombination", f"Cannot find version {version} for {engine}")
    if klass not in ORDERABLE_CLASSES:
        raise EmulatorResourceError(
            "InvalidParameterCombination",
            "RDS does not support creating a DB instance with the following combination: "
            f"DBInstanceClass={klass}, Engine={engine}, EngineVersion={version}, LicenseModel=postgresql-license.",
        )


def _patch_orderable_options() -> None:
    from moto.rds.models import RDSBackend

    original = RDSBackend.describe_orderable_db_instance_options

    def describe(self: Any, engine: str, engine_version: str) -> list[dict[str, Any]]:
        if engine in ORDERABLE_VERSIONS:
            return orderable(engine, engine_version, self.region_name)
        return original(self, engine, engine_version)

    RDSBackend.describe_orderable_db_instance_options = describe


def _patch_db_instance() -> None:
    """DBSubnetGroupName as a name (moto wanted the model object); the engine's default port
    (moto: 3306 for every engine); deletion protection, log exports, monitoring and
    max-allocated storage kept; in-place updates of the common properties (moto: none)."""
    from moto.rds.models import DBInstance

    original = DBInstance.create_from_cloudformation_json.__func__

    def create(
        cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kw: Any
    ) -> Any:
        properties = dict(cloudformation_json.get("Properties") or {})
        _check_orderable(properties, region_name)
        subnet_group = properties.get("DBSubnetGroupName")
        if isinstance(subnet_group, str):
            properties["DBSubnetGroupName"] = SimpleNamespace(name=subnet_group)
        if "Port" not in properties and properties.get("Engine"):
            properties["Port"] = DBInstance.default_port(properties["Engine"])
        instance = original(
            cls, resource_name, {**cloudformation_json, "Properties": properties}, account_id, region_name, **kw
        )
        _set_db_extras(instance, properties)
        return instance

    def update(
        cls: Any,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> Any:
        properties = cloudformation_json.get("Properties") or {}
        _check_orderable(properties, region_name)
        current, wanted = str(original_resource.engine_version), str(properties.get("EngineVersion") or "")
        if wanted and _numbers(wanted) < _numbers(current):
            raise EmulatorResourceError(
                "InvalidParameterCombination", f"Cannot upgrade {original_resource.engine} from {current} to {wanted}"
            )
        for prop, attr in (
            ("DBInstanceClass", "db_instance_class"),
            ("AllocatedStorage", "allocated_storage"),
            ("BackupRetentionPeriod", "backup_retention_period"),
            ("EngineVersion", "engine_version"),
            ("VpcSecurityGroupIds", "vpc_security_group_ids"),
        ):
            if prop in properties:
                setattr(original_resource, attr, properties[prop])
        if "MultiAZ" in properties:
            original_resource.multi_az = bool(_bool(properties["MultiAZ"]))
        _set_db_extras(original_resource, properties)
        return original_resource

    DBInstance.create_from_cloudformation_json = classmethod(create)
    DBInstance.update_from_cloudformation_json = classmethod(update)


def _numbers(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split(".") if p.isdigit())


def _set_db_extras(instance: Any, properties: dict[str, Any]) -> None:
    # moto keeps the template's strings, then compares them with numbers when serialising
    if isinstance(instance.allocated_storage, str):
        instance.allocated_storage = int(instance.allocated_storage)
    if isinstance(getattr(instance, "_max_allocated_storage", None), str):
        instance._max_allocated_storage = int(instance._max_allocated_storage)
    if isinstance(instance.port, str):
        instance.port = int(instance.port)
    if "DeletionProtection" in properties:
        instance.deletion_protection = bool(_bool(properties["DeletionProtection"]))
    if "EnableCloudwatchLogsExports" in properties:
        instance.enabled_cloudwatch_logs_exports = list(properties["EnableCloudwatchLogsExports"])
    if "MonitoringInterval" in properties:
        instance.monitoring_interval = _int(properties["MonitoringInterval"])
    if "MonitoringRoleArn" in properties:
        instance.monitoring_role_arn = properties["MonitoringRoleArn"]
    if "MaxAllocatedStorage" in properties:
        instance.max_allocated_storage = _int(properties["MaxAllocatedStorage"])
    if "EnablePerformanceInsights" in properties:
        instance.performance_insights_enabled = bool(_bool(properties["EnablePerformanceInsights"]))


def _snapshot_db_instance(instance: Any, name: str) -> None:
    backend = rds_backends[instance.account_id][instance.region]
    backend.delete_db_instance(instance.db_instance_identifier, final_db_snapshot_identifier=name)


def _patch_db_parameter_group() -> None:
    """DBParameterGroupName honoured (moto generated a name); parameter changes applied in place."""
    from moto.rds.models import DBParameterGroup

    DBParameterGroup.cloudformation_name_type = staticmethod(lambda: "DBParameterGroupName")

    def update(
        cls: Any,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> Any:
        properties = cloudformation_json.get("Properties") or {}
        original_resource.description = properties.get("Description", original_resource.description)
        original_resource.update_parameters(
            {"ParameterName": k, "ParameterValue": v} for k, v in (properties.get("Parameters") or {}).items()
        )
        return original_resource

    DBParameterGroup.update_from_cloudformation_json = classmethod(update)

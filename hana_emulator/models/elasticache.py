"""ElastiCache: AWS::ElastiCache::SubnetGroup, ParameterGroup and ReplicationGroup (moto skips
them), and the final snapshot of a replication group (DeletionPolicy Snapshot).

ElastiCache: NumCacheClusters honoured (moto made one node).
"""

from __future__ import annotations

from typing import Any

from moto.elasticache.models import elasticache_backends

from .base import EmulatorResourceError, Resource, _bool, _int, _KeptInStore, _tags


class CacheSubnetGroup(Resource):
    """AWS::ElastiCache::SubnetGroup. Ref: the name (lower-cased, as ElastiCache stores it)."""

    TYPE = "AWS::ElastiCache::SubnetGroup"
    NAME_PROPERTY = "CacheSubnetGroupName"
    CREATE_ONLY = ("CacheSubnetGroupName",)

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> Resource:
        group = elasticache_backends[account_id][region_name].create_cache_subnet_group(
            cache_subnet_group_name=name.lower(),
            cache_subnet_group_description=properties["Description"],
            subnet_ids=list(properties["SubnetIds"]),
            tags=_tags(properties) or None,
        )
        return cls(group.cache_subnet_group_name, properties, account_id, region_name)

    def update(self, properties: dict[str, Any]) -> Resource:
        group = elasticache_backends[self.account_id][self.region_name].cache_subnet_groups[self.physical_resource_id]
        group.cache_subnet_group_description = properties["Description"]
        self.properties = properties
        return self

    def remove(self) -> None:
        elasticache_backends[self.account_id][self.region_name].cache_subnet_groups.pop(self.physical_resource_id, None)


class CacheParameterGroup(_KeptInStore):
    """AWS::ElastiCache::ParameterGroup. moto's ElastiCache has no parameter groups: kept in a
    dict on the ElastiCache backend (reset with it); not visible through the API. Ref: name."""

    TYPE = "AWS::ElastiCache::ParameterGroup"
    NAME_PROPERTY = "CacheParameterGroupName"
    CREATE_ONLY = ("CacheParameterGroupName", "CacheParameterGroupFamily")

    @staticmethod
    def _store(account_id: str, region_name: str) -> dict[str, Any]:
        backend = elasticache_backends[account_id][region_name]
        if not hasattr(backend, "hana_parameter_groups"):
            backend.hana_parameter_groups = {}
        return backend.hana_parameter_groups

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> Resource:
        name = name.lower()
        cls._store(account_id, region_name)[name] = dict(properties)
        return cls(name, properties, account_id, region_name)


class ReplicationGroup(Resource):
    """AWS::ElastiCache::ReplicationGroup (cluster mode disabled or enabled). Ref: the id.
    GetAtt: PrimaryEndPoint.*, ReaderEndPoint.*, ConfigurationEndPoint.*, ReadEndPoint.*."""

    TYPE = "AWS::ElastiCache::ReplicationGroup"
    NAME_PROPERTY = "ReplicationGroupId"
    ATTRIBUTES = (
        "PrimaryEndPoint.Address",
        "PrimaryEndPoint.Port",
        "ReaderEndPoint.Address",
        "ReaderEndPoint.Port",
        "ConfigurationEndPoint.Address",
        "ConfigurationEndPoint.Port",
        "ReadEndPoint.Addresses",
        "ReadEndPoint.Ports",
        "ReadEndPoint.Addresses.List",
        "ReadEndPoint.Ports.List",
    )
    CREATE_ONLY = (
        "ReplicationGroupId",
        "CacheSubnetGroupName",
        "Engine",
        "Port",
        "AtRestEncryptionEnabled",
        "KmsKeyId",
        "NumNodeGroups",
        "DataTieringEnabled",
    )

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> Resource:
        p = properties
        group_id = name.lower()
        if len(group_id) > 40:
            raise EmulatorResourceError(
                "InvalidParameterValue", f"ReplicationGroupId {group_id} is longer than 40 characters"
            )
        elasticache_backends[account_id][region_name].create_replication_group(
            replication_group_id=group_id,
            replication_group_description=p["ReplicationGroupDescription"],
            global_replication_group_id=p.get("GlobalReplicationGroupId"),
            primary_cluster_id=p.get("PrimaryClusterId"),
            automatic_failover_enabled=bool(_bool(p.get("AutomaticFailoverEnabled"))),
            multi_az_enabled=bool(_bool(p.get("MultiAZEnabled"))),
            num_cache_clusters=_int(p.get("NumCacheClusters")),
            preferred_cache_cluster_azs=p.get("PreferredCacheClusterAZs") or [],
            num_node_groups=_int(p.get("NumNodeGroups")),
            # moto ignores NumCacheClusters (one node); it counts ReplicasPerNodeGroup instead
            replicas_per_node_group=_int(p.get("ReplicasPerNodeGroup"))
            or ((_int(p.get("NumCacheClusters")) or 1) - 1 or None),
            node_group_configuration=p.get("NodeGroupConfiguration") or [],
            cache_node_type=p.get("CacheNodeType"),
            engine=p.get("Engine"),
            engine_version=p.get("EngineVersion"),
            cache_parameter_group_name=p.get("CacheParameterGroupName"),
            cache_subnet_group_name=p.get("CacheSubnetGroupName"),
            cache_security_group_names=p.get("CacheSecurityGroupNames") or [],
            security_group_ids=p.get("SecurityGroupIds") or [],
            tags=_tags(p),
            snapshot_arns=p.get("SnapshotArns") or [],
            snapshot_name=p.get("SnapshotName"),
            preferred_maintenance_window=p.get("PreferredMaintenanceWindow"),
            port=_int(p.get("Port")),
            notification_topic_arn=p.get("NotificationTopicArn"),
            auto_minor_version_upgrade=_bool(p.get("AutoMinorVersionUpgrade")),
            snapshot_retention_limit=_int(p.get("SnapshotRetentionLimit")) or 0,
            snapshot_window=p.get("SnapshotWindow"),
            auth_token=p.get("AuthToken"),
            transit_encryption_enabled=_bool(p.get("TransitEncryptionEnabled")),
            at_rest_encryption_enabled=_bool(p.get("AtRestEncryptionEnabled")),
            kms_key_id=p.get("KmsKeyId"),
            user_group_ids=p.get("UserGroupIds") or [],
            log_delivery_configurations=[],
            data_tiering_enabled=_bool(p.get("DataTieringEnabled")),
            network_type=p.get("NetworkType"),
            ip_discovery=p.get("IpDiscovery"),
            transit_encryption_mode=p.get("TransitEncryptionMode"),
            cluster_mode=p.get("ClusterMode"),
            serverless_cache_snapshot_name=None,
        )
        return cls(group_id, properties, account_id, region_name)

    def _group(self) -> Any:
        return elasticache_backends[self.account_id][self.region_name].replication_groups[self.physical_resource_id]

    def update(self, properties: dict[str, Any]) -> Resource:
        p = properties
        elasticache_backends[self.account_id][self.region_name].modify_replication_group(
            replication_group_id=self.physical_resource_id,
            replication_group_description=p.get("ReplicationGroupDescription"),
            engine=p.get("Engine"),
            cache_node_type=p.get("CacheNodeType"),
            automatic_failover_enabled=_bool(p.get("AutomaticFailoverEnabled")),
            multi_az_enabled=_bool(p.get("MultiAZEnabled")),
            snapshot_retention_limit=_int(p.get("SnapshotRetentionLimit")),
        )
        group = self._group()
        group.engine_version = p.get("EngineVersion", group.engine_version)
        group.security_group_ids = p.get("SecurityGroupIds", group.security_group_ids)
        group.transit_encryption_enabled = bool(_bool(p.get("TransitEncryptionEnabled")))
        self.properties = properties
        return self

    def remove(self) -> None:
        backend = elasticache_backends[self.account_id][self.region_name]
        backend.delete_replication_group(self.physical_resource_id, retain_primary_cluster=False)
        backend.replication_groups.pop(self.physical_resource_id, None)  # CloudFormation waits for "deleted"

    def attribute(self, name: str) -> Any:
        group = self._group()
        if name.startswith("ConfigurationEndPoint."):
            endpoint = getattr(group, "configuration_endpoint", None) or {}
            return str(endpoint.get("address" if name.endswith("Address") else "port", ""))
        node_group = group.node_groups[0]
        if name == "PrimaryEndPoint.Address":
            return node_group["primary_endpoint_address"]
        if name == "ReaderEndPoint.Address":
            return node_group["reader_endpoint_address"]
        if name.endswith(".Port"):
            return str(group.port)
        members = [m for g in group.node_groups for m in g.get("node_group_members", [])]
        addresses = [m.get("read_endpoint", {}).get("address", "") for m in members]
        ports = [str(group.port) for _ in members]
        if name == "ReadEndPoint.Addresses":
            return ",".join(addresses)
        if name == "ReadEndPoint.Ports":
            return ",".join(ports)
        return addresses if name.endswith("Addresses.List") else ports


def _snapshot_replication_group(group: ReplicationGroup, name: str) -> None:
    backend = elasticache_backends[group.account_id][group.region_name]
    backend.create_snapshot(
        snapshot_name=name,
        replication_group_id=group.physical_resource_id,
        cache_cluster_id=None,
        kms_key_id=None,
        tags=None,
    )
    group.remove()

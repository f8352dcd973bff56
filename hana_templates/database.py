"""database: the application's PostgreSQL 16 and Redis 7, private, encrypted, TLS-only.

- RDS PostgreSQL `hana-<env>-postgres` (database `hana`, port 5432) in the database subnets
  behind `hana-<env>-rds-sg`: gp3 with storage autoscaling, encrypted with this stack's KMS key,
  never publicly accessible, a parameter group that forces TLS and logs what an operator needs
  (connections, lock waits, slow statements, DDL). Backups, Performance Insights, log exports
  to CloudWatch (log groups created here so their retention is explicit), enhanced monitoring
  (OS metrics), deletion protection in prod. Stack delete or
  replacement takes a final snapshot (DeletionPolicy/UpdateReplacePolicy Snapshot).
  The master credentials come from the `hana/<env>/rds-master` secret by dynamic reference
  (CloudFormation resolves them; they never appear in the template), and a
  SecretTargetAttachment adds host, port and engine to that secret.
- ElastiCache Redis `hana-<env>-redis`: a replication group (cluster mode off) in the database
  subnets behind `hana-<env>-redis-sg`, encrypted at rest (same key) and in transit, AUTH token
  from `hana/<env>/redis-auth` by dynamic reference. prod adds a replica in the other AZ with
  automatic failover and Multi-AZ, and keeps daily snapshots. Stack delete or replacement takes
  a final snapshot. The default `default.redis7` parameter group fits, so there is none here.

Consumes: network (database subnets, RDS and Redis security groups), secrets (rds-master,
redis-auth), iam (the enhanced-monitoring role). Outputs: endpoints, ports, identifiers.
"""

from __future__ import annotations

from troposphere import GetAtt, Ref, Sub, Template, elasticache, rds, secretsmanager

from . import naming
from .config import EnvConfig
from .constructs import SPEC_LOG_RETENTION_REASON, key_arn, kms_key, log_group, suppress
from .policies import logs_key_statement
from .spec import From, Stack, StackSpec

SPEC = StackSpec(
    name="database",
    description="RDS PostgreSQL 16 and ElastiCache Redis 7, private and encrypted",
    inputs=(
        From("network", "DatabaseSubnetIds", "CommaDelimitedList"),
        From("network", "RdsSecurityGroupId"),
        From("network", "RedisSecurityGroupId"),
        From("secrets", "RdsMasterSecretArn"),
        From("secrets", "RedisAuthSecretArn"),
        From("iam", "RdsMonitoringRoleArn"),
    ),
    outputs=(
        "DbEndpointAddress",
        "DbEndpointPort",
        "DbInstanceIdentifier",
        "DbName",
        "RedisPrimaryEndpointAddress",
        "RedisPrimaryEndpointPort",
        "RedisReplicationGroupId",
    ),
)

# The log types PostgreSQL on RDS can export; each gets its own CloudWatch log group.
RDS_LOG_EXPORTS = ("postgresql", "upgrade")

# Parameter group: TLS only, plus the logging an operator needs without logging query data
# (log_statement=ddl records schema changes, not the values in ordinary statements).
PG_PARAMETERS = {
    "rds.force_ssl": "1",
    "log_connections": "1",
    "log_disconnections": "1",
    "log_lock_waits": "1",
    "log_min_duration_statement": "1000",  # ms: statements slower than 1 s
    "log_statement": "ddl",
    "log_temp_files": "10240",  # kB: sorts/hashes spilling more than 10 MB to disk
}

# UTC windows, apart from each other and from the backup: backups 03:00, RDS maintenance
# Sunday 04:30, Redis snapshots 05:00, Redis maintenance Sunday 06:30.
RDS_BACKUP_WINDOW = "03:00-04:00"
RDS_MAINTENANCE_WINDOW = "sun:04:30-sun:05:30"
REDIS_SNAPSHOT_WINDOW = "05:00-06:00"
REDIS_MAINTENANCE_WINDOW = "sun:06:30-sun:07:30"

# The CA RDS uses for new instances; named so clients know which bundle verifies the server.
RDS_CA = "rds-ca-rsa2048-g1"
PERFORMANCE_INSIGHTS_RETENTION_DAYS = 7  # the free tier


def build(cfg: EnvConfig) -> Template:
    stack = Stack(cfg, SPEC)
    key = _database_key(cfg, stack)

    db = _postgres(cfg, stack, key)
    stack.add(
        secretsmanager.SecretTargetAttachment(
            "RdsMasterSecretAttachment",
            SecretId=stack.input("RdsMasterSecretArn"),
            TargetId=Ref(db),
            TargetType="AWS::RDS::DBInstance",
        )
    )
    redis = _redis(cfg, stack, key)

    stack.output("DbEndpointAddress", GetAtt(db, "Endpoint.Address"), "PostgreSQL endpoint host name")
    stack.output("DbEndpointPort", GetAtt(db, "Endpoint.Port"), "PostgreSQL port")
    stack.output("DbInstanceIdentifier", Ref(db), "RDS instance identifier")
    stack.output("DbName", cfg.database.name, "name of the application database")
    stack.output("RedisPrimaryEndpointAddress", GetAtt(redis, "PrimaryEndPoint.Address"), "Redis primary endpoint host")
    stack.output("RedisPrimaryEndpointPort", GetAtt(redis, "PrimaryEndPoint.Port"), "Redis port (TLS)")
    stack.output("RedisReplicationGroupId", Ref(redis), "ElastiCache replication group id")
    return stack.template()


def _database_key(cfg: EnvConfig, stack: Stack):
    """One customer-managed key for the data of this stack: RDS storage, Performance Insights,
    Redis at rest, and the RDS log groups (CloudWatch Logs may use it only for those)."""
    key, alias = kms_key(
        cfg,
        SPEC.name,
        "DatabaseKey",
        "database",
        extra_statements=(logs_key_statement(*(_rds_log_group_prefix(cfg) + kind for kind in RDS_LOG_EXPORTS)),),
    )
    stack.add(key)
    stack.add(alias)
    return key


def _rds_log_group_prefix(cfg: EnvConfig) -> str:
    """RDS writes exported logs to `/aws/rds/instance/<identifier>/<log type>`."""
    return f"/aws/rds/instance/{naming.name(cfg, 'postgres')}/"


def _postgres(cfg: EnvConfig, stack: Stack, key) -> rds.DBInstance:
    db = cfg.database
    subnets = stack.add(
        rds.DBSubnetGroup(
            "DbSubnetGroup",
            DBSubnetGroupName=naming.name(cfg, "postgres"),
            DBSubnetGroupDescription=f"{naming.prefix(cfg)} PostgreSQL: the database subnets",
            SubnetIds=stack.input("DatabaseSubnetIds"),
            Tags=naming.tags(cfg, SPEC.name),
        )
    )
    params = stack.add(
        rds.DBParameterGroup(
            "DbParameterGroup",
            Description=f"{naming.prefix(cfg)} PostgreSQL 16: TLS only, operational logging",
            Family="postgres16",
            Parameters=PG_PARAMETERS,
            Tags=naming.tags(cfg, SPEC.name),
        )
    )
    log_groups = [
        stack.add(
            log_group(
                f"DbLogGroup{kind.title()}",
                _rds_log_group_prefix(cfg) + kind,
                cfg.log_retention_days,
                cfg,
                SPEC.name,
                kms_key_arn=key_arn(key),
                short_retention_reason=SPEC_LOG_RETENTION_REASON,
            )
        )
        for kind in RDS_LOG_EXPORTS
    ]
    props = dict(
        DBInstanceIdentifier=naming.name(cfg, "postgres"),
        DBName=db.name,
        Engine="postgres",
        EngineVersion=db.engine_version,
        DBInstanceClass=db.instance_class,
        Port=str(db.port),
        MasterUsername=_secret_field("RdsMasterSecretArn", "username"),
        MasterUserPassword=_secret_field("RdsMasterSecretArn", "password"),
        AllocatedStorage=str(db.allocated_storage_gb),
        MaxAllocatedStorage=db.max_allocated_storage_gb,
        StorageType="gp3",
        StorageEncrypted=True,
        KmsKeyId=key_arn(key),
        MultiAZ=db.multi_az,
        PubliclyAccessible=False,
        DBSubnetGroupName=Ref(subnets),
        VPCSecurityGroups=[stack.input("RdsSecurityGroupId")],
        DBParameterGroupName=Ref(params),
        CACertificateIdentifier=RDS_CA,
        EnableIAMDatabaseAuthentication=True,  # no extra access: only users granted rds_iam can use it
        BackupRetentionPeriod=db.backup_retention_days,
        PreferredBackupWindow=RDS_BACKUP_WINDOW,
        PreferredMaintenanceWindow=RDS_MAINTENANCE_WINDOW,
        CopyTagsToSnapshot=True,
        DeletionProtection=db.deletion_protection,
        AutoMinorVersionUpgrade=True,
        EnableCloudwatchLogsExports=list(RDS_LOG_EXPORTS),
        # OS metrics (memory, swap, processes) every interval; config.py keeps it on everywhere.
        MonitoringInterval=db.enhanced_monitoring_interval,
        MonitoringRoleArn=stack.input("RdsMonitoringRoleArn"),
        Tags=naming.tags(cfg, SPEC.name),
    )
    if db.performance_insights:
        props.update(
            EnablePerformanceInsights=True,
            PerformanceInsightsKMSKeyId=key_arn(key),
            PerformanceInsightsRetentionPeriod=PERFORMANCE_INSIGHTS_RETENTION_DAYS,
        )
    instance = rds.DBInstance("Database", DependsOn=[g.title for g in log_groups], **props)
    # A final snapshot on stack delete and before a replacement: the data outlives the stack.
    instance.DeletionPolicy = "Snapshot"
    instance.UpdateReplacePolicy = "Snapshot"
    _suppress_dev_choices(cfg, instance)
    return stack.add(instance)


def _suppress_dev_choices(cfg: EnvConfig, instance: rds.DBInstance) -> None:
    """dev is the spec's single-AZ deployment without deletion protection; prod is Multi-AZ and
    protected. Every environment: the spec's port, and enhanced monitoring through a role the
    rule cannot see (tests/stacks/test_database.py checks the interval and the role)."""
    suppress(
        instance,
        guard={
            "rds_instance_no_default_ports_check": f"the spec mandates PostgreSQL on {cfg.database.port} (its "
            "architecture and security group tables); a non-default port hides nothing from a scanner inside the VPC",
            "rds_instance_enhanced_monitoring_enabled_check": "the rule cannot see it: MonitoringInterval is "
            f"{cfg.database.enhanced_monitoring_interval} s and MonitoringRoleArn is the iam stack's role, passed as "
            "the RdsMonitoringRoleArn stack parameter (the rule accepts only a literal ARN or a local role)",
        },
    )
    if not cfg.database.multi_az:
        suppress(
            instance,
            checkov={"CKV_AWS_157": "dev runs single-AZ as the spec deploys it (cost); prod is Multi-AZ (config.py)"},
            guard={
                "rds_instance_multi_az_support_check": "dev runs single-AZ as the spec deploys it (cost); prod is "
                "Multi-AZ (config.py)",
            },
        )
    if not cfg.database.deletion_protection:
        suppress(
            instance,
            guard={
                "rds_instance_deletion_protection_enabled_check": "dev is the spec's disposable environment (its "
                "teardown deletes the stacks); the final snapshot (DeletionPolicy Snapshot) keeps the data; prod is "
                "protected (config.py)",
            },
        )


def _redis_guard_reasons(cfg: EnvConfig) -> dict[str, str]:
    """Access control stays the spec's AUTH token (docs/choices.md, "Redis access control")."""
    reasons = {
        "elasticache_repl_grp_rbac_auth_enabled_check": "the spec mandates the AUTH token from the `redis-auth` "
        "secret (its troubleshooting table); RBAC would need an ElastiCache user and user group whose password is "
        "that same token, i.e. one credential for one application, so AUTH over TLS (in-transit encryption on) "
        "gives the same protection with one fewer moving part (docs/choices.md)",
    }
    if not cfg.cache.multi_az:
        reasons["elasticache_repl_grp_auto_failover_enabled_check"] = (
            "dev runs one Redis node as the spec deploys it (cost): failover needs a replica; prod has one "
            "replica with automatic failover (config.py)"
        )
    return reasons


def _secret_field(secret_arn_param: str, field: str) -> Sub:
    """A dynamic reference CloudFormation resolves at deploy time: the value is never in the template."""
    return Sub(f"{{{{resolve:secretsmanager:${{{secret_arn_param}}}:SecretString:{field}}}}}")


def _redis(cfg: EnvConfig, stack: Stack, key) -> elasticache.ReplicationGroup:
    cache = cfg.cache
    subnets = stack.add(
        elasticache.SubnetGroup(
            "RedisSubnetGroup",
            CacheSubnetGroupName=naming.name(cfg, "redis"),
            Description=f"{naming.prefix(cfg)} Redis: the database subnets",
            SubnetIds=stack.input("DatabaseSubnetIds"),
            Tags=naming.tags(cfg, SPEC.name),
        )
    )
    props = dict(
        ReplicationGroupId=naming.name(cfg, "redis"),
        ReplicationGroupDescription=f"{naming.prefix(cfg)} Redis: cache, sessions, pub/sub",
        Engine="redis",
        EngineVersion=cache.engine_version,
        CacheNodeType=cache.node_type,
        NumCacheClusters=1 + cache.replicas,
        AutomaticFailoverEnabled=cache.multi_az,
        MultiAZEnabled=cache.multi_az,
        Port=cache.port,
        CacheSubnetGroupName=Ref(subnets),
        SecurityGroupIds=[stack.input("RedisSecurityGroupId")],
        AtRestEncryptionEnabled=True,
        KmsKeyId=key_arn(key),
        TransitEncryptionEnabled=True,
        AuthToken=_secret_field("RedisAuthSecretArn", "token"),
        SnapshotRetentionLimit=cache.snapshot_retention_days,
        PreferredMaintenanceWindow=REDIS_MAINTENANCE_WINDOW,
        AutoMinorVersionUpgrade=True,
        Tags=naming.tags(cfg, SPEC.name),
    )
    if cache.snapshot_retention_days > 0:
        props["SnapshotWindow"] = REDIS_SNAPSHOT_WINDOW
    group = elasticache.ReplicationGroup("Redis", **props)
    suppress(group, guard=_redis_guard_reasons(cfg))
    # CloudFormation supports Snapshot for replication groups: a final snapshot before delete/replace.
    group.DeletionPolicy = "Snapshot"
    group.UpdateReplacePolicy = "Snapshot"
    return stack.add(group)

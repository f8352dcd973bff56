"""database: PostgreSQL 16 and Redis 7 as the spec sizes them, private, encrypted, TLS-only,
credentials only by dynamic reference, a final snapshot on delete or replacement."""

import json

import pytest

from hana_templates import config
from tests.tmpl import one, props, resources, template

# The spec's sizes: dev as deployed, prod as the recommended table.
SIZES = {
    "dev": {"db": ("db.t4g.medium", "20", False), "redis": ("cache.t4g.medium", 1, False)},
    "prod": {"db": ("db.r6g.large", "100", True), "redis": ("cache.r6g.large", 2, True)},
}


def _tmpl(env):
    return template(env, "database")


def _db(env):
    return one(_tmpl(env), "AWS::RDS::DBInstance")


def _redis(env):
    return one(_tmpl(env), "AWS::ElastiCache::ReplicationGroup")


def _dynamic_ref(secret_param, key):
    return {"Fn::Sub": f"{{{{resolve:secretsmanager:${{{secret_param}}}:SecretString:{key}}}}}"}


# --- PostgreSQL -------------------------------------------------------------------------------------


def test_postgres_16_named_and_sized_as_the_spec(env):
    db = props(_db(env))
    instance_class, storage, multi_az = SIZES[env]["db"]
    assert db["Engine"] == "postgres"
    assert db["EngineVersion"].split(".")[0] == "16"
    assert db["DBInstanceIdentifier"] == f"hana-{env}-postgres"
    assert (db["DBName"], db["Port"]) == ("hana", "5432")
    assert (db["DBInstanceClass"], db["AllocatedStorage"], db["MultiAZ"]) == (instance_class, storage, multi_az)


def test_postgres_storage_is_gp3_encrypted_with_our_key_and_can_grow(env):
    db = props(_db(env))
    assert db["StorageType"] == "gp3"
    assert db["StorageEncrypted"] is True
    assert db["KmsKeyId"] == {"Fn::GetAtt": ["DatabaseKey", "Arn"]}
    assert db["MaxAllocatedStorage"] > int(db["AllocatedStorage"])


def test_postgres_is_private_in_the_database_subnets_behind_the_rds_sg(env):
    tmpl = _tmpl(env)
    db = props(_db(env))
    assert db["PubliclyAccessible"] is False
    assert db["VPCSecurityGroups"] == [{"Ref": "RdsSecurityGroupId"}]
    subnet_group = tmpl["Resources"][db["DBSubnetGroupName"]["Ref"]]
    assert props(subnet_group)["SubnetIds"] == {"Ref": "DatabaseSubnetIds"}
    assert tmpl["Parameters"]["DatabaseSubnetIds"]["Type"] == "CommaDelimitedList"


def test_parameter_group_forces_tls_on_postgres_16(env):
    tmpl = _tmpl(env)
    group = tmpl["Resources"][props(_db(env))["DBParameterGroupName"]["Ref"]]
    assert group["Type"] == "AWS::RDS::DBParameterGroup"
    assert props(group)["Family"] == "postgres16"
    assert props(group)["Parameters"]["rds.force_ssl"] == "1"
    # Logging statements' text would log the data in them: only DDL is logged in full.
    assert props(group)["Parameters"].get("log_statement") in (None, "none", "ddl")


def test_master_credentials_come_only_from_the_rds_master_secret(env):
    db = props(_db(env))
    assert db["MasterUsername"] == _dynamic_ref("RdsMasterSecretArn", "username")
    assert db["MasterUserPassword"] == _dynamic_ref("RdsMasterSecretArn", "password")


def test_the_secret_is_attached_so_it_holds_host_and_port(env):
    attachment = props(one(_tmpl(env), "AWS::SecretsManager::SecretTargetAttachment"))
    assert attachment == {
        "SecretId": {"Ref": "RdsMasterSecretArn"},
        "TargetId": {"Ref": "Database"},
        "TargetType": "AWS::RDS::DBInstance",
    }


def test_backups_insights_logs_monitoring_and_protection(env):
    cfg = config.get(env)
    db = props(_db(env))
    assert db["BackupRetentionPeriod"] == cfg.database.backup_retention_days >= 7
    assert db["CopyTagsToSnapshot"] is True
    assert db["AutoMinorVersionUpgrade"] is True
    assert db["DeletionProtection"] is (env == "prod")
    assert db["EnablePerformanceInsights"] is True
    assert db["PerformanceInsightsKMSKeyId"] == {"Fn::GetAtt": ["DatabaseKey", "Arn"]}
    assert sorted(db["EnableCloudwatchLogsExports"]) == ["postgresql", "upgrade"]
    assert db["MonitoringInterval"] == cfg.database.enhanced_monitoring_interval > 0
    assert db["MonitoringRoleArn"] == {"Ref": "RdsMonitoringRoleArn"}


def test_backup_and_maintenance_windows_do_not_overlap(env):
    db = props(_db(env))
    backup_start, backup_end = (_minutes(t) for t in db["PreferredBackupWindow"].split("-"))
    day_start, day_end = db["PreferredMaintenanceWindow"].split("-")
    assert day_start[:3] == day_end[:3], "maintenance stays within one day"
    maint_start, maint_end = _minutes(day_start[4:]), _minutes(day_end[4:])
    assert backup_end <= maint_start or maint_end <= backup_start


def _minutes(hh_mm):
    hours, minutes = hh_mm.split(":")
    return int(hours) * 60 + int(minutes)


def test_exported_logs_land_in_log_groups_with_explicit_retention_and_encryption(env):
    cfg = config.get(env)
    groups = {props(g)["LogGroupName"]: g for g in resources(_tmpl(env), "AWS::Logs::LogGroup").values()}
    assert sorted(groups) == [
        f"/aws/rds/instance/hana-{env}-postgres/postgresql",
        f"/aws/rds/instance/hana-{env}-postgres/upgrade",
    ]
    for name, group in groups.items():
        assert props(group)["RetentionInDays"] == cfg.log_retention_days, name
        assert props(group)["KmsKeyId"] == {"Fn::GetAtt": ["DatabaseKey", "Arn"]}, name
        assert (group["DeletionPolicy"], group["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain"), name
    # RDS would create them itself (retention: never expire) if the instance came first.
    assert sorted(_db(env)["DependsOn"]) == sorted(
        k for k, v in _tmpl(env)["Resources"].items() if v["Type"] == "AWS::Logs::LogGroup"
    )


def test_logs_may_use_the_database_key_only_for_the_rds_log_groups(env):
    statements = props(one(_tmpl(env), "AWS::KMS::Key"))["KeyPolicy"]["Statement"]
    (logs,) = [s for s in statements if s["Principal"] == {"Service": {"Fn::Sub": "logs.${AWS::Region}.amazonaws.com"}}]
    arn = "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
    assert logs["Condition"] == {
        "ArnEquals": {
            "kms:EncryptionContext:aws:logs:arn": [
                {"Fn::Sub": f"{arn}/aws/rds/instance/hana-{env}-postgres/postgresql"},
                {"Fn::Sub": f"{arn}/aws/rds/instance/hana-{env}-postgres/upgrade"},
            ]
        }
    }


# --- Redis ------------------------------------------------------------------------------------------


def test_redis_7_named_and_sized_as_the_spec(env):
    redis = props(_redis(env))
    node_type, nodes, failover = SIZES[env]["redis"]
    assert redis["Engine"] == "redis"
    assert redis["EngineVersion"].split(".")[0] == "7"
    assert redis["ReplicationGroupId"] == f"hana-{env}-redis"
    assert (redis["CacheNodeType"], redis["NumCacheClusters"]) == (node_type, nodes)
    assert redis["AutomaticFailoverEnabled"] is failover
    assert redis["MultiAZEnabled"] is failover
    assert redis["Port"] == 6379


def test_redis_is_encrypted_at_rest_and_in_transit_with_the_auth_token_secret(env):
    redis = props(_redis(env))
    assert redis["AtRestEncryptionEnabled"] is True
    assert redis["KmsKeyId"] == {"Fn::GetAtt": ["DatabaseKey", "Arn"]}
    assert redis["TransitEncryptionEnabled"] is True
    assert redis["AuthToken"] == _dynamic_ref("RedisAuthSecretArn", "token")


def test_redis_is_private_in_the_database_subnets_behind_the_redis_sg(env):
    tmpl = _tmpl(env)
    redis = props(_redis(env))
    assert redis["SecurityGroupIds"] == [{"Ref": "RedisSecurityGroupId"}]
    subnet_group = tmpl["Resources"][redis["CacheSubnetGroupName"]["Ref"]]
    assert props(subnet_group)["SubnetIds"] == {"Ref": "DatabaseSubnetIds"}


def test_prod_keeps_daily_redis_snapshots(env):
    redis = props(_redis(env))
    assert redis["SnapshotRetentionLimit"] == config.get(env).cache.snapshot_retention_days
    if env == "prod":
        assert redis["SnapshotRetentionLimit"] >= 1
        assert "SnapshotWindow" in redis


# --- both -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rtype", ["AWS::RDS::DBInstance", "AWS::ElastiCache::ReplicationGroup"])
def test_data_stores_take_a_final_snapshot_on_delete_and_replacement(env, rtype):
    store = one(_tmpl(env), rtype)
    assert store["DeletionPolicy"] == store["UpdateReplacePolicy"] == "Snapshot"


def test_the_database_key_rotates_and_is_retained(env):
    key = one(_tmpl(env), "AWS::KMS::Key")
    assert props(key)["EnableKeyRotation"] is True
    assert (key["DeletionPolicy"], key["UpdateReplacePolicy"]) == ("RetainExceptOnCreate", "Retain")


def test_no_secret_value_is_written_into_the_template(env):
    """Every credential-shaped property is a Secrets Manager dynamic reference, never a literal."""
    found = {}
    for logical_id, resource in _tmpl(env)["Resources"].items():
        for name, value in props(resource).items():
            if "password" in name.lower() or name in ("AuthToken", "MasterUsername"):
                found[(logical_id, name)] = value
    assert set(found) == {("Database", "MasterUsername"), ("Database", "MasterUserPassword"), ("Redis", "AuthToken")}
    for where, value in found.items():
        assert isinstance(value, dict), where
        assert value["Fn::Sub"].startswith("{{resolve:secretsmanager:${"), where


def test_no_arn_literals(env):
    assert "arn:aws:" not in json.dumps(_tmpl(env))


def test_outputs_give_compute_and_observability_the_endpoints_and_identifiers(env):
    outputs = {k: v["Value"] for k, v in _tmpl(env)["Outputs"].items()}
    assert outputs == {
        "DbEndpointAddress": {"Fn::GetAtt": ["Database", "Endpoint.Address"]},
        "DbEndpointPort": {"Fn::GetAtt": ["Database", "Endpoint.Port"]},
        "DbInstanceIdentifier": {"Ref": "Database"},
        "DbName": "hana",
        "RedisPrimaryEndpointAddress": {"Fn::GetAtt": ["Redis", "PrimaryEndPoint.Address"]},
        "RedisPrimaryEndpointPort": {"Fn::GetAtt": ["Redis", "PrimaryEndPoint.Port"]},
        "RedisReplicationGroupId": {"Ref": "Redis"},
    }


def test_enhanced_monitoring_is_really_on_where_cfn_guard_cannot_see_it(env):
    """The rds_instance_enhanced_monitoring_enabled_check suppression says the role is a stack parameter."""
    db = one(template(env, "database"), "AWS::RDS::DBInstance")
    assert props(db)["MonitoringInterval"] == config.get(env).database.enhanced_monitoring_interval > 0
    assert props(db)["MonitoringRoleArn"] == {"Ref": "RdsMonitoringRoleArn"}
    assert "rds_instance_enhanced_monitoring_enabled_check" in db["Metadata"]["guard"]["SuppressedRules"]


def test_redis_keeps_the_spec_auth_token_over_tls(env):
    """The RBAC suppression's premise: AUTH from the redis-auth secret, only over TLS."""
    redis = props(one(template(env, "database"), "AWS::ElastiCache::ReplicationGroup"))
    assert redis["TransitEncryptionEnabled"] is True
    assert "RedisAuthSecretArn" in redis["AuthToken"]["Fn::Sub"]

"""A small synthetic template set shaped like the real stacks, for testing the pricing rules on
their own (independent of what the stack modules emit today)."""

from __future__ import annotations


def _r(rtype: str, **props) -> dict:
    return {"Type": rtype, "Properties": props}


def _sub(service: str) -> dict:
    return {"Fn::Sub": f"com.amazonaws.${{AWS::Region}}.{service}"}


def templates(
    *,
    prefix: str = "hana-dev",
    nat: int = 1,
    multi_az: bool = False,
    db_class: str = "db.t4g.medium",
    storage_gb: int = 20,
    cache_node: str = "cache.t4g.medium",
    cache_nodes: int = 1,
    cpu: str = "512",
    memory: str = "1024",
    arch: str | None = None,
    spot_workers: bool = False,
    schedule: bool = False,
    alarms: int = 10,
    domain: bool = False,
) -> dict[str, dict]:
    """{stack: template} for one environment."""
    subnets = [{"Ref": "PrivateSubnetA"}, {"Ref": "PrivateSubnetB"}]
    network = {
        "Resources": {
            "Vpc": _r("AWS::EC2::VPC", CidrBlock="10.0.0.0/16"),
            "PrivateSubnetA": _r("AWS::EC2::Subnet"),
            "PrivateSubnetB": _r("AWS::EC2::Subnet"),
            **{f"NatEip{c}": _r("AWS::EC2::EIP", Domain="vpc") for c in "AB"[:nat]},
            **{
                f"NatGateway{c}": _r(
                    "AWS::EC2::NatGateway", AllocationId={"Fn::GetAtt": [f"NatEip{c}", "AllocationId"]}
                )
                for c in "AB"[:nat]
            },
            **{
                f"{name.title().replace('.', '')}Endpoint": _r(
                    "AWS::EC2::VPCEndpoint", ServiceName=_sub(name), SubnetIds=subnets, VpcEndpointType="Interface"
                )
                for name in ("ecr.api", "ecr.dkr", "logs", "secretsmanager")
            },
            "S3GatewayEndpoint": _r("AWS::EC2::VPCEndpoint", ServiceName=_sub("s3"), VpcEndpointType="Gateway"),
            "FlowLogGroup": _r("AWS::Logs::LogGroup", LogGroupName=f"/vpc/{prefix}/flow-logs", RetentionInDays=7),
            "VpcFlowLog": _r(
                "AWS::EC2::FlowLog", LogDestinationType="cloud-watch-logs", LogGroupName={"Ref": "FlowLogGroup"}
            ),
            "FlowLogKey": _r("AWS::KMS::Key", EnableKeyRotation=True),
        }
    }
    secrets = {
        "Resources": {
            **{f"Secret{i}": _r("AWS::SecretsManager::Secret", Name=f"hana/x/s{i}") for i in range(7)},
            "SecretsKey": _r("AWS::KMS::Key", EnableKeyRotation=True),
        }
    }
    storage = {
        "Resources": {
            "Repository": _r("AWS::ECR::Repository"),
            **{f"{role}Bucket": _r("AWS::S3::Bucket") for role in ("Media", "Artifacts", "Logs")},
            "StorageKey": _r("AWS::KMS::Key", EnableKeyRotation=True),
        }
    }
    messaging = {
        "Resources": {
            "AgentRunsQueue": _r("AWS::SQS::Queue", FifoQueue=True),
            "AgentRunsDlq": _r("AWS::SQS::Queue", FifoQueue=True),
            "NotificationsQueue": _r("AWS::SQS::Queue"),
            "QueueKey": _r("AWS::KMS::Key", EnableKeyRotation=True),
        }
    }
    database = {
        "Resources": {
            "Database": _r(
                "AWS::RDS::DBInstance",
                DBInstanceIdentifier=f"{prefix}-postgres",
                DBInstanceClass=db_class,
                Engine="postgres",
                AllocatedStorage=str(storage_gb),
                StorageType="gp3",
                MultiAZ=multi_az,
            ),
            "Redis": _r(
                "AWS::ElastiCache::ReplicationGroup",
                ReplicationGroupId=f"{prefix}-redis",
                CacheNodeType=cache_node,
                Engine="redis",
                NumCacheClusters=cache_nodes,
            ),
        }
    }
    services = {}
    for svc in ("api", "ws", "workers"):
        title = svc.title()
        taskdef = {"Cpu": cpu, "Memory": memory}
        if arch:
            taskdef["RuntimePlatform"] = {"CpuArchitecture": arch, "OperatingSystemFamily": "LINUX"}
        service = {"ServiceName": f"{prefix}-{svc}", "TaskDefinition": {"Ref": f"{title}TaskDefinition"}}
        if spot_workers and svc == "workers":
            service["CapacityProviderStrategy"] = [{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}]
        services[f"{title}TaskDefinition"] = _r("AWS::ECS::TaskDefinition", **taskdef)
        services[f"{title}Service"] = _r("AWS::ECS::Service", **service)
        if schedule:
            services[f"{title}ScalableTarget"] = _r(
                "AWS::ApplicationAutoScaling::ScalableTarget",
                MinCapacity=1,
                MaxCapacity=1,
                ResourceId={
                    "Fn::Join": ["/", ["service", {"Ref": "Cluster"}, {"Fn::GetAtt": [f"{title}Service", "Name"]}]]
                },
                ScheduledActions=[
                    {
                        "Schedule": "cron(0 8 ? * MON-FRI *)",
                        "ScalableTargetAction": {"MinCapacity": 1, "MaxCapacity": 1},
                    },
                    {
                        "Schedule": "cron(0 20 ? * MON-FRI *)",
                        "ScalableTargetAction": {"MinCapacity": 0, "MaxCapacity": 0},
                    },
                ],
            )
    compute = {
        "Parameters": {"PublicSubnetIds": {"Type": "CommaDelimitedList"}},
        "Resources": {
            "Cluster": _r("AWS::ECS::Cluster", ClusterSettings=[{"Name": "containerInsights", "Value": "enabled"}]),
            "LoadBalancer": _r(
                "AWS::ElasticLoadBalancingV2::LoadBalancer",
                Name=f"{prefix}-alb",
                Scheme="internet-facing",
                Subnets={"Ref": "PublicSubnetIds"},
            ),
            **services,
            **{
                f"{svc.title()}LogGroup": _r(
                    "AWS::Logs::LogGroup", LogGroupName=f"/ecs/{prefix}/{svc}", RetentionInDays=7
                )
                for svc in ("api", "ws", "workers")
            },
        },
    }
    if domain:
        compute["Resources"]["Certificate"] = _r("AWS::CertificateManager::Certificate", DomainName="api.example.com")
        compute["Resources"]["AliasRecord"] = _r("AWS::Route53::RecordSet", HostedZoneId="Z0000000000EXAMPLE")
    waf = {
        "Resources": {
            "WebAcl": _r("AWS::WAFv2::WebACL", Name=f"{prefix}-waf", Rules=[{"Name": f"r{i}"} for i in range(5)]),
            "WafLogGroup": _r("AWS::Logs::LogGroup", LogGroupName=f"aws-waf-logs-{prefix}", RetentionInDays=7),
        }
    }
    observability = {
        "Resources": {
            "Dashboard": _r("AWS::CloudWatch::Dashboard", DashboardName=f"{prefix}-overview"),
            **{f"Alarm{i}": _r("AWS::CloudWatch::Alarm", Period=60) for i in range(alarms)},
            "AlarmKey": _r("AWS::KMS::Key", EnableKeyRotation=True),
        }
    }
    return {
        "network": network,
        "secrets": secrets,
        "storage": storage,
        "messaging": messaging,
        "database": database,
        "compute": compute,
        "waf": waf,
        "observability": observability,
    }

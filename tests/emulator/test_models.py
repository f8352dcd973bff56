"""Each resource type moto skipped is created in its service's backend and visible through the
service's own API; the attributes our templates read answer; delete removes it again."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.emulator.helpers import apply_stack, events, outputs, stack

TAGS = [{"Key": "Project", "Value": "hana"}]


def _vpc() -> dict:
    """A VPC with two subnets and a security group, the base of several tests."""
    return {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
        "SubnetA": {
            "Type": "AWS::EC2::Subnet",
            "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.0.0/24", "AvailabilityZone": "us-east-1a"},
        },
        "SubnetB": {
            "Type": "AWS::EC2::Subnet",
            "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.1.0/24", "AvailabilityZone": "us-east-1b"},
        },
        "Sg": {
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {
                "GroupDescription": "test",
                "GroupName": "test-sg",
                "VpcId": {"Ref": "Vpc"},
                "SecurityGroupIngress": [
                    {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0", "Description": "https"}
                ],
                "SecurityGroupEgress": [
                    {
                        "IpProtocol": "tcp",
                        "FromPort": 5432,
                        "ToPort": 5432,
                        "CidrIp": "10.0.0.0/16",
                        "Description": "db",
                    }
                ],
            },
        },
    }


def test_secrets_with_generated_values_and_a_target_attachment(cfn, emu):
    template = {
        "Resources": {
            "Master": {
                "Type": "AWS::SecretsManager::Secret",
                "Properties": {
                    "Name": "hana/dev/rds-master",
                    "Description": "rds",
                    "GenerateSecretString": {
                        "SecretStringTemplate": json.dumps({"username": "hana"}),
                        "GenerateStringKey": "password",
                        "PasswordLength": 24,
                        "ExcludePunctuation": True,
                    },
                    "Tags": TAGS,
                },
            },
            "ApiKey": {
                "Type": "AWS::SecretsManager::Secret",
                "Properties": {"Name": "hana/dev/api-key", "SecretString": json.dumps({"api_key": "x"})},
            },
            "Db": {
                "Type": "AWS::RDS::DBInstance",
                "Properties": {
                    "DBInstanceIdentifier": "hana-dev-postgres",
                    "DBInstanceClass": "db.t4g.medium",
                    "Engine": "postgres",
                    "EngineVersion": "16.4",
                    "AllocatedStorage": "20",
                    "MasterUsername": "{{resolve:secretsmanager:hana/dev/rds-master:SecretString:username}}",
                    "MasterUserPassword": {
                        "Fn::Sub": "{{resolve:secretsmanager:${Master}:SecretString:password}}",
                    },
                },
            },
            "Attach": {
                "Type": "AWS::SecretsManager::SecretTargetAttachment",
                "Properties": {
                    "SecretId": {"Ref": "Master"},
                    "TargetId": {"Ref": "Db"},
                    "TargetType": "AWS::RDS::DBInstance",
                },
            },
        },
        "Outputs": {"Arn": {"Value": {"Ref": "Master"}}, "Port": {"Value": {"Fn::GetAtt": ["Db", "Endpoint.Port"]}}},
    }
    assert apply_stack(cfn, "s", template)["StackStatus"] == "CREATE_COMPLETE"
    sm = emu.client("secretsmanager")
    assert sorted(s["Name"] for s in sm.list_secrets()["SecretList"]) == ["hana/dev/api-key", "hana/dev/rds-master"]
    value = json.loads(sm.get_secret_value(SecretId="hana/dev/rds-master")["SecretString"])
    assert value["username"] == "hana" and len(value["password"]) == 24 and value["password"].isalnum()
    assert value["host"].startswith("hana-dev-postgres.") and value["port"] == 5432 and value["engine"] == "postgres"
    assert outputs(cfn, "s") == {"Arn": sm.describe_secret(SecretId="hana/dev/rds-master")["ARN"], "Port": "5432"}
    instance = emu.client("rds").describe_db_instances()["DBInstances"][0]
    assert instance["MasterUsername"] == "hana"  # the dynamic reference was resolved


def test_a_redeploy_keeps_a_secret_value_set_by_hand(cfn, emu):
    template = {
        "Resources": {
            "Key": {
                "Type": "AWS::SecretsManager::Secret",
                "Properties": {"Name": "k", "SecretString": "placeholder", "Description": "one"},
            }
        }
    }
    apply_stack(cfn, "s", template)
    emu.client("secretsmanager").put_secret_value(SecretId="k", SecretString="real")
    template["Resources"]["Key"]["Properties"]["Description"] = "two"
    assert apply_stack(cfn, "s", template)["StackStatus"] == "UPDATE_COMPLETE"
    assert emu.client("secretsmanager").get_secret_value(SecretId="k")["SecretString"] == "real"


def test_elasticache_replication_group_and_subnet_group(cfn, emu):
    template = {
        "Resources": {
            **_vpc(),
            "CacheSubnets": {
                "Type": "AWS::ElastiCache::SubnetGroup",
                "Properties": {
                    "CacheSubnetGroupName": "hana-dev-redis",
                    "Description": "redis",
                    "SubnetIds": [{"Ref": "SubnetA"}, {"Ref": "SubnetB"}],
                },
            },
            "Redis": {
                "Type": "AWS::ElastiCache::ReplicationGroup",
                "DeletionPolicy": "Snapshot",
                "Properties": {
                    "ReplicationGroupId": "hana-dev-redis",
                    "ReplicationGroupDescription": "redis",
                    "Engine": "redis",
                    "EngineVersion": "7.1",
                    "CacheNodeType": "cache.t4g.medium",
                    "NumCacheClusters": 2,
                    "AutomaticFailoverEnabled": True,
                    "MultiAZEnabled": True,
                    "TransitEncryptionEnabled": True,
                    "AtRestEncryptionEnabled": True,
                    "AuthToken": "a-long-enough-token-123",
                    "CacheSubnetGroupName": {"Ref": "CacheSubnets"},
                    "SecurityGroupIds": [{"Ref": "Sg"}],
                },
            },
        },
        "Outputs": {
            "Address": {"Value": {"Fn::GetAtt": ["Redis", "PrimaryEndPoint.Address"]}},
            "Port": {"Value": {"Fn::GetAtt": ["Redis", "PrimaryEndPoint.Port"]}},
            "Id": {"Value": {"Ref": "Redis"}},
        },
    }
    assert apply_stack(cfn, "s", template)["StackStatus"] == "CREATE_COMPLETE"
    elasticache = emu.client("elasticache")
    group = elasticache.describe_replication_groups(ReplicationGroupId="hana-dev-redis")["ReplicationGroups"][0]
    assert group["CacheNodeType"] == "cache.t4g.medium"
    assert group["AutomaticFailover"] == "enabled" and group["MultiAZ"] == "enabled"
    assert group["TransitEncryptionEnabled"] and group["AtRestEncryptionEnabled"] and group["AuthTokenEnabled"]
    address = group["NodeGroups"][0]["PrimaryEndpoint"]["Address"]
    assert outputs(cfn, "s") == {"Address": address, "Port": "6379", "Id": "hana-dev-redis"}
    subnet_group = elasticache.describe_cache_subnet_groups(CacheSubnetGroupName="hana-dev-redis")
    assert len(subnet_group["CacheSubnetGroups"][0]["Subnets"]) == 2
    cfn.delete_stack(StackName="s")
    assert elasticache.describe_replication_groups()["ReplicationGroups"] == []
    snapshots = elasticache.describe_snapshots()["Snapshots"]
    assert [s["SnapshotName"] for s in snapshots] and snapshots[0]["SnapshotName"].startswith("s-redis-")


def _service_stack() -> dict:
    return {
        "Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {"ClusterName": "hana-dev"}},
        "Providers": {
            "Type": "AWS::ECS::ClusterCapacityProviderAssociations",
            "Properties": {
                "Cluster": {"Ref": "Cluster"},
                "CapacityProviders": ["FARGATE", "FARGATE_SPOT"],
                "DefaultCapacityProviderStrategy": [{"CapacityProvider": "FARGATE", "Weight": 1, "Base": 0}],
            },
        },
        "Task": {
            "Type": "AWS::ECS::TaskDefinition",
            "Properties": {
                "Family": "hana-dev-api",
                "ContainerDefinitions": [{"Name": "api", "Image": "nginx", "Memory": 512}],
            },
        },
        "Service": {
            "Type": "AWS::ECS::Service",
            "Properties": {
                "ServiceName": "hana-dev-api",
                "Cluster": {"Ref": "Cluster"},
                "TaskDefinition": {"Ref": "Task"},
                "DesiredCount": 0,
            },
        },
    }


def test_application_autoscaling_target_and_policy(cfn, emu):
    resource_id = {"Fn::Sub": "service/${Cluster}/${Service.Name}"}
    template = {
        "Resources": {
            **_service_stack(),
            "Target": {
                "Type": "AWS::ApplicationAutoScaling::ScalableTarget",
                "Properties": {
                    "ServiceNamespace": "ecs",
                    "ScalableDimension": "ecs:service:DesiredCount",
                    "ResourceId": resource_id,
                    "MinCapacity": 2,
                    "MaxCapacity": 4,
                },
            },
            "Cpu": {
                "Type": "AWS::ApplicationAutoScaling::ScalingPolicy",
                "Properties": {
                    "PolicyName": "cpu",
                    "PolicyType": "TargetTrackingScaling",
                    "ScalingTargetId": {"Ref": "Target"},
                    "TargetTrackingScalingPolicyConfiguration": {
                        "TargetValue": 70,
                        "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
                    },
                },
            },
        },
        "Outputs": {"PolicyArn": {"Value": {"Fn::GetAtt": ["Cpu", "Arn"]}}},
    }
    assert apply_stack(cfn, "s", template)["StackStatus"] == "CREATE_COMPLETE"
    scaling = emu.client("application-autoscaling")
    targets = scaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]
    assert [(t["ResourceId"], t["MinCapacity"], t["MaxCapacity"]) for t in targets] == [
        ("service/hana-dev/hana-dev-api", 2, 4)
    ]
    policies = scaling.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]
    assert [p["PolicyARN"] for p in policies] == [outputs(cfn, "s")["PolicyArn"]]
    cluster = emu.client("ecs").describe_clusters(clusters=["hana-dev"])["clusters"][0]
    assert cluster["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]
    cfn.delete_stack(StackName="s")
    assert scaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"] == []
    assert emu.client("ecs").describe_clusters(clusters=["hana-dev"])["clusters"][0]["status"] == "INACTIVE"


def _alb() -> dict:
    return {
        **_vpc(),
        "Alb": {
            "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
            "Properties": {
                "Name": "hana-dev-alb",
                "Subnets": [{"Ref": "SubnetA"}, {"Ref": "SubnetB"}],
                "SecurityGroups": [{"Ref": "Sg"}],
            },
        },
        "Tg": {
            "Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
            "Properties": {
                "Name": "hana-dev-api",
                "Port": 3000,
                "Protocol": "HTTP",
                "TargetType": "ip",
                "VpcId": {"Ref": "Vpc"},
            },
        },
        "Listener": {
            "Type": "AWS::ElasticLoadBalancingV2::Listener",
            "Properties": {
                "LoadBalancerArn": {"Ref": "Alb"},
                "Port": 80,
                "Protocol": "HTTP",
                "DefaultActions": [{"Type": "forward", "TargetGroupArn": {"Ref": "Tg"}}],
            },
        },
    }


def test_wafv2_web_acl_association_and_logging(cfn, emu):
    rules = [
        {
            "Name": "rate",
            "Priority": 0,
            "Action": {"Block": {}},
            "Statement": {"RateBasedStatement": {"Limit": 2000, "AggregateKeyType": "IP"}},
            "VisibilityConfig": {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "r"},
        },
        {
            "Name": "common",
            "Priority": 1,
            "OverrideAction": {"None": {}},
            "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesCommonRuleSet"}},
            "VisibilityConfig": {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "c"},
        },
    ]
    template = {
        "Resources": {
            **_alb(),
            "Acl": {
                "Type": "AWS::WAFv2::WebACL",
                "Properties": {
                    "Name": "hana-dev-waf",
                    "Scope": "REGIONAL",
                    "DefaultAction": {"Allow": {}},
                    "Rules": rules,
                    "VisibilityConfig": {
                        "SampledRequestsEnabled": True,
                        "CloudWatchMetricsEnabled": True,
                        "MetricName": "w",
                    },
                },
            },
            "Assoc": {
                "Type": "AWS::WAFv2::WebACLAssociation",
                "Properties": {"ResourceArn": {"Ref": "Alb"}, "WebACLArn": {"Fn::GetAtt": ["Acl", "Arn"]}},
            },
            "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "aws-waf-logs-hana-dev"}},
            "Logging": {
                "Type": "AWS::WAFv2::LoggingConfiguration",
                "Properties": {
                    "ResourceArn": {"Fn::GetAtt": ["Acl", "Arn"]},
                    "LogDestinationConfigs": [{"Fn::GetAtt": ["Logs", "Arn"]}],
                },
            },
        },
        "Outputs": {
            "Arn": {"Value": {"Fn::GetAtt": ["Acl", "Arn"]}},
            "Capacity": {"Value": {"Fn::GetAtt": ["Acl", "Capacity"]}},
            "AlbFullName": {"Value": {"Fn::GetAtt": ["Alb", "LoadBalancerFullName"]}},
            "TgFullName": {"Value": {"Fn::GetAtt": ["Tg", "TargetGroupFullName"]}},
        },
    }
    assert apply_stack(cfn, "s", template)["StackStatus"] == "CREATE_COMPLETE"
    waf = emu.client("wafv2")
    acls = waf.list_web_acls(Scope="REGIONAL")["WebACLs"]
    assert [a["Name"] for a in acls] == ["hana-dev-waf"]
    out = outputs(cfn, "s")
    assert out["Arn"] == acls[0]["ARN"] and out["Capacity"] == "702"
    alb_arn = emu.client("elbv2").describe_load_balancers()["LoadBalancers"][0]["LoadBalancerArn"]
    assert waf.get_web_acl_for_resource(ResourceArn=alb_arn)["WebACL"]["Name"] == "hana-dev-waf"
    assert waf.get_logging_configuration(ResourceArn=out["Arn"])["LoggingConfiguration"]["LogDestinationConfigs"]
    assert out["AlbFullName"] == alb_arn.split("loadbalancer/")[1] and out["AlbFullName"].startswith(
        "app/hana-dev-alb/"
    )
    assert out["TgFullName"].startswith("targetgroup/hana-dev-api/")


def test_waf_refuses_a_log_group_without_the_waf_prefix_and_too_many_wcu(cfn):
    acl = {
        "Type": "AWS::WAFv2::WebACL",
        "Properties": {
            "Name": "acl",
            "Scope": "REGIONAL",
            "DefaultAction": {"Allow": {}},
            "VisibilityConfig": {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "w"},
        },
    }
    template = {
        "Resources": {
            "Acl": acl,
            "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/waf/hana"}},
            "Logging": {
                "Type": "AWS::WAFv2::LoggingConfiguration",
                "Properties": {
                    "ResourceArn": {"Fn::GetAtt": ["Acl", "Arn"]},
                    "LogDestinationConfigs": [{"Fn::GetAtt": ["Logs", "Arn"]}],
                },
            },
        }
    }
    assert apply_stack(cfn, "s", template)["StackStatus"] == "ROLLBACK_COMPLETE"
    assert any(r[:2] == ("Logging", "CREATE_FAILED") and "aws-waf-logs-" in r[2] for r in events(cfn, "s"))
    group = {"VendorName": "AWS", "Name": "AWSManagedRulesCommonRuleSet"}
    vis = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "m"}
    acl["Properties"]["Rules"] = [
        {
            "Name": f"r{i}",
            "Priority": i,
            "OverrideAction": {"None": {}},
            "Statement": {"ManagedRuleGroupStatement": group},
            "VisibilityConfig": vis,
        }
        for i in range(3)
    ]
    assert apply_stack(cfn, "big", {"Resources": {"Acl": acl}})["StackStatus"] == "ROLLBACK_COMPLETE"
    assert any("WAFLimitsExceededException" in r[2] for r in events(cfn, "big"))


def test_alarms_subscriptions_and_topic_policy(cfn, emu):
    template = {
        "Resources": {
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "hana-dev-alarms"}},
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "q"}},
            "Email": {
                "Type": "AWS::SNS::Subscription",
                "Properties": {"TopicArn": {"Ref": "Topic"}, "Protocol": "email", "Endpoint": "ops@example.com"},
            },
            "ToQueue": {
                "Type": "AWS::SNS::Subscription",
                "Properties": {
                    "TopicArn": {"Ref": "Topic"},
                    "Protocol": "sqs",
                    "Endpoint": {"Fn::GetAtt": ["Queue", "Arn"]},
                    "RawMessageDelivery": True,
                },
            },
            "TopicPolicy": {
                "Type": "AWS::SNS::TopicPolicy",
                "Properties": {
                    "Topics": [{"Ref": "Topic"}],
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "CloudWatch",
                                "Effect": "Allow",
                                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                                "Action": "sns:Publish",
                                "Resource": {"Ref": "Topic"},
                            }
                        ],
                    },
                },
            },
            "Cpu": {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {
                    "AlarmName": "hana-dev-api-cpu-high",
                    "Namespace": "AWS/ECS",
                    "MetricName": "CPUUtilization",
                    "Dimensions": [{"Name": "ClusterName", "Value": "hana-dev"}],
                    "Statistic": "Average",
                    "Period": 300,
                    "EvaluationPeriods": 2,
                    "Threshold": 80,
                    "ComparisonOperator": "GreaterThanThreshold",
                    "TreatMissingData": "notBreaching",
                    "AlarmActions": [{"Ref": "Topic"}],
                    "OKActions": [{"Ref": "Topic"}],
                },
            },
            "Errors": {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {
                    "AlarmName": "hana-dev-5xx",
                    "EvaluationPeriods": 1,
                    "Threshold": 10,
                    "ComparisonOperator": "GreaterThanThreshold",
                    "Metrics": [
                        {
                            "Id": "m1",
                            "ReturnData": True,
                            "MetricStat": {
                                "Metric": {"Namespace": "AWS/ApplicationELB", "MetricName": "HTTPCode_ELB_5XX_Count"},
                                "Period": 300,
                                "Stat": "Sum",
                            },
                        }
                    ],
                },
            },
        },
        "Outputs": {"AlarmArn": {"Value": {"Fn::GetAtt": ["Cpu", "Arn"]}}},
    }
    assert apply_stack(cfn, "s", template)["StackStatus"] == "CREATE_COMPLETE"
    alarms = emu.client("cloudwatch").describe_alarms()["MetricAlarms"]
    by_name = {a["AlarmName"]: a for a in alarms}
    assert set(by_name) == {"hana-dev-api-cpu-high", "hana-dev-5xx"}
    cpu = by_name["hana-dev-api-cpu-high"]
    assert (cpu["Threshold"], cpu["EvaluationPeriods"], cpu["Period"], cpu["TreatMissingData"]) == (
        80.0,
        2,
        300,
        "notBreaching",
    )
    assert cpu["AlarmActions"] == cpu["OKActions"] and outputs(cfn, "s")["AlarmArn"] == cpu["AlarmArn"]
    sns = emu.client("sns")
    topic = sns.list_topics()["Topics"][0]["TopicArn"]
    protocols = sorted(s["Protocol"] for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"])
    assert protocols == ["email", "sqs"]
    policy = json.loads(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])
    assert policy["Statement"][0]["Sid"] == "CloudWatch"
    cfn.delete_stack(StackName="s")
    assert emu.client("cloudwatch").describe_alarms()["MetricAlarms"] == []
    assert sns.list_subscriptions()["Subscriptions"] == []


def test_bucket_and_queue_policies_and_bucket_settings(cfn, emu):
    deny = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [{"Fn::GetAtt": ["Bucket", "Arn"]}],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
    template = {
        "Resources": {
            "Bucket": {
                "Type": "AWS::S3::Bucket",
                "Properties": {
                    "BucketName": "hana-dev-media",
                    "VersioningConfiguration": {"Status": "Enabled"},
                    "PublicAccessBlockConfiguration": {
                        "BlockPublicAcls": True,
                        "BlockPublicPolicy": True,
                        "IgnorePublicAcls": True,
                        "RestrictPublicBuckets": True,
                    },
                    "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                    "LifecycleConfiguration": {
                        "Rules": [
                            {
                                "Id": "old-versions",
                                "Status": "Enabled",
                                "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
                                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
                            }
                        ]
                    },
                },
            },
            "BucketPolicy": {
                "Type": "AWS::S3::BucketPolicy",
                "Properties": {"Bucket": {"Ref": "Bucket"}, "PolicyDocument": deny},
            },
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "q"}},
            "QueuePolicy": {
                "Type": "AWS::SQS::QueuePolicy",
                "Properties": {
                    "Queues": [{"Ref": "Queue"}],
                    "PolicyDocument": {
                        **deny,
                        "Statement": [
                            {**deny["Statement"][0], "Action": "sqs:*", "Resource": [{"Fn::GetAtt": ["Queue", "Arn"]}]}
                        ],
                    },
                },
            },
        }
    }
    assert apply_stack(cfn, "s", template)["StackStatus"] == "CREATE_COMPLETE"
    s3 = emu.client("s3")
    assert (
        json.loads(s3.get_bucket_policy(Bucket="hana-dev-media")["Policy"])["Statement"][0]["Sid"]
        == "DenyInsecureTransport"
    )
    assert s3.get_bucket_versioning(Bucket="hana-dev-media")["Status"] == "Enabled"
    block = s3.get_public_access_block(Bucket="hana-dev-media")["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    rules = s3.get_bucket_lifecycle_configuration(Bucket="hana-dev-media")["Rules"]
    assert rules[0]["ID"] == "old-versions" and rules[0]["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30
    sqs = emu.client("sqs")
    url = sqs.get_queue_url(QueueName="q")["QueueUrl"]
    assert "Policy" in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]


def test_network_resources_delete_cleanly(cfn, emu):
    template = {
        "Resources": {
            **_vpc(),
            "Igw": {"Type": "AWS::EC2::InternetGateway", "Properties": {}},
            "Attach": {
                "Type": "AWS::EC2::VPCGatewayAttachment",
                "Properties": {"VpcId": {"Ref": "Vpc"}, "InternetGatewayId": {"Ref": "Igw"}},
            },
            "Public": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": {"Ref": "Vpc"}}},
            "Default": {
                "Type": "AWS::EC2::Route",
                "DependsOn": "Attach",
                "Properties": {
                    "RouteTableId": {"Ref": "Public"},
                    "DestinationCidrBlock": "0.0.0.0/0",
                    "GatewayId": {"Ref": "Igw"},
                },
            },
            "Assoc": {
                "Type": "AWS::EC2::SubnetRouteTableAssociation",
                "Properties": {"RouteTableId": {"Ref": "Public"}, "SubnetId": {"Ref": "SubnetA"}},
            },
            "Eip": {"Type": "AWS::EC2::EIP", "Properties": {"Domain": "vpc"}},
            "Nat": {
                "Type": "AWS::EC2::NatGateway",
                "Properties": {"AllocationId": {"Fn::GetAtt": ["Eip", "AllocationId"]}, "SubnetId": {"Ref": "SubnetA"}},
            },
            "Peer": {
                "Type": "AWS::EC2::SecurityGroup",
                "Properties": {"GroupDescription": "peer", "VpcId": {"Ref": "Vpc"}},
            },
            "FromPeer": {
                "Type": "AWS::EC2::SecurityGroupIngress",
                "Properties": {
                    "GroupId": {"Ref": "Sg"},
                    "IpProtocol": "tcp",
                    "FromPort": 5432,
                    "ToPort": 5432,
                    "SourceSecurityGroupId": {"Ref": "Peer"},
                    "Description": "db from peer",
                },
            },
            "ToPeer": {
                "Type": "AWS::EC2::SecurityGroupEgress",
                "Properties": {
                    "GroupId": {"Ref": "Peer"},
                    "IpProtocol": "tcp",
                    "FromPort": 5432,
                    "ToPort": 5432,
                    "DestinationSecurityGroupId": {"Ref": "Sg"},
                    "Description": "to db",
                },
            },
            "S3Endpoint": {
                "Type": "AWS::EC2::VPCEndpoint",
                "Properties": {
                    "VpcId": {"Ref": "Vpc"},
                    "ServiceName": "com.amazonaws.us-east-1.s3",
                    "VpcEndpointType": "Gateway",
                    "RouteTableIds": [{"Ref": "Public"}],
                },
            },
        },
        "Outputs": {
            "Az": {"Value": {"Fn::GetAtt": ["SubnetA", "AvailabilityZone"]}},
            "SubnetVpc": {"Value": {"Fn::GetAtt": ["SubnetA", "VpcId"]}},
            "Cidr": {"Value": {"Fn::GetAtt": ["Vpc", "CidrBlock"]}},
            "Assoc": {"Value": {"Ref": "Assoc"}},
        },
    }
    assert apply_stack(cfn, "s", template)["StackStatus"] == "CREATE_COMPLETE"
    ec2 = emu.client("ec2")
    vpc_id = stack(cfn, "s")["Outputs"] and outputs(cfn, "s")["SubnetVpc"]
    assert outputs(cfn, "s")["Az"] == "us-east-1a" and outputs(cfn, "s")["Cidr"] == "10.0.0.0/16"
    by_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
    associations = [
        a["RouteTableAssociationId"]
        for t in ec2.describe_route_tables(Filters=by_vpc)["RouteTables"]
        for a in t["Associations"]
        if a.get("SubnetId")
    ]
    assert associations == [outputs(cfn, "s")["Assoc"]]
    groups = {g["GroupName"]: g for g in ec2.describe_security_groups(Filters=by_vpc)["SecurityGroups"]}
    sg = groups["test-sg"]
    assert {(p["FromPort"], p["IpRanges"][0]["Description"]) for p in sg["IpPermissions"] if p["IpRanges"]} == {
        (443, "https")
    }
    peer_rule = [p for p in sg["IpPermissions"] if p["UserIdGroupPairs"]][0]
    assert peer_rule["UserIdGroupPairs"][0]["Description"] == "db from peer"
    assert [(p["FromPort"], p["IpRanges"][0]["Description"]) for p in sg["IpPermissionsEgress"]] == [(5432, "db")]
    cfn.delete_stack(StackName="s")
    assert ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Vpcs"] == []
    assert ec2.describe_internet_gateways()["InternetGateways"] == []
    assert {n["State"] for n in ec2.describe_nat_gateways()["NatGateways"]} == {"deleted"}
    assert ec2.describe_addresses()["Addresses"] == []


def test_rds_instance_snapshot_on_delete_and_ports(cfn, emu):
    template = {
        "Resources": {
            "Params": {
                "Type": "AWS::RDS::DBParameterGroup",
                "Properties": {
                    "DBParameterGroupName": "hana-dev-postgres16",
                    "Family": "postgres16",
                    "Description": "ssl",
                    "Parameters": {"rds.force_ssl": "1"},
                },
            },
            "Db": {
                "Type": "AWS::RDS::DBInstance",
                "DeletionPolicy": "Snapshot",
                "Properties": {
                    "DBInstanceIdentifier": "hana-dev-postgres",
                    "DBInstanceClass": "db.t4g.medium",
                    "Engine": "postgres",
                    "EngineVersion": "16.4",
                    "AllocatedStorage": "20",
                    "MaxAllocatedStorage": 100,
                    "MasterUsername": "hana",
                    "MasterUserPassword": "password123",
                    "DBParameterGroupName": {"Ref": "Params"},
                },
            },
        },
        "Outputs": {
            "Port": {"Value": {"Fn::GetAtt": ["Db", "Endpoint.Port"]}},
            "Arn": {"Value": {"Fn::GetAtt": ["Db", "DBInstanceArn"]}},
        },
    }
    assert apply_stack(cfn, "s", template)["StackStatus"] == "CREATE_COMPLETE"
    rds = emu.client("rds")
    instance = rds.describe_db_instances()["DBInstances"][0]
    assert instance["DBParameterGroups"][0]["DBParameterGroupName"] == "hana-dev-postgres16"
    assert outputs(cfn, "s") == {"Port": "5432", "Arn": instance["DBInstanceArn"]}
    cfn.delete_stack(StackName="s")
    assert rds.describe_db_instances()["DBInstances"] == []
    snapshots = rds.describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]
    assert [s["DBInstanceIdentifier"] for s in snapshots] == ["hana-dev-postgres"]


@pytest.mark.parametrize("rtype", ["AWS::ECR::Repository"])
def test_repository_settings_are_applied(cfn, emu, rtype):
    policy = {
        "rules": [
            {
                "rulePriority": 1,
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": 7,
                },
                "action": {"type": "expire"},
            }
        ]
    }
    template = {
        "Resources": {
            "Repo": {
                "Type": rtype,
                "Properties": {
                    "RepositoryName": "hana-dev/api",
                    "ImageScanningConfiguration": {"ScanOnPush": True},
                    "LifecyclePolicy": {"LifecyclePolicyText": json.dumps(policy)},
                },
            }
        }
    }
    assert apply_stack(cfn, "s", template)["StackStatus"] == "CREATE_COMPLETE"
    ecr = emu.client("ecr")
    repo = ecr.describe_repositories()["repositories"][0]
    assert repo["imageScanningConfiguration"] == {"scanOnPush": True}
    assert json.loads(ecr.get_lifecycle_policy(repositoryName="hana-dev/api")["lifecyclePolicyText"]) == policy


def _protected_alb(protected: bool) -> dict:
    template = {"Resources": _alb()}
    template["Resources"]["Alb"]["Properties"]["LoadBalancerAttributes"] = [
        {"Key": "deletion_protection.enabled", "Value": "true" if protected else "false"},
        {"Key": "idle_timeout.timeout_seconds", "Value": "120"},
    ]
    return template


def test_alb_attributes_are_applied_and_deletion_protection_refuses_the_delete_as_aws_does(cfn, emu):
    elbv2 = emu.client("elbv2")
    assert apply_stack(cfn, "s", _protected_alb(True))["StackStatus"] == "CREATE_COMPLETE"
    arn = elbv2.describe_load_balancers()["LoadBalancers"][0]["LoadBalancerArn"]
    attrs = {a["Key"]: a["Value"] for a in elbv2.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]}
    assert attrs["deletion_protection.enabled"] == "true" and attrs["idle_timeout.timeout_seconds"] == "120"

    with pytest.raises(ClientError) as err:  # the API itself, as AWS answers it
        elbv2.delete_load_balancer(LoadBalancerArn=arn)
    assert err.value.response["Error"]["Code"] == "OperationNotPermitted"
    assert "cannot be deleted because deletion protection is enabled" in err.value.response["Error"]["Message"]

    cfn.delete_stack(StackName="s")  # the stack's delete fails on it and keeps the stack
    assert stack(cfn, "s")["StackStatus"] == "DELETE_FAILED"
    failed = [reason for lid, status, reason in events(cfn, "s") if status == "DELETE_FAILED" and lid == "Alb"]
    assert failed and "deletion protection is enabled" in failed[-1]
    assert [lb["LoadBalancerArn"] for lb in elbv2.describe_load_balancers()["LoadBalancers"]] == [arn]

    # the way out of DELETE_FAILED: keep the named resource (RetainResources); the rest is deleted
    cfn.delete_stack(StackName="s", RetainResources=["Alb"])
    assert [s["StackName"] for s in cfn.describe_stacks()["Stacks"]] == []
    assert [lb["LoadBalancerArn"] for lb in elbv2.describe_load_balancers()["LoadBalancers"]] == [arn]


def test_retain_resources_is_refused_unless_the_stack_is_delete_failed(cfn, emu):
    apply_stack(cfn, "s", _protected_alb(False))
    with pytest.raises(ClientError) as err:
        cfn.delete_stack(StackName="s", RetainResources=["Alb"])
    assert "DELETE_FAILED" in err.value.response["Error"]["Message"]
    assert stack(cfn, "s")["StackStatus"] == "CREATE_COMPLETE"


def test_an_update_turns_alb_deletion_protection_off_and_the_delete_then_completes(cfn, emu):
    elbv2 = emu.client("elbv2")
    apply_stack(cfn, "s", _protected_alb(True))
    arn = elbv2.describe_load_balancers()["LoadBalancers"][0]["LoadBalancerArn"]
    assert apply_stack(cfn, "s", _protected_alb(False))["StackStatus"] == "UPDATE_COMPLETE"
    attrs = {a["Key"]: a["Value"] for a in elbv2.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]}
    assert attrs["deletion_protection.enabled"] == "false"
    cfn.delete_stack(StackName="s")
    assert elbv2.describe_load_balancers()["LoadBalancers"] == []


def test_an_unknown_alb_attribute_fails_the_create(cfn, emu):
    template = _protected_alb(False)
    template["Resources"]["Alb"]["Properties"]["LoadBalancerAttributes"] = [{"Key": "no.such", "Value": "1"}]
    assert apply_stack(cfn, "s", template)["StackStatus"] == "ROLLBACK_COMPLETE"
    assert emu.client("elbv2").describe_load_balancers()["LoadBalancers"] == []

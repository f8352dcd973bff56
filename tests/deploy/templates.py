"""Small purpose-built stacks for the deployer's plumbing tests: only resource types moto really
creates (SNS, SQS, SSM, Logs), long-form intrinsics, the same contract types the real stacks use.

    net ──┐
          ├──> app ──> edge
    store ┘

`app` has the deploy-time parameters of the real compute stack (ImageTag, ApiDesiredCount) and
its outputs ClusterName, ApiServiceName (the deployer reads the live ECS desired count by the
names naming.py gives, `hana-dev`/`hana-dev-api`, never through these outputs);
`edge` has the outputs `status` turns into the Key Endpoints table. `edge` is JSON (botocore
parses JSON template bodies into dicts, which the no-op check must handle), the rest YAML.
"""

from __future__ import annotations

import json

from hana_templates.spec import DeployParameter, From, StackSpec

NET = StackSpec("net", "a topic", outputs=("TopicArn", "TopicName"))
STORE = StackSpec("store", "a retained queue", outputs=("QueueArn", "QueueName"))
APP = StackSpec(
    "app",
    "wiring from both upstream stacks",
    inputs=(From("net", "TopicArn"), From("store", "QueueArn")),
    outputs=("Wiring", "ImageTagSeen", "DesiredSeen", "ClusterName", "ApiServiceName"),
    deploy_parameters=(
        DeployParameter("ImageTag", "String", "latest", "image tag"),
        DeployParameter("ApiDesiredCount", "Number", "0", "api tasks"),
    ),
)
EDGE = StackSpec("edge", "reads app", inputs=(From("app", "Wiring"),), outputs=("Echo", "AlbDnsName", "ServiceUrl"))

NET_BODY = """\
Description: net (test)
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName:
        Fn::Sub: ${AWS::StackName}-topic
Outputs:
  TopicArn:
    Value:
      Ref: Topic
  TopicName:
    Value:
      Fn::GetAtt:
        - Topic
        - TopicName
"""

STORE_BODY = """\
Description: store (test)
Resources:
  Queue:
    Type: AWS::SQS::Queue
    DeletionPolicy: Retain
    UpdateReplacePolicy: Retain
    Properties:
      QueueName:
        Fn::Sub: ${AWS::StackName}-queue
Outputs:
  QueueArn:
    Value:
      Fn::GetAtt:
        - Queue
        - Arn
  QueueName:
    Value:
      Fn::GetAtt:
        - Queue
        - QueueName
"""

APP_BODY = """\
Description: app (test)
Parameters:
  TopicArn:
    Type: String
  QueueArn:
    Type: String
  ImageTag:
    Type: String
    Default: latest
  ApiDesiredCount:
    Type: Number
    Default: '0'
Resources:
  Wiring:
    Type: AWS::SSM::Parameter
    Properties:
      Name:
        Fn::Sub: /${AWS::StackName}/wiring
      Type: String
      Value:
        Fn::Join:
          - '|'
          - - Ref: TopicArn
            - Ref: QueueArn
  Logs:
    Type: AWS::Logs::LogGroup
    DeletionPolicy: Retain
    UpdateReplacePolicy: Retain
    Properties:
      LogGroupName:
        Fn::Sub: /test/${AWS::StackName}
      RetentionInDays: 7
Outputs:
  Wiring:
    Value:
      Fn::Join:
        - '|'
        - - Ref: TopicArn
          - Ref: QueueArn
  ImageTagSeen:
    Value:
      Ref: ImageTag
  DesiredSeen:
    Value:
      Ref: ApiDesiredCount
  ClusterName:
    Value: test-cluster
  ApiServiceName:
    Value: test-api
"""

EDGE_BODY = json.dumps(
    {
        "Description": "edge (test)",
        "Parameters": {"Wiring": {"Type": "String"}},
        "Resources": {"Alarms": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "edge-alarms"}}},
        "Outputs": {
            "Echo": {"Value": {"Ref": "Wiring"}},
            "AlbDnsName": {"Value": "hana-test-alb-1.us-east-1.elb.amazonaws.com"},
            "ServiceUrl": {"Value": "http://hana-test-alb-1.us-east-1.elb.amazonaws.com"},
        },
    },
    indent=2,
    sort_keys=True,
)

STACKS = {NET: NET_BODY, STORE: STORE_BODY, APP: APP_BODY, EDGE: EDGE_BODY}


def with_extra_topic(body: str, logical_id: str = "Extra") -> str:
    """The YAML body with one more SNS topic: a real change for an update or a plan."""
    return body.replace("Resources:\n", f"Resources:\n  {logical_id}:\n    Type: AWS::SNS::Topic\n", 1)

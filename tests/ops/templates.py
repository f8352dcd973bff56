"""Small `storage` and `compute` stacks for the operations tests, made of what moto really creates:
an ECR repository; the ECS cluster `hana-<env>`, one task definition and one service
`hana-<env>-<svc>` per service, and the log groups `/ecs/hana-<env>/<svc>`. Names and the deploy
parameters (ImageTag, <X>DesiredCount) are the real compute stack's, so the commands find
everything where they look in AWS. The service URL is a parameter of the builder: health tests
point it at a server on 127.0.0.1.
"""

from __future__ import annotations

from hana_templates.spec import DeployParameter, From, StackSpec

SERVICES = ("api", "ws", "workers")
TITLES = {"api": "Api", "ws": "Ws", "workers": "Workers"}

STORAGE = StackSpec("storage", "the image repository (test)", outputs=("EcrRepositoryUri", "EcrRepositoryName"))
COMPUTE = StackSpec(
    "compute",
    "cluster, services and log groups (test)",
    inputs=(From("storage", "EcrRepositoryUri"),),
    outputs=("ClusterName", "ServiceUrl", "AlbDnsName", *(f"{TITLES[s]}ServiceName" for s in SERVICES)),
    deploy_parameters=(
        DeployParameter("ImageTag", "String", "latest", "image tag"),
        *(DeployParameter(f"{TITLES[s]}DesiredCount", "Number", "0", f"{s} tasks") for s in SERVICES),
    ),
)


def storage_body(env: str) -> str:
    return f"""\
Description: storage (test)
Resources:
  ApiRepository:
    Type: AWS::ECR::Repository
    Properties:
      RepositoryName: hana-{env}/api
Outputs:
  EcrRepositoryUri:
    Value:
      Fn::GetAtt:
        - ApiRepository
        - RepositoryUri
  EcrRepositoryName:
    Value:
      Ref: ApiRepository
"""


def compute_body(env: str, service_url: str = "http://hana-test-alb-1.us-east-1.elb.amazonaws.com") -> str:
    params = "".join(f"  {TITLES[s]}DesiredCount:\n    Type: Number\n    Default: '0'\n" for s in SERVICES)
    resources = ""
    outputs = ""
    for s in SERVICES:
        t = TITLES[s]
        resources += f"""\
  {t}LogGroup:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: /ecs/hana-{env}/{s}
      RetentionInDays: 7
  {t}TaskDefinition:
    Type: AWS::ECS::TaskDefinition
    Properties:
      Family: hana-{env}-{s}
      ContainerDefinitions:
        - Name: {s}
          Memory: 512
          Image:
            Fn::Sub: ${{EcrRepositoryUri}}:${{ImageTag}}
  {t}Service:
    Type: AWS::ECS::Service
    Properties:
      ServiceName: hana-{env}-{s}
      Cluster:
        Ref: Cluster
      TaskDefinition:
        Ref: {t}TaskDefinition
      DesiredCount:
        Ref: {t}DesiredCount
"""
        outputs += f"  {t}ServiceName:\n    Value: hana-{env}-{s}\n"
    host = service_url.split("://", 1)[1]
    return f"""\
Description: compute (test)
Parameters:
  EcrRepositoryUri:
    Type: String
  ImageTag:
    Type: String
    Default: latest
{params}Resources:
  Cluster:
    Type: AWS::ECS::Cluster
    Properties:
      ClusterName: hana-{env}
{resources}Outputs:
  ClusterName:
    Value:
      Ref: Cluster
  ServiceUrl:
    Value: {service_url}
  AlbDnsName:
    Value: {host}
{outputs}"""

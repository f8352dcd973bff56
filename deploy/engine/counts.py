"""The ECS services' live desired counts: what a stack update passes as `<X>DesiredCount`.

CloudFormation sends a service's DesiredCount to ECS whenever an update touches the service, so a
stack update must pass the count the service runs *now* (set by `scale` or by autoscaling), or it
resets the service. The count is read from ECS by the names compute gives the cluster and the
services (`Target.of(cfg)`, from hana_templates/naming.py: `hana-<env>` and `hana-<env>-<service>`),
not through any stack's outputs: that works the same for the separate compute stack and for the
nested master `hana-<env>`, whose outputs hold no ECS names.

- the service is ACTIVE: its desiredCount;
- it does not exist yet (no cluster, ServiceNotFoundException, a MISSING failure, INACTIVE or
  DRAINING, absent from the answer): the template's default (the DeployParameter's, which both
  compute.yaml and main.yaml declare);
- it exists but cannot be read (throttling after the retries, AccessDenied, an endpoint that does
  not answer, any other failure): `CountUnreadable`, one line saying what failed and what to do.
  The update stops before anything is sent: a guessed count (UsePreviousValue is the count of
  the *last deploy*, "0" for a master that never passed one) would stop running tasks.

Exported: Target, CountUnreadable, service_of, desired_count.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from deploy.engine.cfn import THROTTLING, error_code, error_text, is_aws_error
from deploy.errors import DeployError
from hana_templates.config import EnvConfig

SUFFIX = "DesiredCount"
# ECS's answers for a service that does not exist (yet, or any more). DescribeServices reports an
# unknown service as a failure with reason MISSING (ECS Developer Guide, "API failure reasons":
# DescribeServices, MISSING: "The specified service wasn't found"); a service being deleted is
# DRAINING, a deleted one INACTIVE (ECS API reference, Service.status).
_ABSENT_CODES = ("ClusterNotFoundException", "ServiceNotFoundException")
_ABSENT_STATUS = ("INACTIVE", "DRAINING")


@dataclass(frozen=True)
class Target:
    """Where the services run: cluster name and service key -> ECS service name (naming.py's names,
    the ones compute gives them)."""

    cluster: str
    services: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, cfg: EnvConfig) -> Target:
        from hana_templates import naming

        return cls(naming.prefix(cfg), tuple((s.name, naming.name(cfg, s.name)) for s in cfg.services))

    def name(self, key: str) -> str:
        return dict(self.services)[key]

    def resource_id(self, key: str) -> str:
        """Application Auto Scaling's id of the service: `service/hana-dev/hana-dev-api`."""
        return f"service/{self.cluster}/{self.name(key)}"


class CountUnreadable(DeployError):
    """The service exists (or may), but its desired count could not be read: never guess it."""


def service_of(cfg: EnvConfig, parameter: str) -> str | None:
    """`ApiDesiredCount` -> `api`; None for a parameter that is no service's desired count."""
    if not parameter.endswith(SUFFIX):
        return None
    stem = parameter.removesuffix(SUFFIX).lower()
    return next((s.name for s in cfg.services if s.name.replace("-", "").replace("_", "") == stem), None)


def desired_count(call: Callable[..., Any], target: Target, key: str, default: str, parameter: str) -> str:
    """The live desired count of service `key` as a parameter value; `default` when it does not exist.
    `call(operation, **kwargs)` calls ECS (cfn.Api: throttling retried on top of botocore's retries)."""
    name = target.name(key)
    try:
        reply = call("describe_services", cluster=target.cluster, services=[name])
    except Exception as err:
        if not is_aws_error(err):
            raise
        if error_code(err) in _ABSENT_CODES:
            return default
        raise CountUnreadable(_unreadable(parameter, name, target.cluster, err)) from None
    for svc in reply.get("services") or []:
        if svc.get("serviceName") == name or str(svc.get("serviceArn", "")).endswith(f"/{name}"):
            if svc.get("status") in _ABSENT_STATUS:
                return default
            if svc.get("status") != "ACTIVE" or svc.get("desiredCount") is None:
                raise CountUnreadable(
                    f"{parameter}: ECS answered {name} in status {svc.get('status') or 'unknown'} without a "
                    "usable desired count; stopped before updating (a guessed count could stop running tasks): "
                    "deploy again once the service is ACTIVE"
                )
            return str(int(svc["desiredCount"]))
    for failure in reply.get("failures") or []:
        if failure.get("reason") != "MISSING":
            detail = failure.get("detail") or failure.get("reason") or "no reason given"
            raise CountUnreadable(
                f"{parameter}: could not read the desired count of {name} in cluster {target.cluster} "
                f"(DescribeServices failure: {detail}); stopped before updating (a guessed count could stop "
                "running tasks): deploy again when ECS answers"
            )
    return default


def _unreadable(parameter: str, name: str, cluster: str, err: BaseException) -> str:
    from deploy.aws.session import is_unreachable

    code = error_code(err)
    if code in THROTTLING:
        todo = "ECS is throttling this account's calls; deploy again in a minute"
    elif code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation"):
        todo = f"allow ecs:DescribeServices on {name} for this identity, then deploy again"
    elif is_unreachable(err):
        todo = "the ECS endpoint did not answer; deploy again when it does"
    else:
        todo = "deploy again once DescribeServices answers"
    return (
        f"{parameter}: could not read the desired count of {name} in cluster {cluster} "
        f"(DescribeServices: {error_text(err)}); stopped before updating (a guessed count could stop running "
        f"tasks): {todo}"
    )

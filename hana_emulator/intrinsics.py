"""The template language moto lacks: intrinsic functions and dynamic references.

- Fn::GetAZs answers the region's zones (also for `{Ref: AWS::Region}`, where moto produced junk),
  Fn::Cidr and Fn::Length are evaluated (moto: HTTP 500 / returned unevaluated).
- Dynamic references `{{resolve:secretsmanager:<name-or-arn>:SecretString:<json-key>:<stage>:
  <version>}}`, `{{resolve:ssm:<name>[:<version>]}}` and `{{resolve:ssm-secure:...}}` resolve
  from moto's Secrets Manager and SSM anywhere in a property (moto passed them through as text);
  a missing secret or JSON key fails the resource, as in AWS.

Both are evaluated in moto's `parsing.clean_json`, which `_patch_dynamic_references` wraps.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from moto.cloudformation import parsing
from moto.ec2 import models as ec2_models
from moto.secretsmanager.models import secretsmanager_backends
from moto.ssm.models import ssm_backends

_DYNAMIC = re.compile(r"\{\{resolve:(secretsmanager|ssm-secure|ssm):([^}]+)\}\}")


def resolve_dynamic_references(text: str, account_id: str, region_name: str) -> str:
    """Replace every `{{resolve:...}}` in `text` with its value from moto's backends."""

    def one(match: re.Match[str]) -> str:
        service, key = match.group(1), match.group(2)
        if service == "secretsmanager":
            return _secret_value(key, account_id, region_name)
        return _ssm_value(key, account_id, region_name)

    return _DYNAMIC.sub(one, text)


def _secret_value(key: str, account_id: str, region_name: str) -> str:

    parts = key.split(":")
    if parts[0] == "arn":
        secret_id, rest = ":".join(parts[:7]), parts[7:]
    else:
        secret_id, rest = parts[0], parts[1:]
    rest += [""] * (4 - len(rest))
    _, json_key, stage, version = rest[:4]
    backend = secretsmanager_backends[account_id][region_name]
    value = backend.get_secret_value(secret_id=secret_id, version_id=version or None, version_stage=stage or None)
    text = value.get("SecretString") if isinstance(value, dict) else getattr(value, "secret_string", None)
    if text is None:
        raise ResolveError(f"secret {secret_id} has no SecretString")
    if not json_key:
        return text
    try:
        document = json.loads(text)
    except ValueError:
        raise ResolveError(f"secret {secret_id} is not JSON; cannot read key {json_key}") from None
    if json_key not in document:
        raise ResolveError(f"Could not find SecretString key {json_key} in secret {secret_id}")
    return str(document[json_key])


def _ssm_value(key: str, account_id: str, region_name: str) -> str:

    name, _, version = key.partition(":")
    backend = ssm_backends[account_id][region_name]
    parameter = backend.get_parameter(f"{name}:{version}" if version else name)
    if parameter is None:
        raise ResolveError(f"SSM parameter {name} not found")
    return parameter.value


class ResolveError(Exception):
    """A dynamic reference that cannot be resolved (fails the resource, as in AWS)."""


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _get_azs(args: list[Any], resources_map: Any) -> list[str]:
    """Fn::GetAZs: the region's zones from moto's EC2 (moto: a fixed a-d list, and junk such as
    "{'Ref': 'AWS::Region'}a" for `!GetAZs {Ref: AWS::Region}`)."""
    region = args[0] or resources_map._region_name
    zones = ec2_models.ec2_backends[resources_map._account_id][region].describe_availability_zones()
    return sorted(z.name for z in zones)


def _cidr(args: list[Any], resources_map: Any) -> list[str]:
    """Fn::Cidr [block, count, bits] (moto: not implemented, HTTP 500 under Fn::Select)."""
    import ipaddress
    from itertools import islice

    block, count, bits = args
    network = ipaddress.ip_network(str(block), strict=False)
    subnets = network.subnets(new_prefix=network.max_prefixlen - int(bits))
    return [str(n) for n in islice(subnets, int(count))]


def _length(args: list[Any], resources_map: Any) -> int:
    """Fn::Length (moto: returned unevaluated)."""
    value = args[0] if len(args) == 1 and isinstance(args[0], list) else args
    return len(value)


_INTRINSICS: dict[str, Callable[[list[Any], Any], Any]] = {
    "Fn::GetAZs": _get_azs,
    "Fn::Cidr": _cidr,
    "Fn::Length": _length,
}


def _patch_dynamic_references() -> None:

    original = parsing.clean_json

    def clean_json(resource_json: Any, resources_map: Any) -> Any:
        if isinstance(resource_json, dict) and len(resource_json) == 1:
            key, value = next(iter(resource_json.items()))
            if key in _INTRINSICS:
                return _INTRINSICS[key]([clean_json(v, resources_map) for v in _as_list(value)], resources_map)
        result = original(resource_json, resources_map)
        if isinstance(result, str) and "{{resolve:" in result:
            return resolve_dynamic_references(result, resources_map._account_id, resources_map._region_name)
        return result

    parsing.clean_json = clean_json

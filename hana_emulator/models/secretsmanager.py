"""Secrets Manager: AWS::SecretsManager::Secret and SecretTargetAttachment (moto skips both).

Deleted secrets are removed at once (no recovery window), so a stack can be re-created.
"""

from __future__ import annotations

import json
from typing import Any

from moto.rds.models import rds_backends
from moto.secretsmanager.models import secretsmanager_backends

from .base import EmulatorResourceError, Resource, _bool, _int, _tags


class Secret(Resource):
    """AWS::SecretsManager::Secret. Ref: the ARN. GenerateSecretString generates the value (with
    SecretStringTemplate + GenerateStringKey, inside the JSON template). An update changes the
    value only when SecretString or GenerateSecretString itself changed, as CloudFormation does."""

    TYPE = "AWS::SecretsManager::Secret"
    NAME_PROPERTY = "Name"
    ATTRIBUTES = ("Id",)
    CREATE_ONLY = ("Name",)

    @staticmethod
    def _backend(account_id: str, region_name: str) -> Any:
        return secretsmanager_backends[account_id][region_name]

    @classmethod
    def _value(cls, properties: dict[str, Any], backend: Any) -> str | None:
        if "SecretString" in properties:
            return str(properties["SecretString"])
        spec = properties.get("GenerateSecretString")
        if spec is None:
            return None
        generated = json.loads(
            backend.get_random_password(
                password_length=_int(spec.get("PasswordLength")) or 32,
                exclude_characters=spec.get("ExcludeCharacters", ""),
                exclude_numbers=bool(_bool(spec.get("ExcludeNumbers"))),
                exclude_punctuation=bool(_bool(spec.get("ExcludePunctuation"))),
                exclude_uppercase=bool(_bool(spec.get("ExcludeUppercase"))),
                exclude_lowercase=bool(_bool(spec.get("ExcludeLowercase"))),
                include_space=bool(_bool(spec.get("IncludeSpace"))),
                require_each_included_type=_bool(spec.get("RequireEachIncludedType")) is not False,
            )
        )["RandomPassword"]
        template, key = spec.get("SecretStringTemplate"), spec.get("GenerateStringKey")
        if template is not None and key:
            document = json.loads(template)
            document[key] = generated
            return json.dumps(document)
        if (template is None) != (not key):
            raise EmulatorResourceError(
                "InvalidParameterException",
                "GenerateSecretString needs both SecretStringTemplate and GenerateStringKey, or neither",
            )
        return generated

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> Resource:
        backend = cls._backend(account_id, region_name)
        backend.create_secret(
            name=name,
            secret_string=cls._value(properties, backend),
            secret_binary=None,
            description=properties.get("Description"),
            tags=_tags(properties),
            kms_key_id=properties.get("KmsKeyId"),
            client_request_token=None,
            replica_regions=[],
            force_overwrite=False,
        )
        arn = backend.describe_secret(name).arn
        return cls(arn, properties, account_id, region_name)

    def update(self, properties: dict[str, Any]) -> Resource:
        backend = self._backend(self.account_id, self.region_name)
        secret = backend.describe_secret(self.physical_resource_id)
        secret.description = properties.get("Description")
        secret.kms_key_id = properties.get("KmsKeyId")
        if any(self.properties.get(k) != properties.get(k) for k in ("SecretString", "GenerateSecretString")):
            backend.put_secret_value(
                secret_id=self.physical_resource_id,
                secret_string=self._value(properties, backend),
                secret_binary=None,
                client_request_token=None,
                version_stages=["AWSCURRENT"],
            )
        # Tags as CloudFormation sets them: the new set replaces the old (moto's tag_resource takes a
        # {key: value} dict; passing CloudFormation's list failed every update with AttributeError).
        new = {t["Key"]: t["Value"] for t in _tags(properties)}
        gone = [t["Key"] for t in _tags(self.properties) if t["Key"] not in new]
        if gone:
            backend.untag_resource(self.physical_resource_id, gone)
        if new:
            backend.tag_resource(self.physical_resource_id, new)
        self.properties = properties
        return self

    def remove(self) -> None:
        # Deleted without a recovery window, so a re-created stack can reuse the name at once.
        self._backend(self.account_id, self.region_name).delete_secret(
            secret_id=self.physical_resource_id, recovery_window_in_days=None, force_delete_without_recovery=True
        )

    def attribute(self, name: str) -> Any:
        return self.physical_resource_id


class SecretTargetAttachment(Resource):
    """AWS::SecretsManager::SecretTargetAttachment: adds the target's connection details
    (engine, host, port, dbInstanceIdentifier) to the secret's JSON, as AWS does. Ref: the
    secret's ARN."""

    TYPE = "AWS::SecretsManager::SecretTargetAttachment"
    CREATE_ONLY = ("SecretId",)

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> Resource:
        backend = secretsmanager_backends[account_id][region_name]
        secret_id, target_id, target_type = properties["SecretId"], properties["TargetId"], properties["TargetType"]
        if target_type != "AWS::RDS::DBInstance":
            raise EmulatorResourceError(
                "InvalidParameterException",
                f"the emulator attaches secrets to AWS::RDS::DBInstance only, not {target_type}",
            )
        instance = rds_backends[account_id][region_name].describe_db_instances(db_instance_identifier=target_id)[0]
        current = backend.get_secret_value(secret_id=secret_id, version_id=None, version_stage=None)
        document = json.loads(current.get("SecretString") or "{}")
        document.update(
            engine=instance.engine,
            host=instance.address,
            port=int(instance.port),
            dbInstanceIdentifier=instance.db_instance_identifier,
        )
        backend.put_secret_value(
            secret_id=secret_id,
            secret_string=json.dumps(document),
            secret_binary=None,
            client_request_token=None,
            version_stages=["AWSCURRENT"],
        )
        arn = backend.describe_secret(secret_id).arn
        return cls(arn, properties, account_id, region_name)

    def update(self, properties: dict[str, Any]) -> Resource:
        return self.create(self.physical_resource_id, properties, self.account_id, self.region_name)

    def remove(self) -> None:
        pass  # AWS leaves the connection details in the secret


def find_secret(identifier: str, properties: dict[str, Any], account_id: str, region_name: str) -> Resource | None:
    """Resource import (identifier `Id`: the ARN, or the name): the secret, unless it is missing
    or scheduled for deletion (it must be restored first)."""
    secret = secretsmanager_backends[account_id][region_name].secrets.get(identifier)
    if secret is None or getattr(secret, "deleted_date", None):
        return None
    return Secret(secret.arn, properties, account_id, region_name)


def _secret_name(identifier: str) -> str:
    """The name in a secret's ARN (`...:secret:<name>-<6 random characters>`), or the name itself."""
    if ":secret:" not in identifier:
        return identifier
    return identifier.split(":secret:", 1)[1].rsplit("-", 1)[0]

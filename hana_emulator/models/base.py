"""Base of the emulator's resource models, and the helpers they share.

A model implements `create`, `update` (default: replace) and `remove` over its backend, and
`attribute` for the GetAtt names in `ATTRIBUTES`. The physical id (what `Ref` returns) is the
one CloudFormation documents for the type.

`_KeptInStore` is the base of the models moto has no backend for (kept in a dict).
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.core.common_models import CloudFormationModel


class EmulatorResourceError(Exception):
    """A property the emulated service would reject (message as AWS words it where known)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.error_type = code
        self.message = message


class Resource(CloudFormationModel):
    """Base for our models: one CloudFormation resource backed by a moto service backend."""

    TYPE: ClassVar[str] = ""
    NAME_PROPERTY: ClassVar[str] = ""  # the property that names the resource, if any
    ATTRIBUTES: ClassVar[tuple[str, ...]] = ()
    # Properties whose change replaces the resource (CloudFormation's createOnlyProperties).
    CREATE_ONLY: ClassVar[tuple[str, ...]] = ()

    def __init__(self, physical_id: str, properties: dict[str, Any], account_id: str, region_name: str):
        self.physical_resource_id = physical_id
        self.properties = properties
        self.account_id = account_id
        self.region_name = region_name

    # --- what moto's parser calls ---------------------------------------------------------
    @classmethod
    def cloudformation_type(cls) -> str:  # type: ignore[override]
        return cls.TYPE

    @classmethod
    def cloudformation_name_type(cls) -> str:  # type: ignore[override]
        return cls.NAME_PROPERTY

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in cls.ATTRIBUTES

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name not in self.ATTRIBUTES:
            raise UnformattedGetAttTemplateException()
        return self.attribute(attribute_name)

    def is_created(self) -> bool:
        return True

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> Resource:
        properties = cloudformation_json.get("Properties") or {}
        return cls.create(resource_name, properties, account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[override]
        cls,
        original_resource: Resource,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Resource:
        properties = cloudformation_json.get("Properties") or {}
        if any(original_resource.properties.get(p) != properties.get(p) for p in cls.CREATE_ONLY):
            replacement = cls.create(new_resource_name, properties, account_id, region_name)
            original_resource.remove()
            return replacement
        return original_resource.update(properties)

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[override]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        raise RuntimeError(f"{cls.TYPE} {resource_name}: delete goes through the instance")

    def delete(self, account_id: str, region_name: str) -> None:
        try:
            self.remove()
        except (TypeError, AttributeError) as err:  # moto's parser would take these for "no delete()"
            raise RuntimeError(f"{self.TYPE} {self.physical_resource_id}: {err}") from err

    # --- what a model implements ----------------------------------------------------------
    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> Resource:
        raise NotImplementedError

    def update(self, properties: dict[str, Any]) -> Resource:
        """In-place update; the default replaces (create the new one, then remove this one)."""
        replacement = self.create(self.physical_resource_id, properties, self.account_id, self.region_name)
        self.remove()
        return replacement

    def remove(self) -> None:
        raise NotImplementedError

    def attribute(self, name: str) -> Any:
        raise UnformattedGetAttTemplateException()


def _bool(value: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


def _int(value: Any) -> int | None:
    return None if value is None or value == "" else int(value)


def _json_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _tags(properties: dict[str, Any]) -> list[dict[str, str]]:
    return [{"Key": t["Key"], "Value": str(t["Value"])} for t in properties.get("Tags") or []]


class _KeptInStore(Resource):
    """A resource moto has no backend for, kept in a dict its subclass's `_store` returns."""

    @staticmethod
    def _store(account_id: str, region_name: str) -> dict[str, Any]:
        raise NotImplementedError

    def update(self, properties: dict[str, Any]) -> Resource:
        self._store(self.account_id, self.region_name)[self.physical_resource_id] = dict(properties)
        self.properties = properties
        return self

    def remove(self) -> None:
        self._store(self.account_id, self.region_name).pop(self.physical_resource_id, None)

"""ACM: AWS::CertificateManager::Certificate (moto skips it)."""

from __future__ import annotations

from typing import Any

from moto.acm.models import acm_backends

from .base import Resource, _tags


class Certificate(Resource):
    """AWS::CertificateManager::Certificate. Ref: the ARN. (moto issues it without validation.)"""

    TYPE = "AWS::CertificateManager::Certificate"
    CREATE_ONLY = ("DomainName", "SubjectAlternativeNames", "ValidationMethod", "DomainValidationOptions")

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> Resource:
        arn = acm_backends[account_id][region_name].request_certificate(
            domain_name=properties["DomainName"],
            idempotency_token=None,
            subject_alt_names=list(properties.get("SubjectAlternativeNames") or []),
            tags=_tags(properties),
        )
        return cls(arn, properties, account_id, region_name)

    def update(self, properties: dict[str, Any]) -> Resource:
        self.properties = properties
        return self

    def remove(self) -> None:
        acm_backends[self.account_id][self.region_name].delete_certificate(self.physical_resource_id)

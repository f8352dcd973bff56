"""SNS: AWS::SNS::Subscription and TopicPolicy (moto skips both)."""

from __future__ import annotations

from typing import Any

from moto.sns.models import sns_backends

from .base import Resource, _bool, _json_text


class Subscription(Resource):
    """AWS::SNS::Subscription. Ref and GetAtt Arn: the subscription ARN. Email subscriptions stay
    pending confirmation (moto sends nothing)."""

    TYPE = "AWS::SNS::Subscription"
    ATTRIBUTES = ("Arn",)
    CREATE_ONLY = ("TopicArn", "Protocol", "Endpoint")
    _ATTRIBUTE_PROPERTIES = (
        "RawMessageDelivery",
        "FilterPolicy",
        "FilterPolicyScope",
        "RedrivePolicy",
        "DeliveryPolicy",
    )

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> Resource:
        backend = sns_backends[account_id][region_name]
        subscription = backend.subscribe(properties["TopicArn"], properties["Endpoint"], properties["Protocol"])
        resource = cls(subscription.arn, properties, account_id, region_name)
        resource._set_attributes(properties)
        return resource

    def _set_attributes(self, properties: dict[str, Any]) -> None:
        backend = sns_backends[self.account_id][self.region_name]
        for key in self._ATTRIBUTE_PROPERTIES:
            if key in properties:
                value = properties[key]
                if key == "RawMessageDelivery":
                    value = str(bool(_bool(value))).lower()
                backend.set_subscription_attributes(self.physical_resource_id, key, _json_text(value))

    def update(self, properties: dict[str, Any]) -> Resource:
        self._set_attributes(properties)
        self.properties = properties
        return self

    def remove(self) -> None:
        sns_backends[self.account_id][self.region_name].unsubscribe(self.physical_resource_id)

    def attribute(self, name: str) -> Any:
        return self.physical_resource_id


class TopicPolicy(Resource):
    """AWS::SNS::TopicPolicy: sets each topic's Policy attribute; removal restores the default."""

    TYPE = "AWS::SNS::TopicPolicy"

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> Resource:
        backend = sns_backends[account_id][region_name]
        for arn in properties["Topics"]:
            backend.set_topic_attribute(arn, "policy", _json_text(properties["PolicyDocument"]))
        return cls(name, properties, account_id, region_name)

    def update(self, properties: dict[str, Any]) -> Resource:
        self.remove()
        return self.create(self.physical_resource_id, properties, self.account_id, self.region_name)

    def remove(self) -> None:
        backend = sns_backends[self.account_id][self.region_name]
        for arn in self.properties["Topics"]:
            topic = backend.topics.get(arn)
            if topic is not None:
                topic._policy_json = topic._create_default_topic_policy(self.region_name, self.account_id, topic.name)

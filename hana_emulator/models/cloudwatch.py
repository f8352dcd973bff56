"""CloudWatch: AWS::CloudWatch::Alarm, single metric or metric math (moto skips it)."""

from __future__ import annotations

from typing import Any

from moto.cloudwatch.models import Dimension, Metric, MetricDataQuery, MetricStat, cloudwatch_backends

from .base import Resource, _bool, _int, _tags


class Alarm(Resource):
    """AWS::CloudWatch::Alarm (single metric or metric math). Ref: the name; GetAtt Arn."""

    TYPE = "AWS::CloudWatch::Alarm"
    NAME_PROPERTY = "AlarmName"
    ATTRIBUTES = ("Arn",)
    CREATE_ONLY = ("AlarmName",)

    @staticmethod
    def _queries(metrics: list[dict[str, Any]] | None) -> list[Any] | None:
        if not metrics:
            return None
        queries = []
        for metric in metrics:
            stat = metric.get("MetricStat")
            metric_stat = None
            if stat:
                inner = stat.get("Metric") or {}
                metric_stat = MetricStat(
                    metric=Metric(
                        metric_name=inner.get("MetricName"),
                        namespace=inner.get("Namespace"),
                        dimensions=[Dimension(d["Name"], d["Value"]) for d in inner.get("Dimensions") or []],
                    ),
                    period=stat.get("Period"),
                    stat=stat.get("Stat"),
                    unit=stat.get("Unit"),
                )
            queries.append(
                MetricDataQuery(
                    query_id=metric.get("Id"),
                    label=metric.get("Label"),
                    period=metric.get("Period"),
                    return_data=metric.get("ReturnData"),
                    expression=metric.get("Expression"),
                    metric_stat=metric_stat,
                )
            )
        return queries

    @classmethod
    def create(cls, name: str, properties: dict[str, Any], account_id: str, region_name: str) -> Resource:
        p = properties
        cloudwatch_backends[account_id][region_name].put_metric_alarm(
            name=name,
            namespace=p.get("Namespace"),
            metric_name=p.get("MetricName"),
            comparison_operator=p["ComparisonOperator"],
            evaluation_periods=_int(p["EvaluationPeriods"]),
            period=_int(p.get("Period")),
            threshold=float(p["Threshold"]) if p.get("Threshold") is not None else None,
            statistic=p.get("Statistic"),
            description=p.get("AlarmDescription"),
            dimensions=[{"Name": d["Name"], "Value": str(d["Value"])} for d in p.get("Dimensions") or []],
            alarm_actions=list(p.get("AlarmActions") or []),
            metric_data_queries=cls._queries(p.get("Metrics")),
            datapoints_to_alarm=_int(p.get("DatapointsToAlarm")),
            extended_statistic=p.get("ExtendedStatistic"),
            ok_actions=list(p.get("OKActions") or []),
            insufficient_data_actions=list(p.get("InsufficientDataActions") or []),
            unit=p.get("Unit"),
            actions_enabled=_bool(p.get("ActionsEnabled")) is not False,
            treat_missing_data=p.get("TreatMissingData"),
            evaluate_low_sample_count_percentile=p.get("EvaluateLowSampleCountPercentile"),
            threshold_metric_id=p.get("ThresholdMetricId"),
            tags=_tags(p),
        )
        return cls(name, properties, account_id, region_name)

    def update(self, properties: dict[str, Any]) -> Resource:
        self.create(self.physical_resource_id, properties, self.account_id, self.region_name)
        self.properties = properties
        return self

    def remove(self) -> None:
        cloudwatch_backends[self.account_id][self.region_name].delete_alarms([self.physical_resource_id])

    def attribute(self, name: str) -> Any:
        return cloudwatch_backends[self.account_id][self.region_name].alarms[self.physical_resource_id].alarm_arn

"""The spec's own estimate, line by line beside ours, with the reason for each difference."""

import pytest

from hana_cost.estimate import estimate
from hana_cost.inventory import Inventory
from hana_cost.spec_table import SPEC, SPEC_TOTALS, reconcile
from hana_templates import config
from tests.cost import synthetic


def test_the_spec_tables_are_transcribed_whole():
    assert sum(line.monthly for line in SPEC["dev"]) == SPEC_TOTALS["dev"] == 260
    assert sum(line.monthly for line in SPEC["prod"]) == 881  # the spec prints ~$880
    assert len(SPEC["dev"]) == 11 and len(SPEC["prod"]) == 13


def test_dev_reconciliation_keeps_the_spec_order_and_explains_the_known_gaps():
    rows = reconcile(estimate(config.get("dev"), Inventory(synthetic.templates())))
    assert [r.service for r in rows[: len(SPEC["dev"])]] == [s.service for s in SPEC["dev"]]
    why = {r.service: r.why for r in rows}
    assert "public IPv4" in why["NAT Gateway"] and "$3.65" in why["NAT Gateway"]
    assert "one address per AZ node" in why["Application Load Balancer"] and "$7.30" in why["Application Load Balancer"]
    assert "4 x 2 AZ = $58.40" in why["VPC Endpoints"] and "($29.20)" in why["VPC Endpoints"]
    assert why["RDS PostgreSQL"].startswith("same resources")
    extra = {r.service: r for r in rows[len(SPEC["dev"]) :]}
    assert extra["KMS"].spec is None and "not in the spec's table" in extra["KMS"].why
    for row in rows:
        assert row.why, row.service


def test_prod_reconciliation_names_multi_az_and_the_autoscaling_maximum():
    tmpl = synthetic.templates(prefix="hana-prod", nat=2, multi_az=True, db_class="db.r6g.large", storage_gb=100)
    rows = {r.service: r for r in reconcile(estimate(config.get("prod"), Inventory(tmpl)))}
    assert "Multi-AZ bills the standby" in rows["RDS PostgreSQL"].why
    assert rows["RDS PostgreSQL"].ours == pytest.approx(2 * 730 * 0.225 + 2 * 100 * 0.115)
    assert "autoscaling maximum" in rows["ECS Fargate"].why


def test_an_environment_without_a_spec_table_has_no_reconciliation():
    est = estimate(config.get("dev"), Inventory(synthetic.templates()))
    est = type(est)("lean-dev", est.lines, est.prices, est.usage)
    assert reconcile(est) == []

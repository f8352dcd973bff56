"""--refresh: current prices from the AWS Price List API, exercised with botocore's Stubber; and the
one-line failure without credentials."""

import json

import boto3
import pytest
from botocore.stub import Stubber

from hana_cost import refresh
from hana_cost.errors import CostError


def _product(usagetype: str, usd: str, begin: str = "0") -> str:
    return json.dumps(
        {
            "product": {"attributes": {"usagetype": usagetype, "location": "US East (N. Virginia)"}},
            "terms": {
                "OnDemand": {
                    "SKU.T": {
                        "priceDimensions": {
                            "SKU.T.free": {"beginRange": "0", "pricePerUnit": {"USD": "0.0000000000"}},
                            "SKU.T.paid": {"beginRange": begin, "pricePerUnit": {"USD": usd}},
                        }
                    }
                }
            },
        }
    )


@pytest.fixture
def pricing():
    client = boto3.client("pricing", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    with Stubber(client) as stub:
        yield client, stub


def test_refresh_reads_each_price_and_keeps_the_stored_one_when_unsure(pricing):
    client, stub = pricing
    answers = {
        "nat.hour": [_product("NatGateway-Hours", "0.0480000000")],  # bare usage type (us-east-1 legacy)
        "fargate.arm.vcpu_hour": [_product("USE1-Fargate-ARM-vCPU-Hours:perCPU", "0.0323800000")],
        "sqs.fifo_million": [_product("USE1-Requests-FIFO-Tier1", "0.0000005000", begin="1000000")],
        # two different prices for one key: ambiguous, so the stored price stays
        "alb.hour": [_product("LoadBalancerUsage", "0.0225"), _product("USE1-LoadBalancerUsage", "0.03")],
    }
    for key, q in refresh.QUERIES.items():
        expected = {
            "ServiceCode": q.service,
            "Filters": refresh._filters(q),
            "FormatVersion": "aws_v1",
            "MaxResults": 100,
        }
        stub.add_response("get_products", {"PriceList": answers.get(key, []), "FormatVersion": "aws_v1"}, expected)
    result = refresh.refresh(client=client)
    stub.assert_no_pending_responses()
    assert result.prices == pytest.approx(
        {"nat.hour": 0.048, "fargate.arm.vcpu_hour": 0.03238, "sqs.fifo_million": 0.5}  # per request x 1M
    )
    assert "alb.hour" in result.kept and "nat.hour" not in result.kept
    assert result.changes() == ["nat.hour: stored $0.045 (of 2026-11) -> now $0.048"]


def test_refresh_reports_an_api_failure_in_one_line(pricing):
    client, stub = pricing
    stub.add_client_error("get_products", "AccessDeniedException", "not allowed to call GetProducts")
    with pytest.raises(CostError, match=r"^--refresh: the Price List API refused the request: .*not allowed") as err:
        refresh.refresh(client=client)
    assert "\n" not in str(err.value)


def test_refresh_without_credentials_is_one_clear_line(monkeypatch, tmp_path):
    for var in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(CostError, match=r"needs AWS credentials; none found") as err:
        refresh.refresh()
    assert "\n" not in str(err.value)

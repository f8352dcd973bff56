"""A service moto does not emulate (the Price List API) gets an AWS-style error from the emulator,
not an HTML 500 page, retries and a traceback in the emulator's terminal (issue #17)."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError


def test_the_price_list_api_is_answered_not_implemented_without_a_traceback(emu, capfd):
    with pytest.raises(ClientError) as err:
        emu.client("pricing").get_products(ServiceCode="AmazonEC2", MaxResults=1)
    reply = err.value.response
    assert reply["Error"]["Code"] == "NotImplemented"
    assert "does not implement the pricing API (GetProducts)" in reply["Error"]["Message"]
    assert reply["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert reply["ResponseMetadata"].get("RetryAttempts", 0) == 0  # not a transient 5xx: no retries
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err + captured.out
    assert "Unable to find appropriate backend" not in captured.out


def test_a_query_protocol_request_gets_the_query_error_document(emu):
    request = urllib.request.Request(
        emu.url,
        data=b"Action=DescribeThings&Version=2020-01-01",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20261205/us-east-1/nosuchservice/aws4_request, "
            "SignedHeaders=host, Signature=0",
        },
    )
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=5)  # noqa: S310 - the loopback emulator
    assert err.value.code == 501
    body = err.value.read().decode()
    assert "<Code>NotImplemented</Code>" in body and "nosuchservice API (DescribeThings)" in body


def test_services_moto_has_still_work(emu):
    assert emu.client("sqs").create_queue(QueueName="q")["QueueUrl"].endswith("/q")

"""Bucket policies on the emulator (issue #13): the TLS-only statement every bucket carries does
not block the emulator's http endpoint (it stands in for AWS's https), other statements still
apply. Driven through the S3 API."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

TLS_ONLY = {
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": ["arn:aws:s3:::bucket-one", "arn:aws:s3:::bucket-one/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}
DENY_PUT = {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::bucket-one/*"}


def _bucket(emu, *statements):
    s3 = emu.client("s3")
    s3.create_bucket(Bucket="bucket-one")
    s3.put_bucket_policy(
        Bucket="bucket-one", Policy=json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
    )
    return s3


def test_the_tls_only_statement_lets_the_emulators_requests_through(emu):
    s3 = _bucket(emu, TLS_ONLY)
    s3.put_object(Bucket="bucket-one", Key="k", Body=b"data")
    assert s3.get_object(Bucket="bucket-one", Key="k")["Body"].read() == b"data"


@pytest.mark.parametrize("statements", [[DENY_PUT], [TLS_ONLY, DENY_PUT]], ids=["deny", "tls-only-and-deny"])
def test_other_deny_statements_still_apply(emu, statements):
    s3 = _bucket(emu, *statements)
    with pytest.raises(ClientError, match="Forbidden|AccessDenied"):
        s3.put_object(Bucket="bucket-one", Key="k", Body=b"data")

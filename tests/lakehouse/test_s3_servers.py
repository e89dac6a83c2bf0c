"""The local S3 servers other tests rely on (tests/s3_server.py, scripts/ci/)."""

from __future__ import annotations

import dataclasses

import botocore.exceptions
import pytest

from tests.s3_server import S3Server

pytestmark = pytest.mark.s3


def test_moto_round_trip_and_down_inside_stopped(moto_s3: S3Server) -> None:
    bucket = moto_s3.new_bucket("fixture")
    moto_s3.client().put_object(Bucket=bucket, Key="a/b.txt", Body=b"hello")
    assert moto_s3.client().get_object(Bucket=bucket, Key="a/b.txt")["Body"].read() == b"hello"
    endpoint = moto_s3.endpoint_url
    with moto_s3.stopped():
        assert not moto_s3.running
        with pytest.raises(botocore.exceptions.EndpointConnectionError):
            moto_s3.client().list_buckets()
    assert moto_s3.running
    assert moto_s3.endpoint_url == endpoint
    assert moto_s3.client().list_buckets()["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_rclone_keeps_objects_across_restart_and_checks_keys(rclone_s3: S3Server) -> None:
    bucket = rclone_s3.new_bucket("durable")
    rclone_s3.client().put_object(Bucket=bucket, Key="k", Body=b"kept")
    rclone_s3.restart()
    assert rclone_s3.client().get_object(Bucket=bucket, Key="k")["Body"].read() == b"kept"
    assert (rclone_s3.data_dir / bucket / "k").read_bytes() == b"kept"
    assert rclone_s3.env()["AWS_RESPONSE_CHECKSUM_VALIDATION"] == "when_required"
    wrong = dataclasses.replace(rclone_s3, secret_key="wrong-secret")
    with pytest.raises(botocore.exceptions.ClientError, match="SignatureDoesNotMatch"):
        wrong.client().list_buckets()

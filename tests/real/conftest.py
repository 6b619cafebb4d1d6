"""What the backup and restore tests share: an S3-compatible server, the age keys backups are encrypted to and the
server's signing key, one of each per test module."""

from collections.abc import Iterator

import pytest

from tests.real.servers import AgeKeys, S3Server, SigningKey, age_keys, s3_server, signing_key


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    with s3_server() as server:
        yield server


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> AgeKeys:
    return age_keys(tmp_path_factory.mktemp("age"))


@pytest.fixture(scope="module")
def signing(tmp_path_factory: pytest.TempPathFactory) -> SigningKey:
    return signing_key(tmp_path_factory.mktemp("signing"))

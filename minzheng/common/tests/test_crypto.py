import base64

import pytest
from cryptography.exceptions import InvalidTag
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from minzheng.common import crypto

OLD = "7:" + base64.b64encode(bytes(range(32))).decode()
NEW = "9:" + base64.b64encode(bytes(range(32, 64))).decode()


def test_bulk_decryption_reads_tokens_of_the_newest_and_of_an_older_key():
    with override_settings(PII_KEYS=[OLD]):
        old = [crypto.encrypt(f"62220{i:03d}1234", purpose="bank") for i in range(3)]
    with override_settings(PII_KEYS=[NEW, OLD]):
        new = [crypto.encrypt(f"95599{i:03d}5678", purpose="bank") for i in range(3)]
        tokens = [new[0], old[0], new[1], old[1], old[2], new[2]]
        assert {token[0] for token in tokens} == {7, 9}
        values = crypto.bulk_decryptor(purpose="bank")(tokens)
        assert values == [crypto.decrypt(token, purpose="bank") for token in tokens]
        assert values[:2] == ["955990005678", "622200001234"]
        assert crypto.bulk_decryptor(purpose="bank")([]) == []


def test_bulk_decryption_refuses_an_unknown_key_and_another_purpose():
    with override_settings(PII_KEYS=[OLD]):
        token = crypto.encrypt("6222000012345678", purpose="bank")
        with pytest.raises(InvalidTag):
            crypto.bulk_decryptor(purpose="id_number")([token])
    with override_settings(PII_KEYS=[NEW]), pytest.raises(ImproperlyConfigured):
        crypto.bulk_decryptor(purpose="bank")([token])

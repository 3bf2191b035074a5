import base64

import pytest
from cryptography.exceptions import InvalidTag

from minzheng.common import crypto
from minzheng.common.masking import mask_id_number, mask_name, mask_phone

NEW_KEY = "2:" + base64.b64encode(b"n" * 32).decode()


def test_round_trip_and_fresh_nonce():
    first = crypto.encrypt("330402196805040117", purpose="person.id_number")
    second = crypto.encrypt("330402196805040117", purpose="person.id_number")
    assert first != second
    assert crypto.decrypt(first, purpose="person.id_number") == "330402196805040117"


def test_value_cannot_move_to_another_column():
    token = crypto.encrypt("6222020000000000", purpose="payee.bank_account")
    with pytest.raises(InvalidTag):
        crypto.decrypt(token, purpose="person.id_number")


def test_key_rotation_keeps_old_values_readable(settings):
    old = crypto.encrypt("330402196805040117", purpose="p")
    settings.PII_KEYS = [NEW_KEY, *settings.PII_KEYS]
    new = crypto.encrypt("330402196805040117", purpose="p")
    assert new[0] == 2 and old[0] == 1
    assert crypto.decrypt(old, purpose="p") == crypto.decrypt(new, purpose="p")


def test_blind_index_is_keyed_and_stable(settings):
    digest = crypto.blind_index("330402196805040117", purpose="person.id_number")
    assert digest == crypto.blind_index("330402196805040117", purpose="person.id_number")
    assert digest != crypto.blind_index("330402196805040117", purpose="other")
    settings.PII_BLIND_INDEX_KEY = base64.b64encode(b"k" * 32).decode()
    assert digest != crypto.blind_index("330402196805040117", purpose="person.id_number")


def test_masks():
    assert mask_id_number("33040219680504011X") == "330402********011X"
    assert mask_phone("13900000011") == "139****0011"
    assert mask_name("张建国") == "张*国"
    assert mask_name("李四") == "李*"

"""Every column says what kind of data it holds (the privacy tooling reads these)."""

from callbridge.db.base import INVENTORY_CLASSES, Base
from callbridge.db.models import SealedSecret


def test_every_column_carries_a_data_inventory_class():
    missing = [
        f"{table.name}.{column.name}"
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if column.info.get("inventory") not in INVENTORY_CLASSES
    ]
    assert missing == []


def test_vault_columns_are_sealed():
    columns = SealedSecret.__table__.columns
    assert columns["ciphertext"].info["inventory"] == "sealed"
    assert columns["wrapped_key"].info["inventory"] == "sealed"

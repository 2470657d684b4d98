"""docs/privacy.md and the export schema are generated from the code and kept current."""

from pathlib import Path

from callbridge.cli.docs import generated_files, permission_table
from callbridge.config import Settings
from callbridge.privacy.inventory import data_inventory
from tests.web.test_roles import EXPECTED

ROOT = Path(__file__).resolve().parents[2]


def test_generated_documents_are_current():
    for path, text in generated_files().items():
        target = ROOT / path if not path.is_absolute() else path
        assert target.read_text() == text, f"{path} is out of date: run 'callbridge docs generate'"


def test_every_table_says_what_it_is_for():
    assert [e.table for e in data_inventory(Settings.model_construct()) if not e.purpose] == []


def test_the_published_permission_table_is_the_one_the_role_test_enforces():
    published = {(method, path): set(roles) for method, path, roles in permission_table()}
    assert published == EXPECTED

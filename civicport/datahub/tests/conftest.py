"""Fixtures of the datahub tests: a private data directory, agencies and publishers."""

import pytest

from civicport.core.models import Agency, Role
from civicport.core.tests.factories import agency, officer


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "var"
    settings.DATA_DIR.mkdir()
    return settings.DATA_DIR


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def department(db):
    return agency(name="Sở Giáo dục và Đào tạo", kind=Agency.Kind.DEPARTMENT)


@pytest.fixture
def other_department(db):
    return agency(name="Sở Y tế", kind=Agency.Kind.DEPARTMENT)


@pytest.fixture
def publisher(department):
    return officer(agencies_roles=[(department, Role.PROCESSOR)])


@pytest.fixture
def outsider(other_department):
    return officer(agencies_roles=[(other_department, Role.PROCESSOR)])

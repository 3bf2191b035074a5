"""Collect the OpenFisca YAML tests of ``minzheng/rules/tests/`` as pytest items.

Each test of a YAML file is one pytest item, run by OpenFisca's own test machinery
(``openfisca_core.tools.test_runner.YamlItem``) against the Jiaxing system: a failing
expectation fails the suite like any other test. No database is needed.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openfisca_core.tools import test_runner

from minzheng.rules.system import TESTS_DIR, tax_benefit_system

YAML_SUFFIXES = {".yaml", ".yml"}


class RulesYamlFile(test_runner.YamlFile):
    """A YAML file of rule tests: one item per test, named after the test's ``name``."""

    def collect(self) -> Iterator[pytest.Item]:
        try:
            with open(self.path, encoding="utf-8") as file:
                tests: Any = test_runner.yaml.load(file, Loader=test_runner.Loader)
        except (test_runner.yaml.YAMLError, TypeError) as error:
            message = os.linesep.join(
                [traceback.format_exc(), f"'{self.path}' is not a valid YAML test file."]
            )
            raise ValueError(message) from error
        if tests is None:
            return
        if not isinstance(tests, list):
            tests = [tests]
        for index, test in enumerate(tests, start=1):
            if self.should_ignore(test):
                continue
            yield test_runner.YamlItem.from_parent(
                self,
                name=str(test.get("name") or f"test {index}"),
                baseline_tax_benefit_system=self.tax_benefit_system,
                test=test,
                options=self.options,
            )


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix not in YAML_SUFFIXES or TESTS_DIR not in file_path.parents:
        return None
    return RulesYamlFile.from_parent(
        parent,
        path=file_path,
        tax_benefit_system=tax_benefit_system(),
        options={},
    )

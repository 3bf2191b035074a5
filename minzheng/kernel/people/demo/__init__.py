"""The deterministic demo register: villages and grids, households, persons, demo accounts."""

from minzheng.kernel.people.demo.loader import SCALES, SeedReport, seed_demo

__all__ = ["SCALES", "SeedReport", "seed_demo"]

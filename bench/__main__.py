"""python -m bench: seed a benchmark database at city scale, then time person search.

Without DATABASE_URL it creates its own database on the local PostgreSQL (127.0.0.1:5432,
user postgres) and recreates it on every run unless --keep is given. A DATABASE_URL is used
as it is: seeded only if its register is empty, never dropped.
"""

from __future__ import annotations

import argparse
import os
import sys


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scale", choices=("demo", "county", "city"), default="city")
    parser.add_argument("--households", type=int, default=None, help="override the scale")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--queries", type=int, default=200, help="search queries per actor")
    parser.add_argument("--database", default="minzheng_bench", help="local database name")
    parser.add_argument(
        "--keep", action="store_true", help="reuse an already seeded database (skip seeding)"
    )
    parser.add_argument("--no-search", action="store_true", help="only measure seeding")
    parser.add_argument(
        "--tracemalloc", action="store_true", help="also trace the Python heap (slower)"
    )
    parser.add_argument(
        "--source-import",
        type=int,
        default=1_000_000,
        metavar="ROWS",
        help="rows of the verification source-import benchmark (0 skips it)",
    )
    parser.add_argument(
        "--determination",
        action="store_true",
        help="time the bulk determination and the what-if preview (city scale)",
    )
    parser.add_argument(
        "--payroll",
        action="store_true",
        help="time a monthly payroll of 150,000 households to bank files (city scale)",
    )
    parser.add_argument(
        "--recalculation",
        action="store_true",
        help="time the city-wide recalculation of enrolments after a standard change",
    )
    return parser.parse_args()


def main() -> None:
    args = _arguments()
    from bench import database

    target = database.choose(args.database)
    if target.owned:
        if args.keep:
            database.create_if_missing(args.database)
        else:
            database.recreate(args.database)
    os.environ["DATABASE_URL"] = target.url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench import search, seeding
    from minzheng.kernel.people.models import Person

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    if connection.vendor != "postgresql":
        print("note: city scale is meant for PostgreSQL; SQLite loads it slowly.")
    call_command("migrate", verbosity=0, interactive=False)
    if Person.objects.exists():
        print(f"reusing the seeded register ({Person.objects.count():,} persons)")
    else:
        seeding.show(
            seeding.run(
                scale=args.scale, seed=args.seed, households=args.households, trace=args.tracemalloc
            )
        )
    if not args.no_search:
        search.run(count=args.queries, seed=args.seed)
    if args.source_import:
        from bench import source_import

        source_import.show(source_import.run(rows=args.source_import, seed=args.seed))
    if args.determination:
        from bench import determination

        determination.show(determination.run())
    if args.payroll:
        from bench import payroll

        payroll.show(payroll.run(seed=args.seed))
    if args.recalculation:
        from bench import recalculation

        recalculation.show(recalculation.run())
    sys.stdout.flush()


if __name__ == "__main__":
    main()

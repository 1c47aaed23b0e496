"""Moving the test database to a given migration state, for tests of data migrations."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate(targets: list[tuple[str, str]]):
    """Migrate to `targets` (forwards or backwards); the apps registry of that state."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest_but(app: str, name: str) -> list[tuple[str, str]]:
    """Every app at its latest migration, `app` at `name`."""
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    return [(app, name)] + [leaf for leaf in leaves if leaf[0] != app]


def migrate_to_latest() -> None:
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

import pytest

from stories import tasks


@pytest.fixture
def retries_run_in_process(monkeypatch):
    """Eager tasks run Celery's retries in-process when the Retry they raise does not propagate."""
    monkeypatch.setitem(tasks.audio_generate_task.app.conf, "task_eager_propagates", False)

"""params is gone: 0006 moved what it carried into typed fields (in its own transaction, as
PostgreSQL alters no table with the data migration's row changes pending)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("stories", "0008_job_typed_fields")]

    operations = [migrations.RemoveField(model_name="generationjob", name="params")]

# The notices (InboxItem) now belong to civicgrid.notices, which took over the table in its
# 0001 (state only); here the model leaves this app's state, and nothing in the database
# changes.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0007_case_status_area_due_index"),
        ("notices", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="InboxItem")],
            database_operations=[],
        ),
    ]

# Notices move out of cases into their own app (issue 11): the table cases_inboxitem is
# taken over as it is (state only); 0002 gives it this app's name.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("areas", "0002_builtin_positions"),
        ("cases", "0007_case_status_area_due_index"),
        ("units", "0002_builtin_specialties"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Notice",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                                   serialize=False, verbose_name="ID")),
                        ("kind", models.CharField(choices=[
                            ("reminder", "催办"), ("supervision", "督办"),
                            ("escalation", "超时升级"), ("handoff", "对接待签收"),
                            ("extension", "延期待审批"), ("judicial", "司法确认提醒"),
                            ("overdue", "超时"), ("weekly_check", "周排查未报"),
                            ("area_status", "区域预警变化")], max_length=12)),
                        ("message", models.CharField(max_length=300)),
                        ("created_at", models.DateTimeField()),
                        ("read_at", models.DateTimeField(blank=True, null=True)),
                        ("area", models.ForeignKey(
                            blank=True, null=True, on_delete=django.db.models.deletion.CASCADE,
                            related_name="inbox_items", to="areas.area")),
                        ("case", models.ForeignKey(
                            blank=True, null=True, on_delete=django.db.models.deletion.CASCADE,
                            related_name="inbox_items", to="cases.case")),
                        ("unit", models.ForeignKey(
                            blank=True, null=True, on_delete=django.db.models.deletion.CASCADE,
                            related_name="inbox_items", to="units.unit")),
                        ("user", models.ForeignKey(
                            blank=True, null=True, on_delete=django.db.models.deletion.CASCADE,
                            related_name="inbox_items", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "verbose_name": "通知",
                        "verbose_name_plural": "通知",
                        "ordering": ["-created_at", "-id"],
                        "db_table": "cases_inboxitem",
                        "indexes": [
                            models.Index(fields=["user", "read_at", "id"],
                                         name="cases_inbox_user"),
                            models.Index(fields=["unit", "read_at", "id"],
                                         name="cases_inbox_unit")],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("user__isnull", False),
                                                   ("unit__isnull", False), _connector="OR"),
                                name="cases_inbox_target"),
                            models.CheckConstraint(
                                condition=models.Q(("case__isnull", False),
                                                   ("area__isnull", False), _connector="OR"),
                                name="cases_inbox_subject")],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]

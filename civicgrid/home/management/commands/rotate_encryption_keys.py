from django.core.management.base import BaseCommand
from django.db import transaction

from civicgrid.accounts.models import TOTPDevice
from civicgrid.audit.context import acting_from
from civicgrid.audit.events import AuditEventType
from civicgrid.audit.services import audit_record
from civicgrid.cases.models import Party
from civicgrid.core.crypto import reencrypt_text
from civicgrid.open311.models import Open311Request
from civicgrid.webhooks.models import WebhookEndpoint

# Every encrypted column: (model, field). New encrypted fields are added here.
ENCRYPTED_FIELDS = [(TOTPDevice, "secret_encrypted"), (Party, "id_number_encrypted"),
                    (Party, "phone_encrypted"), (WebhookEndpoint, "secret_encrypted"),
                    (Open311Request, "email_encrypted")]


class Command(BaseCommand):
    help = "Re-encrypt every encrypted value under the newest FIELD_ENCRYPTION_KEYS key."

    def handle(self, *args, **options):
        total = 0
        with acting_from("127.0.0.1"), transaction.atomic():
            for model, field in ENCRYPTED_FIELDS:
                rows = list(model.objects.select_for_update().exclude(**{field: ""})
                            .only("pk", field))
                for row in rows:
                    setattr(row, field, reencrypt_text(getattr(row, field)))
                model.objects.bulk_update(rows, [field], batch_size=500)
                total += len(rows)
                self.stdout.write(f"{model._meta.label}.{field}: {len(rows)} re-encrypted")
            audit_record(actor=None, username="system",
                         event_type=AuditEventType.CRYPTO_KEYS_ROTATED,
                         details={"values": total})
        self.stdout.write(self.style.SUCCESS(f"Done: {total} values under the newest key."))

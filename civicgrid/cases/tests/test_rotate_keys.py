from io import StringIO

from cryptography.fernet import Fernet
from django.core.management import call_command

from civicgrid.cases.models import Party
from civicgrid.cases.services import PartyInput
from civicgrid.cases.tests.conftest import new_case
from civicgrid.core import crypto


def test_rotation_re_encrypts_every_value_under_the_new_key(office, settings):
    case = new_case(office, parties=[PartyInput(role="applicant", name="王五",
                                                id_number="11010519491231002X",
                                                phone="13812345678"),
                                     PartyInput(role="respondent", name="赵六")])
    old = Party.objects.get(case=case, name="王五").id_number_encrypted
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, *settings.FIELD_ENCRYPTION_KEYS]
    out = StringIO()
    call_command("rotate_encryption_keys", stdout=out)
    assert "cases.Party.id_number_encrypted: 1 re-encrypted" in out.getvalue()
    party = Party.objects.get(case=case, name="王五")
    assert party.id_number_encrypted != old
    # Readable with the new key alone.
    assert Fernet(new_key.encode()).decrypt(party.id_number_encrypted.encode()).decode() \
        == "11010519491231002X"
    assert crypto.decrypt_text(party.phone_encrypted) == "13812345678"
    assert Party.objects.get(case=case, name="赵六").id_number_encrypted == ""

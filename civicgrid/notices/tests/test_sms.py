"""The text-message port (civicgrid/notices/sms.py): backends chosen by SMS_BACKEND."""

from __future__ import annotations

import logging

from civicgrid.notices import sms


def test_locmem_backend_keeps_messages(settings):
    settings.SMS_BACKEND = "civicgrid.notices.sms.LocmemBackend"
    sms.outbox.clear()
    sms.sms_send("13812345678", "您的评价链接")
    assert sms.outbox == [sms.Sms("13812345678", "您的评价链接")]
    sms.outbox.clear()


def test_log_backend_masks_the_phone(settings, caplog):
    settings.SMS_BACKEND = "civicgrid.notices.sms.LogBackend"
    with caplog.at_level(logging.INFO, logger="civicgrid.sms"):
        sms.sms_send("13812345678", "您的评价链接")
    assert caplog.messages == ["SMS to 138****5678: 您的评价链接"]
    assert "13812345678" not in caplog.text

"""Delivering notices outside the system: a text message (短信) or a 政务微信 (WeCom
government edition) app message, through the adapter named by `settings.NOTICE_GATEWAY`.

- `""` (the default): no external delivery at all; notices are only listed on the notices
  page (and counted in the navigation). Nothing is called, nothing is queried.
- `civicgrid.notices.gateways.SmsGateway`: one text message through the SMS port
  (`civicgrid.notices.sms.sms_send`, i.e. whatever SMS_BACKEND delivers).
- `civicgrid.notices.gateways.WeComGateway`: a skeleton for 政务微信. It formats the
  `message/send` request of the WeCom API and posts it through an injectable transport
  (`NOTICE_WECOM_TRANSPORT`, default `LogTransport`: logs the masked request, sends
  nothing). A deployment writes the transport that owns the access token and the network.

Each adapter has one method, `deliver(phone, text)`. Recipients are the addressed users and
the members of the addressed units, active and with a phone (`User.phone`); people without
a phone are skipped (they still see their notices on the page). Who asked for a daily
digest (`NoticePreference.daily_digest`) gets one message a day instead
(`civicgrid.notices.services.notice_digests_send`). docs/operations.md, "Notices and
gateways".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from civicgrid.core.masking import mask_phone
from civicgrid.notices.sms import sms_send

logger = logging.getLogger("civicgrid.notices")


class Gateway(Protocol):
    def deliver(self, phone: str, text: str) -> None: ...


class SmsGateway:
    """One text message per delivery, through the SMS port (SMS_BACKEND)."""

    def deliver(self, phone: str, text: str) -> None:
        sms_send(phone, text)


class Transport(Protocol):
    """Posts a JSON body to a URL and answers the decoded JSON reply."""

    def post(self, url: str, payload: Mapping[str, Any]) -> Mapping[str, Any]: ...


class LogTransport:
    """Logs what would be posted (the addressee masked) and posts nothing."""

    def post(self, url: str, payload: Mapping[str, Any]) -> Mapping[str, Any]:
        logger.info("WeCom message to %s via %s", mask_phone(str(payload.get("touser", ""))),
                    url)
        return {"errcode": 0, "errmsg": "not sent (LogTransport)"}


@dataclass(frozen=True)
class WeComRequest:
    url: str
    payload: dict[str, Any]


class WeComGateway:
    """政务微信 application message (`POST {base}/cgi-bin/message/send`): a text message to
    one member. The member's WeCom userid is found from the phone by `userid_for` (by
    default the phone itself, as deployments that use the mobile number as userid do;
    otherwise a deployment passes a look-up, e.g. through `user/getuserid`). The access
    token is the transport's business: this class never touches the network."""

    def __init__(self, *, transport: Transport | None = None, base_url: str | None = None,
                 agent_id: str | None = None,
                 userid_for: Callable[[str], str] | None = None) -> None:
        self.transport = transport or import_string(settings.NOTICE_WECOM_TRANSPORT)()
        self.base_url = (base_url if base_url is not None
                         else settings.NOTICE_WECOM_BASE_URL).rstrip("/")
        self.agent_id = agent_id if agent_id is not None else settings.NOTICE_WECOM_AGENT_ID
        self.userid_for = userid_for or (lambda phone: phone)

    def request(self, phone: str, text: str) -> WeComRequest:
        return WeComRequest(
            url=f"{self.base_url}/cgi-bin/message/send",
            payload={"touser": self.userid_for(phone), "msgtype": "text",
                     "agentid": self.agent_id, "text": {"content": text}, "safe": 0})

    def deliver(self, phone: str, text: str) -> None:
        req = self.request(phone, text)
        reply = self.transport.post(req.url, req.payload)
        if reply.get("errcode", 0) != 0:
            logger.warning("WeCom message to %s refused: %s %s", mask_phone(phone),
                           reply.get("errcode"), reply.get("errmsg", ""))


@lru_cache(maxsize=4)
def _gateway(path: str) -> Gateway:
    gateway: Gateway = import_string(path)()
    return gateway


def notice_gateway() -> Gateway | None:
    """The configured adapter, or None when external delivery is off (the default)."""
    path = settings.NOTICE_GATEWAY
    return _gateway(path) if path else None

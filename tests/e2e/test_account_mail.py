"""Activation and reset e-mails across the real processes: personnel's outbox delivers
account.mail_requested to notification, which collects the code and mails it (dev mail server)."""

from __future__ import annotations

import re
from email import message_from_bytes, policy

import pytest

from tests.support.journeys import fresh_nips

pytestmark = [pytest.mark.processes, pytest.mark.once]

PASSWORD = "kopi tubruk di tepi musi"


def test_activation_and_reset_mails_arrive_and_their_codes_work(stack, api_factory, wait_for):
    stack.start()
    stack.wait_ready()
    gateway = api_factory(stack.urls["gateway"])
    admin = gateway.login("admin")
    unit = gateway.call("GET", "/api/v1/me", gateway.login("pegawai")).json()["unit_code"]
    (nip,) = fresh_nips(1)
    made = gateway.call(
        "POST",
        "/api/v1/people",
        admin,
        json={"nip": nip, "name": "Pegawai Surel", "unit_code": unit, "position": "Staf",
              "grade": "III/a", "email": f"{nip}@palembang.go.id"},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    person = made.json()["id"]
    queued = gateway.call("POST", f"/api/v1/people/{person}/activation-mail", admin)
    assert queued.status_code == 202 and queued.json()["queued"] == [person], queued.text

    def mail(subject: str):
        for path in (stack.var_dir / "mail").glob("*.eml"):
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            if nip in message.get_content() and subject in message["Subject"]:
                return message
        return None

    activation = wait_for(lambda: mail("Aktivasi akun Cakap"), timeout=90)
    code = re.search(r"Kode aktivasi: (\S+)", activation.get_content()).group(1)
    activated = gateway.call(
        "POST", "/api/v1/auth/activate", json={"username": nip, "code": code, "password": PASSWORD}
    )
    assert activated.status_code == 200, activated.text

    asked = gateway.call("POST", "/api/v1/auth/password-reset", json={"username": nip})
    assert asked.status_code == 202
    reset = wait_for(lambda: mail("Atur ulang kata sandi"), timeout=90)
    code = re.search(r"Kode: (\S+)", reset.get_content()).group(1)
    confirmed = gateway.call(
        "POST",
        "/api/v1/auth/password-reset/confirm",
        json={"username": nip, "code": code, "new_password": "sungai musi di waktu senja"},
    )
    assert confirmed.status_code == 204, confirmed.text
    assert gateway.login(nip, "sungai musi di waktu senja")

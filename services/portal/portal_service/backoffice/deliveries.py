"""E-mails that did not arrive: refused by the receiving server (bounced) or given up."""

from __future__ import annotations

import re

from flask import current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..auth import api_get, roles_required
from ..forms import page_number
from ..pages import items_of, load_part, pagination
from . import bp

STATUSES = {"bounced": _l("Ditolak server penerima"), "failed": _l("Gagal setelah dicoba ulang")}
# What the receiving server's answer means, by its SMTP code (RFC 5321); the raw answer
# stays beside it for whoever asks the mail provider.
BY_SMTP_CODE = {
    "550": _l("Alamat e-mail tidak ada atau kotak surat tidak tersedia."),
    "551": _l("Alamat e-mail tidak dilayani server ini."),
    "552": _l("Kotak surat penerima penuh."),
    "553": _l("Alamat e-mail tidak valid."),
    "554": _l("Ditolak server penerima (misalnya dianggap spam)."),
}


def reason(delivery: dict) -> str:
    """The reason in Indonesian, from the status and the server's last answer."""
    error = str(delivery.get("last_error") or "")
    if delivery.get("status") == "bounced":
        code = re.match(r"\s*(5\d\d)", error)
        known = BY_SMTP_CODE.get(code.group(1)) if code else None
        return str(known or _("Ditolak server penerima."))
    if error.startswith("login refused"):
        return _("Server surat menolak login Cakap. Periksa SMTP_USERNAME dan SMTP_PASSWORD.")
    if error.startswith("TLS required"):
        return _("Server surat tidak menawarkan STARTTLS; e-mail tidak dikirim tanpa enkripsi.")
    if "certificate" in error.lower():
        return _("Sertifikat TLS server surat tidak dipercaya (periksa SMTP_CA_FILE).")
    if error.startswith("530"):
        return _("Server surat mewajibkan TLS atau login (periksa SMTP_STARTTLS).")
    if error.startswith("contact"):
        return _("Data pegawai tidak dapat dibaca dari layanan kepegawaian.")
    if re.match(r"\s*4\d\d", error):
        return _("Server surat terus meminta mencoba lagi nanti.")
    return _("Server surat tidak dapat dihubungi.")


@bp.get("/surel-gagal")
@roles_required("admin")
def failed_mail():
    """Bounced or failed e-mails, newest first, each with its reason."""
    status = request.args.get("status", "bounced")
    status = status if status in STATUSES else "bounced"
    page = page_number(request.args.get("page"))
    params = {"status": status, "page": page, "per_page": current_app.config["PER_PAGE"]}
    data, error = load_part(lambda: api_get("/api/v1/notification-deliveries", params=params))
    rows = [{**d, "reason": reason(d)} for d in items_of(data)]
    counts = data.get("counts") if isinstance(data, dict) else None
    return render_template(
        "admin/failed_mail.html",
        rows=rows,
        status=status,
        statuses=STATUSES,
        counts=counts if isinstance(counts, dict) else {},
        paging=pagination(data, page),
        error=error,
    )

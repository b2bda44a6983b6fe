"""An imported ASN gets in: import a CSV, the admin issues activation for its unit, the person
activates in the browser and signs in by NIP; then the password pages and the admin's tools."""

from __future__ import annotations

import io
import uuid

import pytest

from tests.support.journeys import fresh_nips

PASSWORD = "sungai musi di waktu senja"
# Password forms hash on the server (argon2) and sign in again: slow on a busy machine.
SLOW = 60_000


def patient(page):
    """The page, with room for the server's password hashing on a loaded machine."""
    page.set_default_timeout(SLOW)
    return page


def new_unit_with_people(suite, count: int) -> tuple[str, list[str]]:
    """A unit of its own with `count` imported people (pending accounts): code and NIPs."""
    admin = suite.api("admin")
    code = f"UJI-{uuid.uuid4().hex[:6].upper()}"
    made = admin.post("/api/v1/units", json={"code": code, "name": f"Bagian Uji {code}"})
    assert made.status_code == 201, made.text
    nips = fresh_nips(count)
    rows = "".join(f"{nip},Pegawai Uji {i},{code},Staf,III/a,\n" for i, nip in enumerate(nips))
    text = "nip,name,unit_code,position,grade,supervisor_nip\n" + rows
    imported = admin.post(
        "/api/v1/people/import",
        files={"file": ("pegawai.csv", io.BytesIO(text.encode()), "text/csv")},
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["created"] == count, imported.json()
    return code, nips


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_imported_person_activates_and_signs_in_by_nip(suite, page_as, assert_fits, phone):
    unit, nips = new_unit_with_people(suite, 2)

    admin = page_as("admin", phone=phone)
    admin.goto("/admin/aktivasi-unit")
    assert_fits(admin)
    admin.fill("#unit_code", unit)
    admin.click("button[value=html]")
    codes = {}
    for row in admin.locator("tbody tr").all():
        cells = row.locator("td").all_inner_texts()
        codes[cells[0]] = cells[3]
    assert set(codes) == set(nips)
    assert_fits(admin)

    person = patient(page_as(None, phone=phone))
    person.goto("/masuk")
    person.click("text=Aktivasi akun baru")
    person.fill("#username", nips[0])
    person.fill("#code", codes[nips[0]])
    person.fill("#password", "bismillah123")  # a common one first: refused in Indonesian
    person.fill("#confirm", "bismillah123")
    person.click("form button[type=submit]")
    assert "terlalu umum" in person.locator("[role=alert]").inner_text()
    assert_fits(person)
    person.fill("#password", PASSWORD)
    person.fill("#confirm", PASSWORD)
    person.click("form button[type=submit]")
    person.wait_for_url("**/masuk")
    assert "sudah aktif" in person.locator(".flash").first.inner_text()

    person.fill("#username", nips[0])
    person.fill("#password", PASSWORD)
    person.click("form button[type=submit]")
    person.wait_for_load_state()
    assert "/masuk" not in person.url
    assert person.locator("h1").first.inner_text().startswith("Selamat datang")
    assert_fits(person)

    # The code is spent: a second activation with it is refused on the form.
    again = patient(page_as(None, phone=phone))
    again.goto(f"/aktivasi?u={nips[0]}&kode={codes[nips[0]]}")
    again.fill("#password", "another long passphrase")
    again.fill("#confirm", "another long passphrase")
    again.click("form button[type=submit]")
    assert again.locator("[role=alert]").is_visible()


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_change_password_then_admin_reset_and_deactivate(suite, page_as, assert_fits, phone):
    _unit, nips = new_unit_with_people(suite, 1)
    nip = nips[0]
    admin_api = suite.api("admin")
    person_id = admin_api.get("/api/v1/people", params={"q": nip}).json()["items"][0]["id"]
    code = admin_api.post(f"/api/v1/people/{person_id}/activation").json()["code"]
    activated = admin_api.post(
        "/api/v1/auth/activate", json={"username": nip, "code": code, "password": PASSWORD}
    )
    assert activated.status_code == 200, activated.text

    person = patient(page_as(nip, phone=phone, password=PASSWORD))
    if phone:
        person.click(".menu-toggle")  # the header folds its links behind the menu button
    person.click("a.who")  # the name in the header leads to "Ganti kata sandi"
    assert_fits(person)
    person.fill("#old_password", PASSWORD)
    person.fill("#new_password", "pempek kapal selam enak")
    person.fill("#confirm", "pempek kapal selam enak")
    person.click("main form button[type=submit]")
    person.wait_for_load_state()
    assert "sudah diganti" in person.locator(".flash").first.inner_text()

    admin = patient(page_as("admin", phone=phone))
    admin.goto("/admin")
    admin.fill("#cari-pegawai", nip)
    admin.click("form[role=search] button")
    admin.click("text=Pegawai Uji 0")
    assert admin.locator("#status-akun").inner_text() == "Aktif"
    assert_fits(admin)
    admin.click("text=Atur ulang kata sandi")
    temporary = admin.locator("#sandi-sementara").inner_text()
    assert_fits(admin)

    # The next sign-in leads straight to the change page.
    forced = patient(page_as(None, phone=phone))
    forced.goto("/masuk")
    forced.fill("#username", nip)
    forced.fill("#password", temporary)
    forced.click("form button[type=submit]")
    forced.wait_for_url("**/akun/kata-sandi")
    assert_fits(forced)

    admin.click("text=Nonaktifkan akun")
    assert admin.locator("#status-akun").inner_text() == "Dinonaktifkan"
    # The deactivated person's open session ends at its next token refresh; a new
    # sign-in is refused at once, in Indonesian.
    blocked = patient(page_as(None, phone=phone))
    blocked.goto("/masuk")
    blocked.fill("#username", nip)
    blocked.fill("#password", temporary)
    blocked.click("form button[type=submit]")
    assert "dinonaktifkan" in blocked.locator("[role=alert]").inner_text()


def test_forgotten_password_pages_fit_a_phone(page_as, assert_fits):
    page = page_as(None, phone=True)
    page.goto("/masuk")
    page.click("text=Lupa kata sandi?")
    page.fill("#username", "199001012015011999")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/lupa-sandi/atur?u=199001012015011999")
    assert "Jika akun itu ada" in page.locator(".flash").first.inner_text()
    assert page.input_value("#username") == "199001012015011999"
    assert_fits(page)

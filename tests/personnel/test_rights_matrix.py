"""The rights matrix: every person route x caller role x own / subordinate / other record.

Rules (SECURITY.md #1, #2): admin and services see everyone (services only read);
a supervisor sees their direct and indirect subordinates; everyone sees themself;
nobody else sees anything (404, never 403, so existence does not leak). Seeing a
record does not mean changing it: a caller who may see but not act gets 403.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.security

# (caller, target) -> may the caller see the target? The callers and their keys in `org`:
# admin, service, supervisor = kabid (staff is below), asn = staff, trainer (non-ASN).
CALLER_KEY = {"admin": "admin", "service": "service", "supervisor": "kabid", "asn": "staff",
              "trainer": "trainer"}  # fmt: skip
TARGET_KEY = {
    ("admin", "own"): "admin",
    ("admin", "other"): "other",
    ("service", "other"): "other",
    ("supervisor", "own"): "kabid",
    ("supervisor", "subordinate"): "staff",
    ("supervisor", "indirect"): "staff",  # kadis sees staff through kabid
    ("supervisor", "other"): "other",
    ("supervisor", "peer"): "peer",  # beside them, same boss: not theirs
    ("asn", "own"): "staff",
    ("asn", "own supervisor"): "kabid",
    ("asn", "other"): "other",
    ("trainer", "own"): "trainer",
    ("trainer", "other"): "staff",
}
VISIBLE = {
    ("admin", "own"), ("admin", "other"), ("service", "other"),
    ("supervisor", "own"), ("supervisor", "subordinate"), ("supervisor", "indirect"),
    ("asn", "own"), ("trainer", "own"),
}  # fmt: skip
SUBORDINATE = {("supervisor", "subordinate"), ("supervisor", "indirect")}

JP_ENTRY = {"title": "Seminar SPBE", "jp": 4, "form": "seminar", "completed_on": "2025-01-10",
            "evidence_url": "https://bukti.example/1"}  # fmt: skip
ASSESSMENT = {"code": "M-INT", "level": 3, "source": "supervisor"}

# route -> (method, path suffix, body, kind). Kinds:
#   read   200 when visible, else 404
#   admin  admin acts (2xx); others who see it 403; the rest 404
#   boss   admin or a supervisor of the person acts; others who see it 403; the rest 404
#   praise only a supervisor of the person acts; others who see it 403; the rest 404
ROUTES = {
    "get person": ("get", "", None, "read"),
    "patch person": ("patch", "", {"email": "baru@kota.go.id"}, "admin"),
    "get jp": ("get", "/jp?year=2025", None, "read"),
    "post jp entry": ("post", "/jp-entries", JP_ENTRY, "admin"),
    "get competencies": ("get", "/competencies", None, "read"),
    "post assessment": ("post", "/competency-assessments", ASSESSMENT, "boss"),
    "get gaps": ("get", "/competency-gaps", None, "read"),
    "get supervisors": ("get", "/supervisors", None, "read"),
    "get appreciations": ("get", "/appreciations", None, "read"),
    "post appreciation": ("post", "/appreciations", {"reason": "kerja bagus"}, "praise"),
}


def expected(kind: str, caller: str, target: str) -> int:
    """The status the rules above give."""
    case = (caller, target)
    if case not in VISIBLE:
        return 404
    acting = {
        "read": True,
        "admin": caller == "admin",
        "boss": caller == "admin" or case in SUBORDINATE,
        "praise": case in SUBORDINATE,
    }[kind]
    if not acting:
        return 403
    return 201 if kind != "read" and ROUTES_METHOD_POST[kind] else 200


ROUTES_METHOD_POST = {"admin": False, "boss": True, "praise": True, "read": False}

CASES = [
    pytest.param(route, caller, target, id=f"{route}|{caller}|{target}")
    for route in ROUTES
    for (caller, target) in TARGET_KEY
]


@pytest.mark.parametrize(("route", "caller", "target"), CASES)
def test_rights_matrix(org, route, caller, target):
    method, suffix, body, kind = ROUTES[route]
    caller_key = CALLER_KEY[caller]
    if caller == "supervisor" and target == "indirect":
        caller_key = "kadis"
    person_id = org.ids[TARGET_KEY[(caller, target)]]
    want = expected(kind, caller, target)
    if method == "patch" or (method == "post" and kind == "admin"):
        want = {200: 200 if method == "patch" else 201}.get(want, want)
    response = getattr(org, method)(
        f"/api/v1/people/{person_id}{suffix}", who=caller_key, json=body
    )
    assert response.status_code == want, response.get_json()
    if response.status_code == 404:
        assert TARGET_KEY[(caller, target)] not in str(response.get_json())
    if route == "get person" and want == 200:
        record = response.get_json()
        # NIP and birth date only for admins, services and the person themself.
        assert ("nip" in record) == (caller in ("admin", "service") or target == "own")
        assert ("birth_date" in record) == ("nip" in record)


ADMIN_ONLY = [
    ("post", "/api/v1/units", {"code": "NEW-U", "name": "Unit"}),
    ("post", "/api/v1/people", {"nip": "199203042016022005", "name": "X", "unit_code": "OPD-A",
                                "position": "Staf", "grade": "III/a"}),
    ("get", "/api/v1/people/export", None),
    ("post", "/api/v1/position-standards", {"position": "pelaksana",
                                            "competencies": [{"code": "M-INT", "level": 1}]}),
    ("put", "/api/v1/jp-targets", {"employment_type": "PNS", "target": 20}),
]  # fmt: skip


@pytest.mark.parametrize("who", ["service", "kabid", "staff", "trainer"])
@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ONLY)
def test_admin_only_routes_refuse_other_roles(org, who, method, path, body):
    assert getattr(org, method)(path, who=who, json=body).status_code == 403


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ONLY)
def test_admin_only_routes_accept_admin(org, method, path, body):
    assert getattr(org, method)(path, who="admin", json=body).status_code in (200, 201)


@pytest.mark.parametrize(
    "path", ["/api/v1/people", "/api/v1/people/x", "/api/v1/units", "/api/v1/position-standards"]
)
def test_no_token_is_401(org, path):
    assert org.client.get(path).status_code == 401


def test_trainer_lists_no_one_but_themself(org):
    page = org.get("/api/v1/people", who="trainer").get_json()
    assert [p["id"] for p in page["items"]] == [org.ids["trainer"]]


def test_unknown_person_is_404_for_admin_too(org):
    assert org.get("/api/v1/people/00000000-0000-0000-0000-000000000000").status_code == 404

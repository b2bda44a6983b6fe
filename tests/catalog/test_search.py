"""Course search: full text relevance (FTS5 / tsvector), filters, sort, pages, visibility."""

from __future__ import annotations

from datetime import timedelta

import pytest


@pytest.fixture
def catalog(cat, people):
    """A small catalog with known words, forms, providers, JP and classes."""
    for code in ("M-KOM", "M-PP", "T-SPBE"):
        cat.competency(code)
    bappeda = cat.provider("BAPPEDA")
    kominfo = cat.provider("DISKOMINFO")
    made = {
        "pm": cat.course(
            code="PM-01",
            title="Manajemen Proyek Pembangunan Daerah",
            description="Perencanaan, penjadwalan dan pengendalian proyek.",
            form="klasikal",
            jp=24,
            provider_id=bappeda["id"],
            competencies=[{"code": "M-PP", "level": 3}],
        ),
        "sec": cat.course(
            code="TIK-101",
            title="Keamanan Informasi bagi ASN",
            description="Kata sandi, phishing dan klasifikasi informasi.",
            form="e_learning",
            jp=12,
            provider_id=kominfo["id"],
            competencies=[{"code": "T-SPBE", "level": 2}, {"code": "M-KOM", "level": 2}],
        ),
        "desc": cat.course(
            code="TIK-102",
            title="Tata Kelola SPBE",
            description="Arsitektur SPBE dengan bab tentang keamanan informasi dan risiko.",
            form="blended",
            jp=8,
            provider_id=kominfo["id"],
            competencies=[{"code": "T-SPBE", "level": 3}],
        ),
        "kom": cat.course(
            code="KOM-01",
            title="Komunikasi Publik yang Efektif",
            description="Menulis siaran pers dan berbicara di depan umum.",
            form="seminar",
            jp=4,
            competencies=[{"code": "M-KOM", "level": 3}],
        ),
        "draft": cat.course(code="DRAFT", publish=False, title="Keamanan Draft"),
    }
    cat.klass(made["sec"]["id"])
    closed = people.today - timedelta(days=1)
    cat.klass(
        made["pm"]["id"],
        enrolment_opens_on=(closed - timedelta(days=10)).isoformat(),
        enrolment_closes_on=closed.isoformat(),
    )
    made["bappeda"], made["kominfo"] = bappeda, kominfo
    return made


def codes(cat, who, query=""):
    body = cat.ok(cat.client.get(f"/api/v1/courses?{query}", headers=who["learner"]))
    return [c["code"] for c in body["items"]]


def test_full_text_relevance_title_before_description(cat, who, catalog):
    assert codes(cat, who, "q=keamanan informasi") == ["TIK-101", "TIK-102"]
    assert codes(cat, who, "q=KEAMANAN") == ["TIK-101", "TIK-102"]  # case, and drafts hidden
    assert codes(cat, who, "q=keaman") == ["TIK-101", "TIK-102"]  # prefixes match
    assert codes(cat, who, "q=phishing") == ["TIK-101"]  # description only
    assert codes(cat, who, "q=proyek daerah") == ["PM-01"]
    assert codes(cat, who, "q=proyek komunikasi") == []  # every word must match
    assert codes(cat, who, "q=%22%29%28*:%26") == []  # only punctuation: nothing, no 500
    assert codes(cat, who, "q=keamanan'; DROP TABLE courses;--") == []


@pytest.mark.parametrize("typed", ["TIK-101", "tik-101", "TIK101", "tik 101", " TIK_101 "])
def test_a_course_code_finds_its_course(cat, who, catalog, typed):
    assert codes(cat, who, f"q={typed}") == ["TIK-101"]


def test_a_code_of_a_draft_stays_hidden_from_learners(cat, who, catalog):
    cat.course(code="TIK-999", publish=False, title="Belum terbit")
    assert codes(cat, who, "q=TIK-999") == []


def test_an_archived_course_leaves_the_learners_list(cat, who, catalog):
    course = cat.course(code="TIK-998", title="Sudah diarsipkan")
    assert codes(cat, who, "q=TIK-998") == ["TIK-998"]
    cat.ok(cat.client.post(f"/api/v1/courses/{course['id']}/archive", headers=cat.admin))
    assert codes(cat, who, "q=TIK-998") == []
    assert "TIK-998" not in codes(cat, who, "")


def test_filters(cat, who, catalog):
    assert sorted(codes(cat, who, "competency=M-KOM")) == ["KOM-01", "TIK-101"]
    assert sorted(codes(cat, who, "competency=M-PP,T-SPBE")) == ["PM-01", "TIK-101", "TIK-102"]
    assert codes(cat, who, "form=blended") == ["TIK-102"]
    assert codes(cat, who, "provider=BAPPEDA") == ["PM-01"]
    assert sorted(codes(cat, who, f"provider={catalog['kominfo']['id']}")) == ["TIK-101", "TIK-102"]
    assert sorted(codes(cat, who, "jp_min=8&jp_max=12")) == ["TIK-101", "TIK-102"]
    assert codes(cat, who, "has_open_class=true") == ["TIK-101"]
    assert codes(cat, who, "q=informasi&form=e_learning&jp_max=20&has_open_class=true") == [
        "TIK-101"
    ]
    r = cat.client.get("/api/v1/courses?jp_min=10&jp_max=5", headers=who["learner"])
    assert r.status_code == 422 and "jp_max" in r.get_json()["errors"]
    r = cat.client.get("/api/v1/courses?form=webinar", headers=who["learner"])
    assert r.status_code == 422 and r.get_json()["detail"].startswith("form:")
    r = cat.client.get("/api/v1/courses?sort=price", headers=who["learner"])
    assert r.status_code == 422 and "sort" in r.get_json()["errors"]


def test_sort_and_pages(cat, who, catalog):
    assert codes(cat, who) == ["TIK-101", "KOM-01", "PM-01", "TIK-102"]  # by title
    assert codes(cat, who, "sort=jp") == ["KOM-01", "TIK-102", "TIK-101", "PM-01"]
    assert codes(cat, who, "sort=-jp") == ["PM-01", "TIK-101", "TIK-102", "KOM-01"]
    assert codes(cat, who, "sort=-title")[0] == "TIK-102"
    page = cat.ok(cat.client.get("/api/v1/courses?per_page=3&page=2", headers=who["learner"]))
    assert page["total"] == 4 and page["page"] == 2 and page["per_page"] == 3
    assert [c["code"] for c in page["items"]] == ["TIK-102"]
    big = cat.ok(cat.client.get("/api/v1/courses?per_page=500", headers=who["learner"]))
    assert big["per_page"] == 100
    admin = cat.ok(cat.client.get("/api/v1/courses?q=keamanan", headers=who["admin"]))
    assert {c["code"] for c in admin["items"]} == {"TIK-101", "TIK-102", "DRAFT"}


def test_index_follows_edits_and_archival(cat, who, catalog):
    cid = catalog["desc"]["id"]
    cat.client.patch(
        f"/api/v1/courses/{cid}", json={"description": "Tanpa kata itu."}, headers=who["admin"]
    )
    assert codes(cat, who, "q=keamanan") == ["TIK-101"]
    cat.client.patch(
        f"/api/v1/courses/{cid}", json={"title": "Tata Kelola Keamanan"}, headers=who["admin"]
    )
    assert sorted(codes(cat, who, "q=keamanan")) == ["TIK-101", "TIK-102"]
    cat.client.post(f"/api/v1/courses/{catalog['sec']['id']}/archive", headers=who["admin"])
    assert codes(cat, who, "q=keamanan") == ["TIK-102"]


def test_competency_with_an_open_class(cat, who, catalog):
    # With has_open_class the competency test is a per-course lookup, not an id list.
    assert codes(cat, who, "competency=M-KOM&has_open_class=true") == ["TIK-101"]
    assert codes(cat, who, "competency=M-PP&has_open_class=true") == []  # its class closed
    assert codes(cat, who, "competency=M-PP,M-KOM&has_open_class=true&q=informasi") == ["TIK-101"]
    assert codes(cat, who, "competency=M-KOM&has_open_class=false") == ["KOM-01"]


@pytest.mark.parametrize(
    "query",
    [
        "q=keamanan",
        "q=informasi&sort=-title",
        "q=a&sort=jp",  # every course with a word starting with "a"
        "competency=M-KOM,T-SPBE",
        "competency=T-SPBE&sort=-jp",
        "has_open_class=true",
        "q=keamanan&competency=T-SPBE&jp_min=8",
        "q=a&jp_min=0",
        "q=informasi&has_open_class=false",
    ],
)
def test_pages_and_totals_when_the_count_rides_with_the_page(cat, who, catalog, query):
    # Set filters, and ranked text with filters, count their matches in the page's query:
    # every page size gives the same courses in the same order and the same total, and a
    # page past the end still says how many match.
    everything = cat.ok(cat.client.get(f"/api/v1/courses?{query}", headers=who["learner"]))
    listed = [c["code"] for c in everything["items"]]
    assert everything["total"] == len(listed)
    for size in (1, 2, 3):
        seen = []
        for number in range(1, len(listed) // size + 3):
            body = cat.ok(
                cat.client.get(
                    f"/api/v1/courses?{query}&per_page={size}&page={number}",
                    headers=who["learner"],
                )
            )
            assert body["total"] == len(listed) and body["per_page"] == size
            assert len(body["items"]) <= size
            seen += [c["code"] for c in body["items"]]
        assert seen == listed
    first = cat.ok(cat.client.get(f"/api/v1/courses?{query}", headers=who["admin"]))
    assert first["items"][0]["competencies"] is not None and "provider" in first["items"][0]


def test_equal_ranks_in_title_order_on_every_page(cat, who, catalog):
    # Same words, same lengths: the same rank, so the title orders them, on every page size
    # (only the matches ranked up to a page's last one are read for their titles).
    for code, title in (("SIB-2", "Siber Beta"), ("SIB-3", "Siber Gamma"), ("SIB-1", "Siber Alfa")):
        cat.course(code=code, title=title, description="Pertahanan kota.")
    cat.course(code="SIB-0", title="Aman Digital", description="Serangan siber ke kota.")
    everything = ["SIB-1", "SIB-2", "SIB-3", "SIB-0"]  # the description match last
    assert codes(cat, who, "q=siber") == everything
    for size in (1, 2, 3):
        pages = [codes(cat, who, f"q=siber&per_page={size}&page={n}") for n in range(1, 6)]
        assert [c for page in pages for c in page] == everything

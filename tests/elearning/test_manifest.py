"""imsmanifest.xml parsing: the shared fixture corpus, the sample package and edge cases."""

# The expectation tables read best one row per line.
# ruff: noqa: E501

from __future__ import annotations

import time
from pathlib import Path

import pytest
from elearning_service.scorm.manifest import (
    ManifestError,
    activity_tree,
    launchable_items,
    parse_manifest,
    validate_against_files,
)

SAMPLE = Path(__file__).parent / "data" / "kursus_scorm12"

HEADER_12 = (
    '<manifest identifier="m" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" '
    'xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">'
    "<metadata><schemaversion>1.2</schemaversion></metadata>"
)


def build(orgs: str, resources: str, header: str = HEADER_12) -> bytes:
    """A small manifest from organization and resource snippets."""
    return f"{header}{orgs}<resources>{resources}</resources></manifest>".encode()


def load(folder: Path):
    """Parse a manifest from a folder, reading external metadata beside it."""

    def read_file(rel: str) -> bytes | None:
        path = folder / rel
        return path.read_bytes() if path.is_file() else None

    return parse_manifest((folder / "imsmanifest.xml").read_bytes(), read_file)


def files_in(folder: Path) -> list[str]:
    """Package-relative names of every file in a folder."""
    return [p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()]


# ---------------------------------------------------------------- sample package


def test_sample_package_in_bahasa_indonesia():
    m = load(SAMPLE)
    assert (m.version.family, m.version.edition) == ("scorm12", None)
    assert m.title == "Etika dan Integritas ASN"
    scos = launchable_items(m)
    assert [(s.identifier, s.title, s.href, s.scorm_type) for s in scos] == [
        ("bab_1", "Bab 1: Nilai Dasar ASN", "bab1/index.html", "sco"),
        ("bab_2", "Bab 2: Kode Etik dan Kode Perilaku", "bab2/index.html?bagian=2", "sco"),
        ("glosarium", "Glosarium", "bersama/glosarium.html", "asset"),
    ]
    assert scos[0].mastery_score == 70.0
    assert m.resources["res_bab1"].dependencies == ["res_bersama"]
    assert m.resources["res_bab2"].files == ["bab2/index.html"]
    validate_against_files(m, files_in(SAMPLE))


def test_missing_launch_file_is_named():
    m = load(SAMPLE)
    names = [n for n in files_in(SAMPLE) if n != "bab2/index.html"]
    with pytest.raises(ManifestError) as err:
        validate_against_files(m, names)
    assert err.value.detail == "bab2/index.html is referenced but not in the package"


# ---------------------------------------------------------------- shared corpus: valid

GOLF_12_MULTI = [
    ("playing_playing_item", "How to Play", "Playing/Playing.html"),
    ("playing_par_item", "Par", "Playing/Par.html"),
    ("playing_scoring_item", "Keeping Score", "Playing/Scoring.html"),
    ("playing_otherscoring_item", "Other Scoring Systems", "Playing/OtherScoring.html"),
    ("playing_rules_item", "The Rules of Golf", "Playing/RulesOfGolf.html"),
    ("playing_quiz_item", "Playing Golf Quiz", "shared/assessmenttemplate.html?questions=Playing"),
    ("etiquette_course_item", "Taking Care of the Course", "Etiquette/Course.html"),
    ("etiquette_distracting_item", "Avoiding Distraction", "Etiquette/Distracting.html"),
    ("etiquette_play_item", "Playing Politely", "Etiquette/Play.html"),
    ("etiquette_quiz_item", "Etiquette Quiz", "shared/assessmenttemplate.html?questions=Etiquette"),
    ("handicapping_overview_item", "Handicapping Overview", "Handicapping/Overview.html"),
    (
        "handicapping_calchandi_item",
        "Calculating a Handicap",
        "Handicapping/CalculatingHandicap.html",
    ),
    (
        "handicapping_calcscore_item",
        "Calculating a Handicapped Score",
        "Handicapping/CalculatingScore.html",
    ),
    ("handicapping_example_item", "Handicapping Example", "Handicapping/Example.html"),
    (
        "handicapping_quiz_item",
        "Handicapping Quiz",
        "shared/assessmenttemplate.html?questions=Handicapping",
    ),
    ("havingfun_howto_item", "How to Have Fun Playing Golf", "HavingFun/HowToHaveFun.html"),
    (
        "havingfun_makefriends_item",
        "How to Make Friends Playing Golf",
        "HavingFun/MakeFriends.html",
    ),
    (
        "havingfun_quiz_item",
        "Having Fun Quiz",
        "shared/assessmenttemplate.html?questions=HavingFun",
    ),
]
SINGLE_GOLF = [("item_1", "Golf Explained", "shared/launchpage.html")]
SEQ_FIVE = [
    ("playing_item", "Playing the Game", "shared/launchpage.html?content=playing"),
    ("etuqiette_item", "Etiquette", "shared/launchpage.html?content=etiquette"),
    ("handicapping_item", "Handicapping", "shared/launchpage.html?content=handicapping"),
    ("havingfun_item", "Having Fun", "shared/launchpage.html?content=havingfun"),
]
TESTS_4 = [
    (f"test_{i}", t, f"shared/launchpage.html?content=assessment{i}")
    for i, t in enumerate(
        ["Playing Quiz", "Etiquette Quiz", "Handicapping Quiz", "Having Fun Quiz"], 1
    )
]

# folder, family, edition, title, [(identifier, title, href)], manifest-only?
VALID = [
    (
        "scorm12_golf_multisco_full_package",
        "scorm12",
        None,
        "Golf Explained - CP One File Per SCO",
        GOLF_12_MULTI,
        False,
    ),
    (
        "scorm12_golf_manifests/ContentPackagingSingleSCO_SCORM12",
        "scorm12",
        None,
        "Golf Explained - CP Single SCO",
        SINGLE_GOLF,
        True,
    ),
    (
        "scorm12_golf_manifests/RuntimeBasicCalls_SCORM12",
        "scorm12",
        None,
        "Golf Explained - Run-time Basic Calls",
        SINGLE_GOLF,
        True,
    ),
    (
        "scorm12_with_external_metadata",
        "scorm12",
        None,
        "SCORM 1.2 With Metadata",
        [("i1", "SCORM 1.2 With Metadata", "index.html")],
        False,
    ),
    (
        "scorm12_edgecases_synthetic/ComplexNestedOrganization_SCORM12",
        "scorm12",
        None,
        "Complex Nested Organization Test",
        [
            ("module_1", "Module 1", "content/module1.html"),
            ("chapter_1_1", "Chapter 1.1", "content/chapter1_1.html"),
            ("section_1_1_1", "Section 1.1.1", "content/section1_1_1.html"),
            ("topic_1_1_1_1", "Topic 1.1.1.1", "content/topic1_1_1_1.html"),
            ("topic_1_1_1_2", "Topic 1.1.1.2", "content/topic1_1_1_2.html"),
            ("section_1_1_2", "Section 1.1.2", "content/section1_1_2.html"),
            ("chapter_1_2", "Chapter 1.2", "content/chapter1_2.html"),
            ("module_2", "Module 2", "content/module2.html"),
            ("chapter_2_1", "Chapter 2.1", "content/chapter2_1.html"),
            ("section_2_1_1", "Section 2.1.1", "content/section2_1_1.html"),
            ("module_3", "Module 3", "content/module3.html"),
        ],
        True,
    ),
    (
        "scorm12_edgecases_synthetic/LaunchUrlFromNestedItem_SCORM12",
        "scorm12",
        None,
        "Launch URL From Nested Item Test",
        [
            ("topic_1_1_1_1", "Topic 1.1.1.1", "content/topic1.html"),
            ("section_2_1_1", "Section 2.1.1", "content/section2.html"),
        ],
        False,
    ),
    (
        "scorm12_edgecases_synthetic/MultipleItemsWithIdentifierRef_SCORM12",
        "scorm12",
        None,
        "Multiple Items With IdentifierRef Test",
        [
            ("item_1", "Item 1", "content/item1.html"),
            ("item_2", "Item 2", "content/item2.html"),
            ("item_3", "Item 3", "content/item3.html"),
        ],
        False,
    ),
    (
        "scorm12_edgecases_synthetic/PrerequisitesTest_SCORM12",
        "scorm12",
        None,
        "Prerequisites Test Course",
        [
            ("module1", "Module 1: Introduction", "module1.html"),
            ("module2", "Module 2: Basic Concepts", "module2.html"),
            ("module3", "Module 3: Advanced Topics", "module3.html"),
            ("module4", "Module 4: Assessment", "module4.html"),
        ],
        False,
    ),
    (
        "scorm2004_2nd_golf_singlesco_full_package",
        "scorm2004",
        "2nd",
        "Golf Explained - CP Single SCO",
        SINGLE_GOLF,
        False,
    ),
    (
        "scorm2004_3rd_golf_sequencing_remediation_full_package",
        "scorm2004",
        "3rd",
        "Golf Explained - Simple Remediation",
        SEQ_FIVE + TESTS_4,
        False,
    ),
    (
        "scorm2004_manifests/AdlAttributes_SCORM20043rdEdition",
        "scorm2004",
        "3rd",
        "ADL Attributes Example",
        [("item1", "Launchable Item", "index.html")],
        True,
    ),
    # The course title comes from metadata_course.xml (adlcp:location), not the organization.
    (
        "scorm2004_manifests/ContentPackagingMetadata_SCORM20043rdEdition",
        "scorm2004",
        "3rd",
        "Golf Explained",
        SINGLE_GOLF,
        True,
    ),
    (
        "scorm2004_manifests/ContentPackagingOneFilePerSCO_SCORM20043rdEdition",
        "scorm2004",
        "3rd",
        "Golf Explained - CP One File Per SCO",
        GOLF_12_MULTI,
        True,
    ),
    (
        "scorm2004_manifests/ContentPackagingSingleSCO_SCORM20043rdEdition",
        "scorm2004",
        "3rd",
        "Golf Explained - CP Single SCO",
        SINGLE_GOLF,
        True,
    ),
    (
        "scorm2004_manifests/MinimalValid_SCORM20043rdEdition",
        "scorm2004",
        "3rd",
        "Minimal Course",
        [("item1", "Launch", "index.html")],
        True,
    ),
    (
        "scorm2004_manifests/RunTimeAdvancedCalls_SCORM20043rdEdition",
        "scorm2004",
        "3rd",
        "Golf Explained - Run-time Advanced Calls",
        SINGLE_GOLF,
        True,
    ),
    (
        "scorm2004_manifests/RuntimeBasicCalls_SCORM20043rdEdition",
        "scorm2004",
        "3rd",
        "Golf Explained - Run-time Basic Calls",
        SINGLE_GOLF,
        True,
    ),
    (
        "scorm2004_manifests/RuntimeMinimumCalls_SCORM20043rdEdition",
        "scorm2004",
        "3rd",
        "Golf Explained - Minimum Run-time Calls",
        GOLF_12_MULTI,
        True,
    ),
    (
        "scorm2004_manifests/SequencingForcedSequential_SCORM20043rdEdition",
        "scorm2004",
        "3rd",
        "Golf Explained - Sequencing Forced Order",
        [*SEQ_FIVE, ("assessment_item", "Quiz", "shared/launchpage.html?content=assessment")],
        True,
    ),
    (
        "scorm2004_manifests/SequencingPostTestRollup_SCORM20043rdEdition",
        "scorm2004",
        "3rd",
        "Golf Explained - Sequencing Post Test Rollup",
        [*SEQ_FIVE, ("assessment_item", "Quiz", "shared/launchpage.html?content=assessment")],
        True,
    ),
    (
        "scorm2004_manifests/SequencingPreOrPostTestRollup_SCORM20043rdEdition",
        "scorm2004",
        "3rd",
        "Golf Explained - Sequencing Pre or Post Test Rollup",
        [
            ("pretest_item", "Pre Test", "shared/launchpage.html?content=assessment"),
            *SEQ_FIVE,
            ("posttest_item", "Post Test", "shared/launchpage.html?content=assessment"),
        ],
        True,
    ),
    (
        "scorm2004_manifests/SequencingRandomTest_SCORM20043rdEdition",
        "scorm2004",
        "3rd",
        "Golf Explained - Sequencing Random Test",
        SEQ_FIVE
        + [
            (f"test_{i}", f"Test {i}", f"shared/launchpage.html?content=assessment{i}")
            for i in range(1, 5)
        ],
        True,
    ),
    # No <schemaversion>: the 2004 namespaces decide; the folder lacks index.html.
    (
        "malformed_manifests/ContentPackagingNoSchemaVersion_SCORM20042ndEdition",
        "scorm2004",
        None,
        "Minimal 2nd Edition No SchemaVersion",
        [("item1", "Launch Item", "index.html")],
        True,
    ),
]


@pytest.mark.fixtures
@pytest.mark.parametrize(
    ("folder", "family", "edition", "title", "items", "manifest_only"),
    VALID,
    ids=[v[0].split("/")[-1] for v in VALID],
)
def test_valid_fixture(shared_fixtures, folder, family, edition, title, items, manifest_only):
    path = shared_fixtures / folder
    m = load(path)
    assert (m.version.family, m.version.edition) == (family, edition)
    assert m.title == title
    assert [(s.identifier, s.title, s.href) for s in launchable_items(m)] == items
    if manifest_only:
        # Manifest-only folders: the structure is fine, the content files are absent.
        with pytest.raises(ManifestError, match="referenced but not in the package"):
            validate_against_files(m, files_in(path))
    else:
        validate_against_files(m, files_in(path))


@pytest.mark.fixtures
def test_golf_scorm12_resources_are_assets_and_2004_runtime_scos(shared_fixtures):
    golf12 = load(shared_fixtures / "scorm12_golf_multisco_full_package")
    assert {s.scorm_type for s in launchable_items(golf12)} == {"asset"}
    assert len(golf12.resources) == 19
    runtime = load(shared_fixtures / "scorm2004_manifests/RuntimeMinimumCalls_SCORM20043rdEdition")
    assert {s.scorm_type for s in launchable_items(runtime)} == {"sco"}


@pytest.mark.fixtures
def test_2004_passing_score_and_hidden_items(shared_fixtures):
    adv = load(shared_fixtures / "scorm2004_manifests/RunTimeAdvancedCalls_SCORM20043rdEdition")
    assert launchable_items(adv)[0].scaled_passing_score == 0.8
    rnd = load(shared_fixtures / "scorm2004_manifests/SequencingRandomTest_SCORM20043rdEdition")
    assert [s.visible for s in launchable_items(rnd)] == [True] * 4 + [False] * 4


@pytest.mark.fixtures
def test_only_the_default_organization_is_launched(shared_fixtures):
    m = load(shared_fixtures / "scorm12_edgecases_synthetic/ComplexNestedOrganization_SCORM12")
    assert [o.identifier for o in m.organizations] == ["default_org", "alternate_org"]
    assert "alt_item_1" not in {s.identifier for s in launchable_items(m)}
    assert m.organizations[1].items[0].identifierref == "resource_alt_1"


HEADER_2004 = (
    '<manifest identifier="m" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" '
    'xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3" '
    'xmlns:adlseq="http://www.adlnet.org/xsd/adlseq_v1p3" '
    'xmlns:imsss="http://www.imsglobal.org/xsd/imsss">'
    "<metadata><schemaversion>2004 4th Edition</schemaversion></metadata>"
)
TWO_ORGS_2004 = """<organizations default=" kedua ">
  <organization identifier="pertama"><title>Pertama</title>
    <item identifier="p1" identifierref="r"><title>P1</title></item>
  </organization>
  <organization identifier="kedua" adlseq:objectivesGlobalToSystem="false"><title>Kedua</title>
    <item identifier="k1" identifierref="r"><title>K1</title>
      <adlcp:completionThreshold completedByMeasure="true" minProgressMeasure="0"
        progressWeight="2"/></item>
    <item identifier="k2" identifierref="r"><title>K2</title></item>
    <imsss:sequencing><imsss:controlMode flow="true" choice="false"/></imsss:sequencing>
  </organization>
</organizations>"""


def test_a_default_organization_other_than_the_first_is_the_activity_tree():
    resources = '<resource identifier="r" type="webcontent" adlcp:scormType="sco" href="a.html"/>'
    m = parse_manifest(build(TWO_ORGS_2004, resources, HEADER_2004))
    assert m.default_organization == "kedua"
    assert [s.identifier for s in launchable_items(m)] == ["k1", "k2"]
    tree = activity_tree(m)
    assert tree["id"] == "kedua" and [c["id"] for c in tree["children"]] == ["k1", "k2"]
    assert tree["control"] == {"choice": False, "choiceExit": True, "flow": True,
                               "forwardOnly": False}  # fmt: skip
    assert tree["objectives_global_to_system"] is False
    assert tree["children"][0]["completed_by_measure"] is True
    assert tree["children"][0]["min_progress_measure"] == 0.0
    assert tree["children"][0]["progress_weight"] == 2.0
    # Without a default attribute the first organization is the one played, and its
    # globals are the learner's across modules (objectivesGlobalToSystem defaults true).
    first = parse_manifest(
        build(TWO_ORGS_2004.replace('default=" kedua "', ""), resources, HEADER_2004)
    )
    assert activity_tree(first)["id"] == "pertama"
    assert activity_tree(first)["objectives_global_to_system"] is True


# ---------------------------------------------------------------- shared corpus: refused

REFUSED = [
    ("malformed_manifests/MalformedXml_SCORM12", "not well-formed XML: mismatched tag"),
    (
        "malformed_manifests/MissingLaunchUrl_SCORM12",
        "resource 'resource_1' (used by item 'item_1') has no href",
    ),
    (
        "malformed_manifests/MissingRequiredFields_SCORM12",
        "organization 'default_org' has no <title>",
    ),
    (
        "malformed_manifests/InvalidMissingOrgIdentifier_SCORM20043rdEdition",
        "an <organization> has no identifier",
    ),
    (
        "malformed_manifests/adl-cts-invalid/CM-01-broken-default-org",
        "default organization 'NONEXISTENT_ORG' named in <organizations> does not exist",
    ),
    (
        "scorm12_edgecases_synthetic/ItemWithNonExistentResourceId_SCORM12",
        "item 'item_1' refers to resource 'non_existent_resource', which is not in the manifest",
    ),
]


@pytest.mark.fixtures
@pytest.mark.parametrize(("folder", "reason"), REFUSED, ids=[r[0].split("/")[-1] for r in REFUSED])
def test_refused_fixture(shared_fixtures, folder, reason):
    with pytest.raises(ManifestError) as err:
        load(shared_fixtures / folder)
    assert reason in err.value.detail


@pytest.mark.fixtures
def test_invalid_file_references_refused_by_file_check(shared_fixtures):
    folder = shared_fixtures / "malformed_manifests/InvalidFileReferences_SCORM12"
    m = load(folder)  # structurally fine
    with pytest.raises(ManifestError) as err:
        validate_against_files(m, files_in(folder))
    assert err.value.detail == "content/nonexistent.html is referenced but not in the package"


# ---------------------------------------------------------------- hand-made edge cases

ORG = '<organizations default="o"><organization identifier="o"><title>Kursus</title>{}</organization></organizations>'


@pytest.mark.parametrize(
    ("href", "params", "expected"),
    [
        ("a.html", "?x=1", "a.html?x=1"),
        ("a.html?y=2", "?x=1", "a.html?y=2&x=1"),
        ("a.html?y=2", "&x=1", "a.html?y=2&x=1"),
        ("a.html", "x=1", "a.html?x=1"),
        ("a.html", "#bab2", "a.html#bab2"),
        ("a.html#bab1", "#bab2", "a.html#bab1"),
        ("a.html", "", "a.html"),
    ],
)
def test_parameters_follow_the_cam_rules(href, params, expected):
    data = build(
        ORG.format(
            f'<item identifier="i" identifierref="r" parameters="{params.replace("&", "&amp;")}"><title>T</title></item>'
        ),
        f'<resource identifier="r" type="webcontent" adlcp:scormtype="sco" href="{href}"/>',
    )
    assert launchable_items(parse_manifest(data))[0].href == expected


def test_xml_base_at_every_level_is_joined():
    data = build(
        ORG.format('<item identifier="i" identifierref="r"><title>T</title></item>'),
        '<resource identifier="r" type="webcontent" adlcp:scormtype="sco" xml:base="bab2" href="index.html"/>',
        header=HEADER_12.replace('identifier="m"', 'identifier="m" xml:base="materi/"'),
    ).replace(b"<resources>", b'<resources xml:base="konten/">')
    assert launchable_items(parse_manifest(data))[0].href == "materi/konten/bab2/index.html"


@pytest.mark.parametrize(
    "href", ["http://evil.example/x.html", "/etc/passwd", "../luar.html", "a/../../luar.html"]
)
def test_launch_href_outside_the_package_is_refused(href):
    data = build(
        ORG.format('<item identifier="i" identifierref="r"><title>T</title></item>'),
        f'<resource identifier="r" type="webcontent" adlcp:scormtype="sco" href="{href}"/>',
    )
    with pytest.raises(ManifestError, match="points outside the package"):
        parse_manifest(data)


@pytest.mark.parametrize(
    ("orgs", "reason"),
    [
        ("<organizations/>", "no <organization>"),
        (
            ORG.format('<item identifier="i"><title>Bagian</title></item>'),
            "nothing can be launched",
        ),
    ],
)
def test_structural_refusals(orgs, reason):
    with pytest.raises(ManifestError, match=reason):
        parse_manifest(build(orgs, ""))


def test_missing_scormtype_launches_as_sco():
    data = build(
        ORG.format('<item identifier="i" identifierref="r"><title>T</title></item>'),
        '<resource identifier="r" type="webcontent" href="a.html"/>',
    )
    assert launchable_items(parse_manifest(data))[0].scorm_type == "sco"


@pytest.mark.parametrize(
    "data",
    [
        b'<?xml version="1.0"?><!DOCTYPE manifest SYSTEM "http://evil.example/x.dtd"><manifest/>',
        b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]><manifest>&x;</manifest>',
        b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
        b"<manifest>&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;</manifest>",
    ],
    ids=["external-dtd", "xxe", "billion-laughs"],
)
def test_dtds_are_refused_quickly(data):
    started = time.monotonic()
    with pytest.raises(ManifestError, match="declares a DTD"):
        parse_manifest(data)
    assert time.monotonic() - started < 0.5


def test_not_a_manifest_root_and_unknown_version():
    with pytest.raises(ManifestError, match="not <manifest>"):
        parse_manifest(b"<courseStructure/>")
    with pytest.raises(ManifestError, match="does not say which SCORM version"):
        parse_manifest(b"<manifest><organizations/></manifest>")

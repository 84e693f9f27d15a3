"""Generate the Korea 2025-26 national GPU allocation scenario (seeded, deterministic).

Korea's government buys 10,000 accelerators in 2025 [K1] through cloud providers that
operate them [K4][K5][K6]; twelve monthly periods, 2025-11 .. 2026-10. Legacy A100/H100
and a FuriosaAI RNGD NPU pilot [K21] are on hand first; H200 and B200 become usable in
tranches [K6][K7][K12] at four sites with power limits. A private cloud partner adds its
self-use H200 share and co-funds its projects [K4][K6]. More B200, H200 or domestic RNGD
may be bought under export quotas and lead times. Money binds: the operating line runs
about half of the delivered capacity (the rest stays with the CSPs for their own use),
and a small capital line pays for purchases, in million won (MKRW). 344 proposals from
hospitals, courts, ministries, universities and companies ask for 1-3 alternative GPU
bundles or an elastic range; most are small (round 1 of 2026: 26.6 GPUs per project,
31 % accepted [K12]), a few foundation-model runs take 256-1024 GPUs [K17][K18].

Writes into instances/ (or --out):
  korea-2025.yaml               the scenario; it names the CSV below
  korea-2025-export-shock.yaml  the same, with 40 % of every B200 delivery from month 4
                                (2026-02) on blocked; purchase options are unchanged; its
                                `scenarios` (for the robust policy) say how it may unfold
  korea-2025-projects.csv       the project table both files share

Rerun:  python scripts/make_korea_2025.py [--seed 2025] [--out DIR] [--check]
The same seed gives byte-identical files. Keys such as [S13] or [K6] are the sources
listed in the project's domain-facts sheet (DOMAIN-FACTS.md, kept with the design
notes); "assumption" marks numbers not found there.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from allocopt.instance.loaders import CSV_COLUMNS

CSV_NAME = "korea-2025-projects.csv"
PERIODS = [f"2025-{m:02d}" for m in (11, 12)] + [f"2026-{m:02d}" for m in range(1, 11)]
SHOCK_FROM, SHOCK_SHARE = 3, 0.4  # month 4 = 2026-02: 40 % of B200 deliveries blocked
OPEX_SHARE = 0.5  # operating line / cost of running every delivered public GPU (assumption)
CAPEX_MKRW = 12_000  # capital line for purchases, 12 bn won (assumption; cf. [K4])

KRW_PER_USD = 1400  # assumption: 2025 exchange rate
# Installed system (servers, network) over chip price, derived so that the K5 plan
# (H200 6,400 + B200 3,600 for 860 bn won) is met at the S13 prices 35k and 40k USD.
SYSTEM_FACTOR = 860e9 / ((6400 * 35e3 + 3600 * 40e3) * KRW_PER_USD)  # ~1.67
# CSP operations fee per H100-equivalent-month (fees scale with performance, assumption):
# 600 bn won over 5 years [K5][K4] for 6,400 H200 + 3,600 B200 [K5] -> ~0.59 MKRW.
OPS_FEE = 600e9 / 60 / (6400 * 1.4 + 3600 * 2.2) / 1e6
LEGACY_FEE = 0.1  # A100s are owned outright: maintenance only (assumption)
WON_PER_KWH, HOURS, REF_PUE = 182.7, 730, 1.3  # large users [D1][D2]; new sites [D4]
NODE_OVERHEAD = 10.2 / (8 * 0.7)  # 8xH100 server: 10.2 kW max for 8 x 700 W boards [S16]

# id, name, vendor, memory GB, perf vs H100, board W, export-controlled, chip price USD
TYPES = [
    # 192 GB, 1,000 W [S2]; BF16 2,250/989 = 2.3x, MLPerf training 2.0-2.2x [S18]; 40k [S13]
    ("B200", "NVIDIA B200 (HGX)", "NVIDIA", 192, 2.2, 1000, True, 40e3),
    # 141 GB, 700 W [S4]; BF16 as H100, 70B inference 1.7x [S19] -> 1.4; 35k [S13]
    ("H200", "NVIDIA H200 SXM", "NVIDIA", 141, 1.4, 700, True, 35e3),
    ("H100", "NVIDIA H100 SXM", "NVIDIA", 80, 1.0, 700, True, 30e3),  # [S1]; 30k [S13]
    ("A100", "NVIDIA A100 80GB SXM", "NVIDIA", 80, 0.32, 400, True, 15e3),  # 312/989 [S3]; [S11]
    # 48 GB [S8]; 0.3-0.46x H100 in FP8 tests [S21]; price not found: 10k USD assumed
    ("RNGD", "FuriosaAI RNGD", "FuriosaAI", 48, 0.35, 375, False, 10e3),
]
PERF = {t[0]: t[4] for t in TYPES}
# id, name, MW, PUE, hosts. PUE: liquid-cooled 1.2 [S13], new 1.3 [D4], legacy near the
# 1.58 average [D3]. MW are assumptions below full load (gwangju: 9.4 MW with purchases),
# so grid connections, not GPUs, limit some sites.
SITES = [
    ("gwangju", "Gwangju AI data centre (CSP-operated, liquid-cooled)", 6.5, 1.2, ["B200"]),
    ("ansan", "Ansan cloud data centre (CSP-operated)", 2.4, 1.3, ["B200", "H100"]),
    ("chuncheon", "Chuncheon cloud data centre (partner-operated)", 5.4, 1.3, ["H200"]),
    ("daejeon", "Daejeon national supercomputing centre", 1.1, 1.55, ["A100", "H100", "RNGD"]),
]
# (type, site, period index, units, partner): 10,000 by 2026-07. Ordered Aug 2025 and
# delivered Oct-Nov [K7], but only ~4,000 of the new ones were usable in Mar 2026 [K12].
SUPPLY = [
    ("A100", "daejeon", 0, 800, None), ("H100", "daejeon", 0, 232, None),  # legacy
    ("H100", "ansan", 0, 512, None),
    ("RNGD", "daejeon", 2, 320, None),  # NPU data-centre pilot [K21]
    ("H200", "chuncheon", 1, 760, None), ("H200", "chuncheon", 4, 768, None),
    ("H200", "chuncheon", 6, 768, None),  # government share 2,296 H200 [K6]
    ("H200", "chuncheon", 2, 760, "hanbit_cloud"),  # CSP self-use 3,056 - 2,296 [K6]
    ("B200", "gwangju", 3, 880, None), ("B200", "gwangju", 6, 1320, None),
    ("B200", "gwangju", 8, 1360, None),  # liquid-cooled B200 site [K6]
    ("B200", "ansan", 5, 720, None), ("B200", "ansan", 7, 800, None),
]
# id, parent, weight, min share, max share (of awarded performance-equivalent GPU-months)
AREAS = [
    ("healthcare", None, 1.0, 0.25, 1.0),
    ("mental_health", "healthcare", 1.25, 0.0, 1.0),
    ("pediatric_disease", "healthcare", 1.3, 0.07, 1.0),
    ("critical_care", "healthcare", 1.2, 0.0, 1.0),
    ("finance", None, 0.8, 0.0, 0.10),
    ("judiciary", None, 1.05, 0.0, 1.0),
    ("public_services", None, 1.0, 0.10, 1.0),
    ("robotics", None, 0.95, 0.0, 1.0),
    ("foundation_models", None, 1.0, 0.0, 0.30),
]
# prefix, projects, primary-type weights (B200, H200, H100, A100), elastic share, owners.
# Elastic requests are few: they add the most columns and are flexible in size anyway.
AREA_PLAN = {
    "mental_health": ("MH", 44, (3, 4, 2, 1), 0.175, ("hospital", "university", "company")),
    "pediatric_disease": ("PD", 34, (3, 4, 2, 1), 0.1, ("hospital", "university")),
    "critical_care": ("CC", 40, (3, 4, 2, 1), 0.15, ("hospital", "university", "company")),
    "finance": ("FI", 48, (4, 3, 2, 1), 0.175, ("finance", "company", "ministry")),
    "judiciary": ("JU", 38, (3, 4, 2, 1), 0.15, ("court", "ministry", "company")),
    "public_services": ("PS", 44, (3, 4, 2, 1), 0.15, ("ministry", "local", "university")),
    "robotics": ("RO", 58, (4, 3, 2, 1), 0.15, ("company", "university", "institute")),
    "foundation_models": ("FM", 30, (8, 2, 0, 0), 0.3, ("company", "university")),
}
TOPICS = {
    "mental_health": ["Depression screening from counselling transcripts",
                      "Suicide-risk early warning for crisis hotlines",
                      "Safety evaluation of Korean therapy chatbots",
                      "Speech biomarkers of postpartum depression"],
    "pediatric_disease": ["Rare pediatric disease diagnosis from genomes",
                          "Neonatal ICU sepsis prediction", "Pediatric MRI segmentation",
                          "Childhood leukaemia relapse modelling"],
    "critical_care": ["ICU deterioration early warning", "Ambulance triage from call audio",
                      "Ventilator weaning decision support", "Stroke CT triage"],
    "finance": ["Fraud detection for instant payments", "Korean LLM for disclosure analysis",
                "SME credit risk models", "Anti-money-laundering graph learning"],
    "judiciary": ["Ruling summarisation for the public", "Speech-to-text for hearings",
                  "Legal retrieval for public defenders", "Case backlog forecasting"],
    "public_services": ["Civil complaint triage assistant", "Flood and typhoon forecasting",
                        "Multilingual public service assistant", "Tax document understanding"],
    "robotics": ["Humanoid manipulation policy learning", "Shipyard welding robot vision",
                 "Warehouse robot fleet planning", "Agricultural robot perception"],
    "foundation_models": ["Korean LLM continued pre-training", "Korean multimodal model",
                          "Korean speech foundation model", "Small Korean LLM for devices"],
}
# Korean titles beside the English ones (the `title_ko` column, carried to projects.csv
# and shown by `allocopt report --lang ko`).
TITLES_KO = {
    "Depression screening from counselling transcripts": "상담 기록 기반 우울증 선별",
    "Suicide-risk early warning for crisis hotlines": "위기 상담전화 자살 위험 조기 경보",
    "Safety evaluation of Korean therapy chatbots": "한국어 심리상담 챗봇 안전성 평가",
    "Speech biomarkers of postpartum depression": "산후우울증 음성 바이오마커",
    "Rare pediatric disease diagnosis from genomes": "유전체 기반 소아 희귀질환 진단",
    "Neonatal ICU sepsis prediction": "신생아 중환자실 패혈증 예측",
    "Pediatric MRI segmentation": "소아 MRI 영상 분할",
    "Childhood leukaemia relapse modelling": "소아 백혈병 재발 모델링",
    "ICU deterioration early warning": "중환자실 상태 악화 조기 경보",
    "Ambulance triage from call audio": "신고 음성 기반 구급 중증도 분류",
    "Ventilator weaning decision support": "인공호흡기 이탈 의사결정 지원",
    "Stroke CT triage": "뇌졸중 CT 중증도 분류",
    "Fraud detection for instant payments": "즉시 결제 사기 탐지",
    "Korean LLM for disclosure analysis": "공시 분석용 한국어 LLM",
    "SME credit risk models": "중소기업 신용위험 모델",
    "Anti-money-laundering graph learning": "자금세탁방지 그래프 학습",
    "Ruling summarisation for the public": "국민을 위한 판결문 요약",
    "Speech-to-text for hearings": "재판 음성 텍스트 변환",
    "Legal retrieval for public defenders": "국선변호인용 법률 검색",
    "Case backlog forecasting": "미제 사건 예측",
    "Civil complaint triage assistant": "민원 분류 도우미",
    "Flood and typhoon forecasting": "홍수·태풍 예측",
    "Multilingual public service assistant": "다국어 공공서비스 도우미",
    "Tax document understanding": "세무 문서 이해",
    "Humanoid manipulation policy learning": "휴머노이드 조작 정책 학습",
    "Shipyard welding robot vision": "조선소 용접 로봇 비전",
    "Warehouse robot fleet planning": "물류창고 로봇 군집 계획",
    "Agricultural robot perception": "농업 로봇 인지",
    "Korean LLM continued pre-training": "한국어 LLM 추가 사전학습",
    "Korean multimodal model": "한국어 멀티모달 모델",
    "Korean speech foundation model": "한국어 음성 파운데이션 모델",
    "Small Korean LLM for devices": "기기용 소형 한국어 LLM",
    "Sovereign Korean foundation model, team 1": "독자 한국어 파운데이션 모델, 1팀",
    "National disaster response forecasting": "국가 재난 대응 예측",
    "Court hearing speech-to-text": "법정 심리 음성 텍스트 변환",
    "National pediatric rare-disease registry model": "국가 소아 희귀질환 등록 모델",
    "Specialised medical model, stage 1": "의료 특화 모델, 1단계",
    "Specialised medical model, stage 2": "의료 특화 모델, 2단계",
    "Specialised legal model, stage 1": "법률 특화 모델, 1단계",
    "Specialised legal model, stage 2": "법률 특화 모델, 2단계",
}
SCALE_UP = " (scale-up)"


def title_ko(title: str) -> str:
    """The Korean title of an English one (a scale-up keeps its pilot's, marked)."""
    if title.endswith(SCALE_UP):
        return TITLES_KO[title[:-len(SCALE_UP)]] + " (확대)"
    return TITLES_KO[title]


ROOTS = ["Hanbit", "Saerom", "Nuri", "Arum", "Gaon", "Haneul", "Purun", "Dasol", "Bitna",
         "Doran", "Yeoul", "Seorin", "Daon", "Raon", "Saebom", "Haram", "Sodam", "Jiwoo"]
REGIONS = ["Seoul", "Busan", "Daegu", "Incheon", "Gwangju", "Daejeon", "Ulsan", "Sejong",
           "Suwon", "Changwon", "Jeonju", "Cheongju", "Chuncheon", "Wonju", "Jeju", "Pohang",
           "Andong", "Mokpo", "Gangneung", "Gimhae"]
MINISTRIES = ["Ministry of Health and Welfare", "Ministry of the Interior and Safety",
              "Ministry of Justice", "Ministry of Science and ICT", "National Tax Service",
              "Korea Meteorological Administration", "Statistics Korea",
              "Financial Supervisory Service"]


def price_mkrw(type_id: str) -> float:
    """Installed price of one unit in million won."""
    usd = next(t[7] for t in TYPES if t[0] == type_id)
    return round(usd * KRW_PER_USD * SYSTEM_FACTOR / 1e6, 1)


def gpu_types() -> list[dict[str, Any]]:
    """Types with server-level power per GPU and operating cost per GPU-month in MKRW."""
    out = []
    for tid, name, vendor, mem, perf, watts, controlled, _ in TYPES:
        # RNGD: 3 kW per 8-card server [S8]; others: board power x H100 node overhead.
        kw = 3.0 / 8 if tid == "RNGD" else round(watts / 1000 * NODE_OVERHEAD, 3)
        fee = LEGACY_FEE if tid == "A100" else OPS_FEE * perf
        opex = fee + kw * REF_PUE * HOURS * WON_PER_KWH / 1e6
        out.append({"id": tid, "name": name, "vendor": vendor, "memory_gb": mem, "perf": perf,
                    "power_kw": kw, "node_size": 8, "export_controlled": controlled,
                    "opex_per_period": round(opex, 3)})
    return out


def sites() -> list[dict[str, Any]]:
    return [{"id": s, "name": n, "power_mw": mw, "pue": pue, "hosts": hosts}
            for s, n, mw, pue, hosts in SITES]


def supply(shock: bool) -> list[dict[str, Any]]:
    """Deliveries; under `shock`, 40 % of each B200 delivery from month 4 on is blocked."""
    out = []
    for tid, site, t, units, partner in SUPPLY:
        if shock and tid == "B200" and t >= SHOCK_FROM:
            units -= round(units * SHOCK_SHARE)
        entry = {"type": tid, "site": site, "period": PERIODS[t], "units": units}
        if partner:
            entry["partner"] = partner
        out.append(entry)
    return out


def procurement() -> list[dict[str, Any]]:
    """Purchases under export quota and lead time. B200: Blackwell booked out ~12 months
    [D7]; quota 744 ~ the 1,699 H100-eq licence-free lane [E1] at 2.27 H100-eq per B200
    (FP8 4,500/1,979 TFLOPS [S2][S1]). H200: 8-12 weeks [D6]. RNGD: domestic, no licence."""
    return [
        {"id": "buy-b200", "type": "B200", "price": price_mkrw("B200"),
         "earliest_period": PERIODS[6], "max_units": 744, "sites": ["gwangju"],
         "delivery_risk": 0.2},
        {"id": "buy-h200", "type": "H200", "price": price_mkrw("H200"),
         "earliest_period": PERIODS[4], "max_units": 256, "sites": ["chuncheon"]},
        {"id": "buy-rngd", "type": "RNGD", "price": price_mkrw("RNGD"),
         "earliest_period": PERIODS[3], "max_units": 1024, "sites": ["daejeon"]},
    ]


def areas() -> list[dict[str, Any]]:
    out = []
    for aid, parent, weight, lo, hi in AREAS:
        area: dict[str, Any] = {"id": aid, "name": aid.replace("_", " ").capitalize(),
                                "weight": weight}
        if parent:
            area["parent"] = parent
        if lo:
            area["min_share"] = lo
        if hi < 1:
            area["max_share"] = hi
        out.append(area)
    return out


def budget() -> dict[str, Any]:
    """Public money in MKRW: an operating line (OPEX_SHARE of running every delivered
    public GPU to the horizon's end) and a capital line for purchases."""
    opex = {t["id"]: t["opex_per_period"] for t in gpu_types()}
    full = sum(units * opex[tid] * (len(PERIODS) - t) for tid, _, t, units, p in SUPPLY if not p)
    return {"currency": "MKRW", "capex": CAPEX_MKRW, "opex": round(OPEX_SHARE * full, -3)}


def owner(rng: np.random.Generator, kind: str) -> str:
    """An invented but Korean-sounding organisation name of a kind."""
    root, region = str(rng.choice(ROOTS)), str(rng.choice(REGIONS))
    names = {
        "hospital": [f"{root} University Hospital, {region}", f"{region} {root} Medical Center",
                     f"{root} Children's Hospital, {region}"],
        "university": [f"{root} University", f"{region} National University",
                       f"{region} Institute of Science and Technology"],
        "company": [f"{root} AI", f"{root} Labs", f"{root} Healthcare", f"{root} Systems"],
        "finance": [f"{root} Bank", f"{root} Securities", f"{root} Insurance", f"{root} Card"],
        "court": [f"{region} District Court", "National Court Administration",
                  f"{region} Family Court"],
        "ministry": MINISTRIES,
        "local": [f"{region} City Hall", f"{region} Metropolitan Government"],
        "institute": [f"Korea {root} Robotics Institute", f"{root} Robotics",
                      f"{root} Heavy Industries", f"{root} Mobility"],
    }[kind]
    return str(rng.choice(names))


def largest_pool(type_id: str) -> int:
    """Most units of a type that one site will ever hold (deliveries plus purchases)."""
    pools: dict[str, int] = {}
    for tid, site, _, units, _ in SUPPLY:
        pools[site] = pools.get(site, 0) + units * (tid == type_id)
    for option in procurement():
        if option["type"] == type_id:
            for site in option["sites"]:
                pools[site] = pools.get(site, 0) + option["max_units"]
    return max(pools.values())


def nodes(x: float) -> int:
    """Round a GPU count to whole 8-GPU servers, at least one."""
    return max(8, round(x / 8) * 8)


def request_size(rng: np.random.Generator, area: str) -> int:
    """Heavy-tailed size in primary-type GPUs: most 8-64 [K12], some up to 256, and a few
    foundation-model runs of 256-1024 [K17][K18]."""
    if area == "foundation_models":
        return int(rng.choice([64, 96, 128, 128, 192, 256, 256, 384, 512, 1024]))
    return min(256, nodes(rng.lognormal(np.log(32), 0.9)))


def configurations(rng: np.random.Generator, primary: str, size: int) -> str:
    """1-3 alternative bundles in the loader's cell syntax, e.g. 'h200=H200:64 | ...';
    alternatives are sized to roughly the same work (80-100 % of it)."""
    alts = [f"{primary.lower()}={primary}:{size}"]
    others = [t for t in ("B200", "H200", "H100", "A100") if t != primary]
    k = int(rng.choice([0, 1, 2], p=[0.5, 0.4, 0.1]))
    for tid in rng.choice(others, size=k, replace=False):
        n = nodes(size * PERF[primary] / PERF[tid] * rng.uniform(0.8, 1.0))
        if n > largest_pool(tid):
            continue  # no site could ever run it
        if tid == "A100" and rng.random() < 0.3:  # with a small H100 head node (daejeon)
            alts.append(f"a100mix=A100:{n}+H100:8")
        else:
            alts.append(f"{tid.lower()}={tid}:{n}")
    return " | ".join(alts)


def elastic(rng: np.random.Generator, primary: str, size: int) -> dict[str, str]:
    """Min viable / max useful size in H100-equivalents on a family of types that one or
    two sites host. Inference may use RNGD at 0.45 (0.46x H100 on 70B serving [S21])."""
    hi = max(8, round(size * PERF[primary]))
    families = {"B200": ["B200", "H100"], "H200": ["H200"], "H100": ["H100", "RNGD"],
                "A100": ["A100", "RNGD"]}
    eff = {t: 0.45 if t == "RNGD" else PERF[t] for t in families[primary]}
    return {"min_gpus": str(max(4, round(hi * rng.uniform(0.25, 0.5)))), "max_gpus": str(hi),
            "types": " ".join(eff), "efficiency": "+".join(f"{t}:{e:g}" for t, e in eff.items())}


def window(rng: np.random.Generator, duration: int, max_slack: int = 3) -> tuple[int, int]:
    """Earliest start and latest end (period indices) with 0-3 periods of slack (mostly
    0-1, to keep the model compact); starts follow the GPUs on hand, as users were
    admitted when GPUs were ready [K12]."""
    slack = int(rng.choice([0, 1, 2, 3], p=[0.5, 0.3, 0.15, 0.05]))
    slack = min(slack, max_slack, len(PERIODS) - duration)
    arrivals = np.zeros(len(PERIODS))
    for _, _, t, units, _ in SUPPLY:
        arrivals[t] += units
    w = np.cumsum(arrivals)[: len(PERIODS) - duration - slack + 1]
    start = int(rng.choice(len(w), p=w / w.sum()))
    return start, start + duration - 1 + slack


def project_row(rng: np.random.Generator, area: str, k: int) -> dict[str, str]:
    """One proposal as a CSV row (all cells are strings)."""
    prefix, _, weights, p_elastic, owners = AREA_PLAN[area]
    w = np.array(weights, dtype=float)
    primary = str(rng.choice(["B200", "H200", "H100", "A100"], p=w / w.sum()))
    size = request_size(rng, area)
    if primary == "A100":
        size = nodes(size * 2)  # older parts: more of them for the same work
    duration = int(rng.choice([2, 3, 4, 5, 6], p=[0.15, 0.25, 0.25, 0.15, 0.2]))
    is_elastic = rng.random() < p_elastic
    start, end = window(rng, duration, 0 if is_elastic else 3)  # elastic: fixed dates
    row = {"id": f"{prefix}-{k:03d}", "title": str(rng.choice(TOPICS[area])),
           "owner": owner(rng, str(rng.choice(owners))), "area": area,
           "score": f"{60 + 40 * rng.beta(2.5, 2):.1f}", "earliest_start": PERIODS[start],
           "latest_end": PERIODS[end], "duration": str(duration), "mandatory": "false"}
    if is_elastic:
        row.update(elastic(rng, primary, size))
    else:
        row["configurations"] = configurations(rng, primary, size)
    if area in ("finance", "robotics", "foundation_models") and rng.random() < 0.25:
        row["partner"] = "hanbit_cloud"  # runs with, and is co-funded by, the CSP partner
    return row


def special_rows() -> list[dict[str, str]]:
    """Mandatory national projects and two stage-gated specialised models [K17][K18]."""
    def row(pid: str, title: str, who: str, area: str, window: tuple[int, int, int],
            configs: str, mandatory: bool = False, depends: str = "") -> dict[str, str]:
        start, end, duration = window
        return {"id": pid, "title": title, "owner": who, "area": area, "score": "90",
                "earliest_start": PERIODS[start], "latest_end": PERIODS[end],
                "duration": str(duration), "mandatory": str(mandatory).lower(),
                "depends_on": depends, "configurations": configs}

    return [
        row("FM-SOV-1", "Sovereign Korean foundation model, team 1", "Gaon AI consortium",
            "foundation_models", (3, 11, 6), "mixed=B200:512+H100:512 | b200=B200:768",
            mandatory=True),  # B200 512 + H100 512 per team; extra team B200 768 [K18]
        row("PS-NAT-1", "National disaster response forecasting", MINISTRIES[1],
            "public_services", (1, 8, 6), "h200=H200:64 | b200=B200:40", mandatory=True),
        row("JU-NAT-1", "Court hearing speech-to-text", "National Court Administration",
            "judiciary", (0, 5, 4), "h100=H100:32 | h200=H200:24", mandatory=True),
        row("PD-NAT-1", "National pediatric rare-disease registry model", MINISTRIES[0],
            "pediatric_disease", (2, 9, 5), "h200=H200:48 | h100=H100:64", mandatory=True),
        row("FM-SPC-1a", "Specialised medical model, stage 1", "Nuri Medical AI",
            "foundation_models", (2, 7, 4), "b200=B200:256"),  # 2 x 256 B200 [K17]
        row("FM-SPC-1b", "Specialised medical model, stage 2", "Nuri Medical AI",
            "foundation_models", (5, 11, 4), "b200=B200:256", depends="FM-SPC-1a"),
        row("FM-SPC-2a", "Specialised legal model, stage 1", "Dasol Labs",
            "foundation_models", (2, 7, 4), "b200=B200:256 | h200=H200:384"),
        row("FM-SPC-2b", "Specialised legal model, stage 2", "Dasol Labs",
            "foundation_models", (5, 11, 4), "b200=B200:256", depends="FM-SPC-2a"),
    ]


def link_projects(rng: np.random.Generator, rows: list[dict[str, str]]) -> None:
    """A few pilot -> scale-up dependencies (the pilot must finish first) and exclusions
    between competing consortia bidding for the same call."""
    by_area: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        if r["mandatory"] == "false" and not r.get("depends_on"):
            by_area.setdefault(r["area"], []).append(r)
    for area in ("pediatric_disease", "critical_care", "public_services", "robotics"):
        early = [r for r in by_area[area] if PERIODS.index(r["latest_end"]) <= 6]
        late = [r for r in by_area[area] if PERIODS.index(r["earliest_start"]) >= 7]
        if early and late:
            pilot, scale = early[0], late[-1]
            scale.update(depends_on=pilot["id"], title=f"{pilot['title']} (scale-up)",
                         owner=pilot["owner"])
    for area in ("judiciary", "finance", "mental_health", "robotics"):
        a, b = rng.choice(len(by_area[area]), size=2, replace=False)
        by_area[area][a]["excludes"] = by_area[area][b]["id"]
        by_area[area][b]["title"] = by_area[area][a]["title"]


def projects(rng: np.random.Generator) -> list[dict[str, str]]:
    rows = special_rows()
    for area, (_, count, *_rest) in AREA_PLAN.items():
        rows.extend(project_row(rng, area, k) for k in range(1, count + 1))
    link_projects(rng, rows)
    for r in rows:
        r["title_ko"] = title_ko(r["title"])
    return rows


def instance(shock: bool) -> dict[str, Any]:
    """The instance document; both variants share the project table."""
    what = "40 % of B200 deliveries from 2026-02 on are blocked. " if shock else ""
    return {
        "name": "korea-2025-export-shock" if shock else "korea-2025",
        "description": (f"Korea national AI computing: {sum(s[3] for s in SUPPLY):,} GPUs "
                        f"usable from {PERIODS[0]} to {PERIODS[max(s[2] for s in SUPPLY)]}. "
                        f"{what}Generated by scripts/make_korea_2025.py."),
        "periods": PERIODS, "gpu_types": gpu_types(), "sites": sites(),
        "supply": supply(shock), "procurement": procurement(), "areas": areas(),
        "partners": [{"id": "hanbit_cloud", "name": "Hanbit Cloud (CSP operator)",
                      "kind": "private", "cofunding_share": 0.4}],
        # title_ko is not a known column: carried through to projects.csv
        "project_tables": [{"csv": CSV_NAME, "extra_columns": "keep"}],
        # a late start loses 3 % of a project's value per month
        "policy": {"objective": "weighted", "granularity": "gpu", "late_start_penalty": 0.03,
                   "budget": budget()},
        **({"scenarios": scenarios()} if shock else {}),
    }


def scenarios() -> list[dict[str, Any]]:
    """How the announced shock may unfold, for `--policy robust` (assumption: the
    probabilities are illustrative). The curbs may tighten to half of the B200 still
    arriving from 2026-05 (deliveries and purchases alike), or the Chuncheon hall that
    hosts the partner's H200 (and any H200 bought) may open two months late. (A late
    Gwangju hall would leave no room for the mandatory sovereign-model run.)"""
    return [
        {"id": "as-announced", "name": "The announced curbs only", "probability": 0.5},
        {"id": "b200-tightened", "name": "Half of the B200 arriving from 2026-05 blocked",
         "probability": 0.3,
         "blocked": [{"type": "B200", "from_period": PERIODS[6], "share": 0.5}]},
        {"id": "chuncheon-late", "name": "Chuncheon opens two months late",
         "probability": 0.2, "delays": [{"site": "chuncheon", "periods": 2}]},
    ]


def write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder, then rename it over `path`."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def to_yaml(doc: dict[str, Any], seed: int) -> str:
    head = f"# Generated by scripts/make_korea_2025.py --seed {seed}; do not edit by hand.\n"
    return head + yaml.safe_dump(doc, sort_keys=False, default_flow_style=None, width=100,
                                 allow_unicode=True)


def to_csv(rows: list[dict[str, str]]) -> str:
    buf = io.StringIO()
    columns = [*CSV_COLUMNS, "title_ko"]
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows([{c: r.get(c, "") for c in columns} for r in rows])
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).resolve().parents[1] / "instances")
    parser.add_argument("--check", action="store_true", help="load the files with allocopt")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    rows = projects(rng)
    write_atomic(args.out / CSV_NAME, to_csv(rows))
    files = {"korea-2025.yaml": instance(False), "korea-2025-export-shock.yaml": instance(True)}
    for name, doc in files.items():
        write_atomic(args.out / name, to_yaml(doc, args.seed))
    print(f"{len(rows)} projects -> {args.out}", file=sys.stderr)
    if args.check:
        import allocopt

        for name in files:
            allocopt.load_instance(args.out / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Seeded synthetic instances that look national: heavy-tailed requests, binding shares.

`generate(projects=2000, gpus=10_000, types=8, sites=3, periods=12, seed=0)` gives the
same InstanceSpec for the same arguments. GPU figures are calibrated on public specs
(see the Korea scenario script for sources), and so is the shape of a national call
(scripts/make_korea_2025.py): money binds (an operating line pays for running about
half of what is delivered), requests ask for about 1.25 times the delivered capacity
(2.5 times what the money pays for; Korea's first round funded 31 %), each GPU type is
installed at one site, most requests fix their dates within a period or two (elastic
requests: exactly), and most name one or two alternative bundles of the types on offer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from allocopt.instance.schema import InstanceSpec

# id, vendor, perf vs H100, power kW, memory GB, price (million won), export-controlled
CATALOGUE = (
    ("H200", "NVIDIA", 1.7, 0.70, 141, 48.0, True),
    ("B200", "NVIDIA", 2.3, 1.00, 192, 55.0, True),
    ("H100", "NVIDIA", 1.0, 0.70, 80, 41.0, True),
    ("A100", "NVIDIA", 0.32, 0.40, 80, 21.0, True),
    ("RNGD", "FuriosaAI", 0.4, 0.18, 48, 12.0, False),
    ("L40S", "NVIDIA", 0.37, 0.35, 48, 11.0, False),
    ("MI300X", "AMD", 1.3, 0.75, 192, 20.0, True),
    ("ATOM", "Rebellions", 0.15, 0.10, 16, 4.0, False),
    ("H20", "NVIDIA", 0.15, 0.40, 96, 19.0, True),
    ("GB200", "NVIDIA", 2.5, 1.20, 192, 70.0, True),
    ("B300", "NVIDIA", 3.0, 1.40, 288, 80.0, True),
    ("REBEL", "Rebellions", 0.8, 0.35, 144, 25.0, False),
)

AREAS = (
    ("mental_health", "Mental health", 1.3, 0.06, 1.0),
    ("pediatric_disease", "Pediatric disease", 1.4, 0.06, 1.0),
    ("critical_care", "Critical care", 1.5, 0.0, 1.0),
    ("finance", "Finance", 0.8, 0.0, 1.0),
    ("judiciary", "Judiciary", 1.0, 0.09, 1.0),
    ("public_services", "Public services", 1.2, 0.14, 1.0),
    ("robotics", "Robotics", 0.9, 0.0, 1.0),
    ("foundation_models", "Foundation models", 1.0, 0.0, 0.35),
)


OPEX_SHARE = 0.5  # operating line / cost of running every delivered GPU to the horizon's end
DEMAND = 1.25  # requested performance-equivalent GPU-periods / delivered
ELASTIC = 0.2  # share of elastic requests (Korea: 17 %)
SLACK = (0.5, 0.3, 0.15, 0.05)  # P(0, 1, 2, 3 periods of slack in a request's window)
ALTERNATIVES = (0.5, 0.4, 0.1)  # P(1, 2, 3 configurations)


def _spread(total: int, weights: np.ndarray) -> np.ndarray:
    """Split an integer total in proportion to weights, exactly."""
    raw = total * weights / weights.sum()
    out = np.floor(raw).astype(int)
    out[np.argsort(out - raw)[: total - out.sum()]] += 1
    return out


def generate(projects: int = 2000, gpus: int = 10_000, types: int = 8, sites: int = 3,
             periods: int = 12, seed: int = 0) -> InstanceSpec:
    """A national-looking instance; every argument is honoured exactly."""
    if not 1 <= types <= len(CATALOGUE):
        raise ValueError(f"types must be between 1 and {len(CATALOGUE)}")
    rng = np.random.default_rng(seed)
    period_ids = [f"M{t + 1:02d}" for t in range(periods)]
    catalogue = CATALOGUE[:types]
    gpu_types = [{"id": g, "name": g, "vendor": v, "perf": perf, "power_kw": kw,
                  "memory_gb": mem, "node_size": 8, "export_controlled": ec,
                  "opex_per_period": round(kw * 1.3 * 730 * 0.18 / 1000 + 0.4, 4)}
                 for g, v, perf, kw, mem, _, ec in catalogue]
    type_ids = [g[0] for g in catalogue]
    type_share = rng.dirichlet(np.full(types, 2.0))
    per_type = _spread(gpus, type_share)

    site_list = []
    for s in range(sites):
        hosts = [] if s == 0 or types < 3 else sorted(
            rng.choice(type_ids, size=max(2, types - 1 - s % 3), replace=False).tolist())
        site_list.append({"id": f"DC{s + 1}", "power_mw": 0.0, "pue": round(1.15 + 0.05 * s, 2),
                          "hosts": hosts})
    supply, site_kw = [], np.zeros(sites)
    tranches = max(1, min(4, periods))
    for k, g in enumerate(type_ids):  # a type's deliveries go to one site that hosts it
        able = [s for s in range(sites) if not site_list[s]["hosts"] or g in site_list[s]["hosts"]]
        s = able[int(rng.integers(len(able)))]
        arrivals = sorted(rng.choice(max(1, periods // 2), size=tranches).tolist())
        for t, n in zip(arrivals, _spread(int(per_type[k]), np.ones(tranches)), strict=True):
            if n > 0:
                supply.append({"type": g, "site": f"DC{s + 1}", "period": period_ids[t],
                               "units": int(n)})
        site_kw[s] += per_type[k] * catalogue[k][3] * site_list[s]["pue"]
    for s in range(sites):  # power for ~85 % of what the site will hold
        site_list[s]["power_mw"] = round(max(0.05, 0.85 * site_kw[s] / 1000), 3)

    perf = np.array([g[2] for g in catalogue])
    mean_gp = (per_type * perf).sum() * periods / max(1, projects) * DEMAND
    project_list = []
    areas = [a[0] for a in AREAS]
    area_p = np.array([3, 3, 3, 2, 2, 3, 2, 1], dtype=float)
    for i in range(projects):
        area = areas[rng.choice(len(areas), p=area_p / area_p.sum())]
        elastic = bool(rng.random() < ELASTIC)
        duration = int(rng.integers(1, min(6, periods) + 1))
        slack = 0 if elastic else min(int(rng.choice(len(SLACK), p=SLACK)), periods - duration)
        first = int(rng.integers(0, periods - duration - slack + 1))
        window = {"earliest_start": period_ids[first],
                  "latest_end": period_ids[first + duration + slack - 1], "duration": duration}
        size_pe = float(np.clip(rng.lognormal(np.log(mean_gp / duration / 2.2), 0.9), 1, None))
        if area == "foundation_models":
            size_pe *= 6
        score = round(float(np.clip(rng.gamma(4.0, 0.25), 0.1, 5.0)), 3)
        body: dict[str, Any] = {"id": f"P{i + 1:05d}", "title": f"{area} project {i + 1}",
                                "owner": f"org-{rng.integers(1, projects // 4 + 2)}",
                                "area": area, "score": score, "window": window}
        if not elastic:  # alternatives among the types on offer, the plentiful more often
            n = min(types, 1 + int(rng.choice(len(ALTERNATIVES), p=ALTERNATIVES)))
            options = rng.choice(types, size=n, replace=False, p=type_share)
            body["request"] = {"configurations": [
                {"id": f"c{k + 1}",
                 "gpus": {type_ids[g]: 8 * max(1, round(size_pe / perf[g] / 8))}}
                for k, g in enumerate(options)]}
        else:
            usable = rng.choice(types, size=min(types, int(rng.integers(1, 3))), replace=False,
                                p=type_share)
            body["request"] = {"elastic": {"min_gpus": round(size_pe * 0.4, 2),
                                           "max_gpus": round(size_pe * 1.5, 2),
                                           "types": [type_ids[g] for g in sorted(usable)]}}
        project_list.append(body)
    for i in rng.choice(projects, size=projects // 100, replace=False):
        j = int(rng.integers(0, projects))
        if j != i and project_list[j]["area"] == project_list[i]["area"]:
            project_list[i]["excludes"] = [project_list[j]["id"]]

    cheapest = int(np.argmin([g[5] / g[2] for g in catalogue]))
    procurement = [{"id": f"buy-{type_ids[k]}", "type": type_ids[k], "price": catalogue[k][5],
                    "earliest_period": period_ids[min(periods - 1, periods // 3)],
                    "max_units": int(gpus * 0.1)} for k in sorted({0, cheapest})]
    capex = float(sum(o["price"] * o["max_units"] for o in procurement) * 0.5)
    opex_of = {g["id"]: g["opex_per_period"] for g in gpu_types}
    running = sum(e["units"] * opex_of[e["type"]] * (periods - period_ids.index(e["period"]))
                  for e in supply)
    return InstanceSpec.model_validate({
        "name": f"national-{projects}p-{gpus}g-s{seed}",
        "description": "Synthetic national instance from allocopt.instance.generator",
        "periods": period_ids, "gpu_types": gpu_types, "sites": site_list, "supply": supply,
        "procurement": procurement,
        "areas": [{"id": a, "name": n, "weight": w, "min_share": lo, "max_share": hi}
                  for a, n, w, lo, hi in AREAS],
        "projects": project_list,
        "policy": {"late_start_penalty": 0.03, "budget": {"currency": "MKRW", "capex": capex,
                                                       "opex": round(OPEX_SHARE * running, 1)}},
    })

"""Korean forms of the report's messages (English template → Korean template).

Fields in braces are filled in by `allocopt.report.i18n.text`; every field of the
English template appears in the Korean one (a test checks both). Terms used
throughout: 성능 환산 GPU (performance-equivalent GPU), GPU·기간 (GPU-period), 중점 분야
(priority area), 지원/미지원 (funded/not funded), 수출 통제 (export control), 공동 부담
(co-funding), 잠재 가격 (shadow price).
"""

from __future__ import annotations

KO: dict[str, str] = {
    # --- page, headline ------------------------------------------------------------
    "GPU allocation report: {title}": "GPU 배분 보고서: {title}",
    "{status} · solver {backend} · {n} of {total} projects funded":
        "{status} · 솔버 {backend} · 과제 {total}개 중 {n}개 지원",
    "Headline figures": "주요 지표",
    "Contents": "목차",
    "Projects funded": "지원 과제",
    "{n} of {total}": "{total}개 중 {n}개",
    "{n} not funded": "{n}개 미지원",
    "Value achieved": "달성 가치",
    "Cost (minimised)": "비용(최소화)",
    "{share} of the proven upper bound {bound}": "증명된 상한 {bound}의 {share}",
    "proven lower bound {bound}": "증명된 하한 {bound}",
    "no bound proven": "증명된 한계 없음",
    "Optimality gap": "최적성 격차",
    "Optimal: proven best within the tolerance asked for":
        "최적: 요청한 허용 오차 안에서 최선임이 증명됨",
    "Feasible: best allocation found before the time limit, not proven best":
        "실행 가능: 시간 제한 전까지 찾은 최선의 배분(최선임은 증명되지 않음)",
    "Public spend": "공공 지출",
    "purchases {capex} + operation {opex}": "구매 {capex} + 운영 {opex}",
    "; budget {total}": "; 예산 {total}",
    "Solver and run time": "솔버와 실행 시간",
    "Solver": "솔버",
    "(limit {limit} s)": "(제한 {limit}초)",
    "Rules re-checked": "규칙 재검증",
    "All hold": "모두 충족",
    "VIOLATED": "위반",
    "every rule recomputed from the allocation alone": "모든 규칙을 배분 결과만으로 다시 계산",
    "see summary.json: violations": "summary.json의 violations 참조",
    "Instance fingerprint (SHA-256):": "인스턴스 지문(SHA-256):",
    "Policy: {name} — {text}.": "정책: {name} — {text}.",
    "weighted value: area weight × score × value, summed over funded projects":
        "가중 가치: 분야 가중치 × 점수 × 가치를 지원 과제 전체에 대해 합산",
    "max–min fairness across priority areas (water-filling), then weighted value":
        "중점 분야 간 최대–최소 공정성(water-filling), 이어서 가중 가치",
    "max–min fairness across projects (water-filling), then weighted value":
        "과제 간 최대–최소 공정성(water-filling), 이어서 가중 가치",
    "proportional fairness across priority areas (Σ weight · log satisfaction), then "
    "weighted value": "중점 분야 간 비례 공정성(Σ 가중치 · log 충족도), 이어서 가중 가치",
    "proportional fairness across projects (Σ weight · log satisfaction), then weighted "
    "value": "과제 간 비례 공정성(Σ 가중치 · log 충족도), 이어서 가중 가치",
    "lexicographic tiers: each tier's value in turn": "사전식 등급: 등급별 가치를 차례로",
    "least public spending that serves the required portfolio (the objective is a cost, "
    "minimised)": "필요한 과제 구성을 지원하는 최소 공공 지출(목적함수는 비용이며 최소화)",
    "a purchase plan for supply scenarios, allocations per scenario":
        "공급 시나리오에 대한 구매 계획과 시나리오별 배분",
    "Tier optima: {list}.": "등급별 최적값: {list}.",
    "Least satisfied projects (1 = the whole request, at the mean weight): {list}.":
        "충족도가 가장 낮은 과제(1 = 평균 가중치에서 요청 전체): {list}.",
    "Satisfaction by area (1 = its weighted fair share): {list}.":
        "분야별 충족도(1 = 가중 공정 몫): {list}.",
    "Expected value {ev}, worst case {worst}, value of the stochastic solution {vss}, "
    "expected value of perfect information {evpi}; the allocation shown is the first "
    "scenario's (scenarios.csv lists them all).":
        "기대 가치 {ev}, 최악의 경우 {worst}, 확률적 해의 가치 {vss}, 완전 정보의 기대 가치 "
        "{evpi}; 표시된 배분은 첫 번째 시나리오의 것입니다(전체는 scenarios.csv).",
    "No instance was given: GPUs available per period, site power and the reasons projects "
    "were left out need `--instance FILE`.":
        "인스턴스가 주어지지 않았습니다: 기간별 가용 GPU, 사이트 전력, 미지원 사유를 보려면 "
        "`--instance FILE`이 필요합니다.",
    "The solver stopped before proving this allocation best: a better one may be worth up "
    "to {gap} % more. Some projects listed as not funded could be funded by a longer run.":
        "솔버가 이 배분이 최선임을 증명하기 전에 멈췄습니다: 더 나은 배분은 최대 {gap} % 더 "
        "가치가 있을 수 있습니다. 더 오래 실행하면 미지원 과제 일부가 지원될 수 있습니다.",
    # --- GPUs, areas, power ----------------------------------------------------------
    "GPUs": "GPU",
    "GPUs allocated and available": "배분된 GPU와 가용 GPU",
    "How much of each GPU type projects hold, per period, against what is on hand "
    "(deliveries and purchases so far).":
        "기간별로 과제가 보유한 GPU 유형별 수량과 보유 수량(그때까지의 반입과 구매)의 비교.",
    "How much of each GPU type projects hold, per period.":
        "기간별로 과제가 보유한 GPU 유형별 수량.",
    "GPUs of each type allocated to projects per period (bars) against the GPUs available "
    "(dashed line); the title gives the share of GPU-periods used.":
        "기간별로 과제에 배분된 유형별 GPU(막대)와 가용 GPU(점선); 제목은 사용된 "
        "GPU·기간의 비율입니다.",
    "By period": "기간별",
    "GPU type": "GPU 유형",
    "Type": "유형",
    "Peak allocated": "최대 배분",
    "On hand at end": "기말 보유",
    "GPU-periods allocated": "배분된 GPU·기간",
    "GPU-periods available": "가용 GPU·기간",
    "Utilisation": "이용률",
    "of {n}": "/ {n}",
    "Priority areas": "중점 분야",
    "GPUs requested and awarded per national priority area, and each area's share of the "
    "awarded capacity (performance-equivalent GPU-periods) against its floor and cap. "
    "Sub-areas are also counted in their parent.":
        "국가 중점 분야별 요청 및 배분 GPU와, 배분 용량(성능 환산 GPU·기간) 중 각 분야의 "
        "비율을 하한·상한과 비교합니다. 하위 분야는 상위 분야에도 포함됩니다.",
    "Left: GPUs requested (hatched) and awarded (solid). Right: share of awarded capacity; "
    "▲ marks a floor, ▼ a cap.":
        "왼쪽: 요청 GPU(빗금)와 배분 GPU(채움). 오른쪽: 배분 용량 비율; ▲ 하한, ▼ 상한.",
    "Area": "분야",
    "Funded / projects": "지원 / 과제",
    "Requested (H100-eq.)": "요청(H100 환산)",
    "Awarded (H100-eq.)": "배분(H100 환산)",
    "Request met": "요청 충족",
    "Share": "비율",
    "Share rule": "비율 규칙",
    "Standing": "상태",
    "Floor": "하한",
    "Cap": "상한",
    "none": "없음",
    "at floor": "하한 도달",
    "at cap": "상한 도달",
    "within": "범위 내",
    "Site power": "사이트 전력",
    "Power drawn by allocated GPUs (units × kW per GPU × site PUE) against each site's "
    "limit.": "배분된 GPU의 소비 전력(대수 × GPU당 kW × 사이트 PUE)과 사이트별 한도.",
    "Power drawn per period (hatched bars) and the site limit (dashed line).":
        "기간별 소비 전력(빗금 막대)과 사이트 한도(점선).",
    "Site": "사이트",
    "Peak draw (MW)": "최대 소비(MW)",
    "Limit (MW)": "한도(MW)",
    "Peak as % of limit": "한도 대비 최대 소비",
    "GPUs bought": "구매한 GPU",
    "Option": "구매 옵션",
    "Arrives": "도착",
    "Units": "대수",
    "Cost": "비용",
    # --- charts ---------------------------------------------------------------------
    "allocated": "배분",
    "available": "가용",
    "{pct} % used": "{pct} % 사용",
    "requested": "요청",
    "awarded": "배분",
    "H100-equivalent GPUs (sum over projects)": "H100 환산 GPU(과제 합계)",
    "share": "비율",
    "floor (min share)": "하한(최소 비율)",
    "cap (max share)": "상한(최대 비율)",
    "% of awarded capacity": "배분 용량 대비 %",
    "drawn": "소비",
    "limit": "한도",
    # --- budget ---------------------------------------------------------------------
    "Budget": "예산",
    "Each budget line with its limit, what the allocation uses and what is left, in "
    "{currency}. Partners' co-funding and GPUs are not public money and are shown apart.":
        "예산 항목별 한도, 배분이 사용한 금액과 남은 금액({currency}). 협력 기관의 공동 "
        "부담과 GPU는 공공 재원이 아니므로 따로 표시합니다.",
    "Budget line": "예산 항목",
    "Limit ({currency})": "한도({currency})",
    "Used": "사용",
    "Left (slack)": "잔여",
    "Share used": "사용률",
    "Purchases (capital)": "구매(자본 지출)",
    "Operation (public share)": "운영(공공 부담분)",
    "Total public spending": "공공 지출 합계",
    "Spending by period": "기간별 지출",
    "Purchases count in the period they arrive; operation in every period a project runs.":
        "구매는 도착한 기간에, 운영비는 과제가 운영되는 모든 기간에 계상합니다.",
    "Period": "기간",
    "Purchases": "구매",
    "Operation, public": "운영(공공)",
    "Public total": "공공 합계",
    "Co-funded by partners": "협력 기관 공동 부담",
    "Total": "합계",
    "Spending by priority area": "중점 분야별 지출",
    "Public spending": "공공 지출",
    "Purchases (shared pool, not attributed to an area)": "구매(공동 풀, 분야에 귀속하지 않음)",
    "Partners and users": "협력 기관과 이용자",
    "Partner": "협력 기관",
    "Share of operating cost it pays": "부담하는 운영비 비율",
    "Funded projects": "지원 과제",
    "Co-funding ({currency})": "공동 부담({currency})",
    "GPU-periods brought in kind": "현물 제공 GPU·기간",
    "User revenue: not modelled (the instance sets no user fees); all operating cost not "
    "co-funded is public.":
        "이용자 수입: 모델에 없음(인스턴스에 이용료가 없음); 공동 부담되지 않는 운영비는 "
        "모두 공공 부담입니다.",
    # --- export controls --------------------------------------------------------------
    "Export controls": "수출 통제",
    "Export-control exposure": "수출 통제 노출",
    "Awarded capacity (performance-equivalent GPU-periods) on export-controlled GPU types "
    "({types}).": "수출 통제 대상 GPU 유형({types})에 배분된 용량(성능 환산 GPU·기간).",
    "{share} of awarded capacity is on controlled types: {controlled} of {total} "
    "performance-equivalent GPU-periods.":
        "배분 용량의 {share}가 통제 대상 유형입니다: 성능 환산 GPU·기간 {total} 중 "
        "{controlled}.",
    "Awarded (perf. GPU-periods)": "배분(성능 환산 GPU·기간)",
    "On controlled types": "통제 대상 유형",
    "Controlled share": "통제 대상 비율",
    "By funded project": "지원 과제별",
    "{n} funded projects have no uncontrolled alternative: every configuration they may "
    "run uses a controlled type (“no” below). {m} more such projects are not funded.":
        "지원 과제 {n}개는 통제 대상이 아닌 대안이 없습니다: 실행 가능한 모든 구성이 통제 "
        "대상 유형을 씁니다(아래 “아니요”). 이런 과제 {m}개가 더 있으나 지원되지 않았습니다.",
    "Project": "과제",
    "Uncontrolled alternative": "비통제 대안",
    "yes": "예",
    "no": "아니요",
    "Search projects": "과제 검색",
    "Supply scenarios": "공급 시나리오",
    "Scenario": "시나리오",
    "Probability": "확률",
    "Awarded perf. GPU-periods exposed": "노출된 배분 성능 환산 GPU·기간",
    "Value": "가치",
    "Value at risk": "위험 가치",
    "Values per scenario: this folder's robust solve (summary.json, scenarios); value at "
    "risk is the best scenario's value less each scenario's. Capacity exposed: what this "
    "allocation holds beyond what would be on hand in the scenario, before any "
    "re-planning.":
        "시나리오별 가치: 이 폴더의 강건 최적화 결과(summary.json의 scenarios); 위험 가치는 "
        "가장 좋은 시나리오의 가치에서 각 시나리오의 가치를 뺀 값입니다. 노출 용량: 재계획 "
        "전에, 이 배분이 해당 시나리오에서 보유 가능한 수량을 넘어 보유한 양.",
    "Values per scenario: none in this folder (solve with --policy robust to get them); "
    "the report solves nothing. Capacity exposed is computed from the instance and this "
    "allocation alone: what it holds beyond what would be on hand in the scenario, before "
    "any re-planning.":
        "시나리오별 가치: 이 폴더에는 없습니다(--policy robust로 풀면 얻을 수 있음); 보고서는 "
        "아무것도 풀지 않습니다. 노출 용량은 인스턴스와 이 배분만으로 계산합니다: 재계획 "
        "전에, 해당 시나리오에서 보유 가능한 수량을 넘어 보유한 양.",
    # --- timeline ---------------------------------------------------------------------
    "Timeline": "일정",
    "GPUs arriving per type and site (deliveries, partners' deliveries and purchases), then "
    "when each funded project runs.":
        "유형·사이트별 GPU 도착(반입, 협력 기관 반입, 구매)과 각 지원 과제의 운영 기간.",
    "Arrivals": "도착",
    "Type at site": "사이트의 유형",
    "bought": "구매",
    "partner": "협력 기관",
    "Lead time (from the first period)": "조달 기간(첫 기간부터)",
    "{n} periods": "{n}개 기간",
    "Schedule of funded projects ({n})": "지원 과제 일정({n})",
    "Search the schedule (project, area, site, type)": "일정 검색(과제, 분야, 사이트, 유형)",
    "Runs": "운영 기간",
    "Start": "시작",
    "End": "종료",
    # --- projects -------------------------------------------------------------------
    "Funded projects ({n})": "지원 과제({n})",
    "Not funded, and why ({n})": "미지원 과제와 사유({n})",
    "Projects not funded, and why ({n})": "미지원 과제와 사유({n})",
    "Search funded projects": "지원 과제 검색",
    "Search projects not funded": "미지원 과제 검색",
    "Award": "배분",
    "Title": "제목",
    "Owner": "수행 기관",
    "Configuration": "구성",
    "{share} of request": "요청의 {share}",
    "at {site}": "{site}에서",
    "Window": "허용 기간",
    "Request": "요청",
    "Kept out by": "제외 사유",
    "Why": "설명",
    "How far from funding": "지원까지의 거리",
    "Kept out by {reasons}.": "제외 사유: {reasons}.",
    "For each project, the rule that kept it out at its closest option (configuration, "
    "site and start; its GPUs are under Request), any other rule that option would break, "
    "and how far it was from funding.":
        "과제마다 가장 가까운 선택지(구성, 사이트, 시작 시점; GPU는 ‘요청’ 열)에서 과제를 "
        "제외시킨 규칙, 그 선택지가 위반할 다른 규칙, 그리고 지원까지의 거리를 보입니다.",
    "Every project is funded.": "모든 과제가 지원되었습니다.",
    "{n} GPUs": "GPU {n}개",
    "up to {n}": "최대 {n}",
    "elastic minimum": "가변 요청 최소치",
    "configuration {id}": "구성 {id}",
    "{option}; largest request {n} H100-eq.": "{option}; 최대 요청 H100 환산 {n}",
    "Give the instance to see why.": "사유를 보려면 인스턴스를 지정하세요.",
    "closest option: {where}": "가장 가까운 선택지: {where}",
    "Shadow prices": "잠재 가격",
    "What one more unit of each binding resource would add to the total value (non-zero "
    "rows).": "구속력 있는 자원 한 단위가 더 있을 때 늘어나는 총가치(0이 아닌 행).",
    "Rule": "규칙",
    "Row": "행",
    "Shadow price": "잠재 가격",
    "Search shadow prices": "잠재 가격 검색",
    "How to read this report": "이 보고서를 읽는 법",
    "Upper bound and gap": "상한과 격차",
    "H100-equivalent (performance-equivalent) GPU": "H100 환산(성능 환산) GPU",
    "Why a project is out": "과제가 제외된 이유",
    "Σ over funded projects of area weight × merit score × size in performance-equivalent "
    "GPU-periods (or the configuration's stated value), less any late-start penalty.":
        "지원 과제 전체에 대한 분야 가중치 × 평가 점수 × 성능 환산 GPU·기간 규모(또는 구성에 "
        "명시된 가치)의 합에서 늦은 시작에 따른 감가를 뺀 값.",
    "The solver proves no allocation is worth more than the bound; the gap is (bound − "
    "value) / value.": "솔버는 어떤 배분도 상한보다 가치가 클 수 없음을 증명합니다; 격차는 "
                       "(상한 − 가치) / 가치입니다.",
    "One H100-class GPU; other types count by their relative performance in the instance.":
        "H100급 GPU 1개; 다른 유형은 인스턴스에 정한 상대 성능으로 환산합니다.",
    "Recomputed from the instance and this allocation: the project is tried at every "
    "configuration, site and start in its window; the closest try names the rule it "
    "breaks.": "인스턴스와 이 배분으로 다시 계산합니다: 과제를 허용 기간 안의 모든 구성, "
               "사이트, 시작 시점에 넣어 보고, 가장 가까운 시도가 위반하는 규칙을 밝힙니다.",
    # --- why: labels, texts, details -----------------------------------------------
    "excluded by a funded project": "지원 과제와 상호 배타",
    "dependency": "선행 과제",
    "time window": "허용 기간",
    "no site for its GPUs": "GPU를 수용할 사이트 없음",
    "GPU capacity": "GPU 용량",
    "site power": "사이트 전력",
    "budget": "예산",
    "area cap": "분야 상한",
    "another area's floor": "다른 분야의 하한",
    "no value": "가치 없음",
    "not chosen (solver stopped)": "선택되지 않음(솔버 중단)",
    "{option} at {site} from {period}": "{site}에서 {period}부터 {option}",
    "It cannot run together with {list}, which is funded.":
        "지원된 {list}와(과) 함께 수행할 수 없습니다.",
    "It depends on {list}, which is not funded.": "선행 과제 {list}이(가) 지원되지 않았습니다.",
    "Its run does not fit between {first} and {last}.":
        "운영 기간이 {first}와 {last} 사이에 들어가지 않습니다.",
    "No site can host the GPU types it asks for.": "요청한 GPU 유형을 수용할 사이트가 없습니다.",
    "It is worth nothing under the policy (its score or its area's weight is zero).":
        "이 정책에서 가치가 없습니다(점수나 분야 가중치가 0).",
    "It fits beside the funded projects without breaking any rule ({closest}); the run "
    "stopped before adding it.":
        "어떤 규칙도 위반하지 않고 지원 과제와 함께 들어갑니다({closest}); 실행이 이 과제를 "
        "추가하기 전에 멈췄습니다.",
    "Its GPU types have no spare capacity at any site it can use in its window.":
        "허용 기간 동안 쓸 수 있는 어느 사이트에도 해당 GPU 유형의 여유가 없습니다.",
    "The sites that could host it have no power left.":
        "수용 가능한 사이트에 남은 전력이 없습니다.",
    "The public budget is exhausted.": "공공 예산이 소진되었습니다.",
    "Funding it would push its area above its maximum share.":
        "지원하면 해당 분야가 최대 비율을 넘습니다.",
    "Funding it would push another area below its minimum share.":
        "지원하면 다른 분야가 최소 비율 아래로 내려갑니다.",
    "A project it depends on ends too late for it to start in its window.":
        "선행 과제가 너무 늦게 끝나 허용 기간 안에 시작할 수 없습니다.",
    "needs {n} {type} at {site} in {period}; {left} {type} left there (spare or buyable)":
        "{period}에 {site}에서 {type} {n}개 필요; 그곳에 남은 {type} {left}개(여유 또는 구매 "
        "가능)",
    "needs at least {n} performance-equivalent GPUs at {site} from {period}; only {left} "
    "performance-equivalent GPUs spare or buyable":
        "{period}부터 {site}에서 성능 환산 GPU 최소 {n}개 필요; 여유 또는 구매 가능한 것은 "
        "성능 환산 GPU {left}개뿐",
    "needs {mw} MW at {site}; {left} MW left": "{site}에서 {mw} MW 필요; 남은 전력 {left} MW",
    "operating": "운영",
    "purchase": "구매",
    "total": "전체",
    "costs {cost} {cur} of public money; {left} {cur} left in the {line} budget":
        "공공 재원 {cost} {cur} 소요; {line} 예산 잔액 {left} {cur}",
    "{area} would hold {share} % of awarded capacity, above its {cap} % cap":
        "{area}이(가) 배분 용량의 {share} %를 차지해 상한 {cap} %를 넘게 됨",
    "{area} would fall to {share} % of awarded capacity, below its {floor} % floor":
        "{area}이(가) 배분 용량의 {share} %로 떨어져 하한 {floor} % 아래가 됨",
    "{q}, which it depends on, ends in {period}": "선행 과제 {q}이(가) {period}에 끝남",
    "Adding it would raise the total value by {value}.": "추가하면 총가치가 {value} 늘어납니다.",
    "short of": "미달",
    "above": "초과",
    "Value {value} against {cost} for the resources it needs at shadow prices ({pct} %, "
    "{verb} break-even).":
        "가치 {value}, 필요한 자원의 잠재 가격 기준 비용 {cost}({pct} %, 손익분기 {verb}).",
    "using {types} at {site}": "{site}에서 {types}을(를) 쓰는",
    "drawing power at {site}": "{site}에서 전력을 쓰는",
    "in area {area}": "분야 {area}에 속한",
    "on the public budget": "공공 예산을 쓰는",
    "Worth {value} against {other} for {q}.": "가치 {value}, {q}의 가치는 {other}.",
    "per {currency} of public money": "공공 재원 {currency}당",
    "per performance-equivalent GPU-period": "성능 환산 GPU·기간당",
    "Worth {mine} {unit}, {below} % below the weakest funded project that could make room "
    "{what} ({q}: {bench}); it would need about {more} % more merit to compete.":
        "{unit} 가치 {mine}: 자리를 내줄 수 있는 가장 약한 지원 과제({what} 과제, {q}: "
        "{bench})보다 {below} % 낮습니다; 경쟁하려면 평가가 약 {more} % 더 높아야 합니다.",
    "Worth {mine} {unit}, {ratio}× the weakest funded project that could make room {what} "
    "({q}: {bench}): it is held out by fit, not value; the run stopped at a {gap} % gap, "
    "so a longer run may fund it.":
        "{unit} 가치 {mine}: 자리를 내줄 수 있는 가장 약한 지원 과제({what} 과제, {q}: "
        "{bench})의 {ratio}배로, 가치가 아니라 배치 때문에 제외되었습니다; 실행이 {gap} % "
        "격차에서 멈췄으므로 더 오래 실행하면 지원될 수 있습니다.",
    "Worth {mine} {unit}, {ratio}× the weakest funded project that could make room {what} "
    "({q}: {bench}): it is held out by fit, not value (its size and window against what is "
    "left).":
        "{unit} 가치 {mine}: 자리를 내줄 수 있는 가장 약한 지원 과제({what} 과제, {q}: "
        "{bench})의 {ratio}배로, 가치가 아니라 배치 때문에 제외되었습니다(남은 자원에 비해 "
        "규모와 허용 기간이 맞지 않음).",
    # --- compare ----------------------------------------------------------------------
    "Scenario comparison: {a} → {b}": "시나리오 비교: {a} → {b}",
    "Value, B − A": "가치, B − A",
    "{g} gained, {l} lost, {m} moved": "{g}개 추가, {l}개 탈락, {m}개 변경",
    "What changed most": "가장 크게 바뀐 것",
    "Value {change} ({va} → {vb}, {rel}).": "가치 {change}({va} → {vb}, {rel}).",
    "B funds {n} projects, {delta} against A's {na}: {g} gained, {l} lost, {m} moved.":
        "B는 과제 {n}개를 지원합니다(A의 {na}개 대비 {delta}): {g}개 추가, {l}개 탈락, "
        "{m}개 변경.",
    "It funds more because the projects it gains are smaller: {mg} performance-equivalent "
    "GPUs each on average, against {ml} for those it loses.":
        "더 많이 지원하는 것은 추가된 과제가 더 작기 때문입니다: 평균 성능 환산 GPU {mg}개로, "
        "탈락한 과제의 {ml}개보다 작습니다.",
    "Projects gained hold {mg} performance-equivalent GPUs each on average; projects lost "
    "held {ml}.": "추가된 과제는 평균 성능 환산 GPU {mg}개, 탈락한 과제는 {ml}개를 보유했습니다.",
    "The largest change by GPU type: {type} GPU-periods {change} ({rel}).":
        "GPU 유형별 최대 변화: {type} GPU·기간 {change}({rel}).",
    "Purchases: {list}.": "구매: {list}.",
    "Spending: purchases {capex} {cur}, operation {opex} {cur}.":
        "지출: 구매 {capex} {cur}, 운영 {opex} {cur}.",
    "The area share that moved most: {area}, {sa} → {sb}.":
        "비율이 가장 크게 바뀐 분야: {area}, {sa} → {sb}.",
    "Not proven optimal (gap {gaps}): some differences may come from where the solver "
    "stopped rather than from the scenario.":
        "최적성이 증명되지 않았습니다(격차 {gaps}): 일부 차이는 시나리오가 아니라 솔버가 멈춘 "
        "지점 때문일 수 있습니다.",
    "Spending and budget use ({currency})": "지출과 예산 사용({currency})",
    "Budget used, A": "예산 사용률, A",
    "Budget used, B": "예산 사용률, B",
    "Δ use": "Δ 사용률",
    "Gained: funded in B, not in A ({n})": "추가: A에서는 미지원, B에서 지원({n})",
    "Lost: funded in A, not in B ({n})": "탈락: A에서 지원, B에서는 미지원({n})",
    "{n} projects, {gpus} GPUs, value {value}.": "과제 {n}개, GPU {gpus}개, 가치 {value}.",
    "None.": "없음.",
    "Funded in both, award moved ({n})": "양쪽에서 지원, 배분 변경({n})",
    "In A": "A에서",
    "In B": "B에서",
    "Δ GPUs": "Δ GPU",
    "Δ value": "Δ 가치",
    "Funded": "지원",
    "Δ funded": "Δ 지원",
    "Perf. GPU-periods A": "성능 환산 GPU·기간 A",
    "Perf. GPU-periods B": "성능 환산 GPU·기간 B",
    "Δ share": "Δ 비율",
    "GPU types": "GPU 유형",
    "Peak allocated A": "최대 배분 A",
    "Peak allocated B": "최대 배분 B",
    "Δ peak": "Δ 최대",
    "GPU-periods A": "GPU·기간 A",
    "GPU-periods B": "GPU·기간 B",
    "Bought": "구매",
}

"""Synthetic report records for the round-trip tests, the CLI tests and the fixture corpus."""

from __future__ import annotations

import random

from extractor.schema import (
    REQUEST_COLUMN_KEYS,
    empty_active,
    empty_requests,
    empty_review,
)

AGENCIES = (
    "杭州市上城区卫生健康局", "吴忠市卫生健康委员会", "遂宁市安居区卫生健康局", "莱州市卫生健康局",
    "长春市二道区人民政府办公室", "西咸新区太平镇人民政府", "桃江县教育局", "九原区人民政府",
    "上海市人民政府办公厅", "建平县卫生健康局", "威海市信访局", "兰州新区卫生健康委员会",
    "恩施市卫生健康局", "宁波市鄞州区自然资源和规划局", "成都市武侯区市场监督管理局", "佛山市南海区财政局",
    "郑州市金水区城市管理局", "南京市玄武区人力资源和社会保障局", "昆明市五华区住房和城乡建设局",
    "哈尔滨市道里区民政局",
)

# (label, parent, unit) of the national 2014-2018 统计表 (formats.md §5.2, gold 002).
LEGACY_ROWS: tuple[tuple[str, str | None, str | None], ...] = (
    ("主动公开情况", None, None),
    ("主动公开政府信息数(不同渠道和方式公开相同信息计1条)", "主动公开情况", "条"),
    ("其中:主动公开规范性文件数", "主动公开政府信息数(不同渠道和方式公开相同信息计1条)", "条"),
    ("制发规范性文件总数", "主动公开政府信息数(不同渠道和方式公开相同信息计1条)", "件"),
    ("通过不同渠道和方式公开政府信息的情况", "主动公开情况", None),
    ("政府公报公开政府信息数", "通过不同渠道和方式公开政府信息的情况", "条"),
    ("政府网站公开政府信息数", "通过不同渠道和方式公开政府信息的情况", "条"),
    ("政务微博公开政府信息数", "通过不同渠道和方式公开政府信息的情况", "条"),
    ("政务微信公开政府信息数", "通过不同渠道和方式公开政府信息的情况", "条"),
    ("其他方式公开政府信息数", "通过不同渠道和方式公开政府信息的情况", "条"),
    ("回应解读情况", None, None),
    ("回应公众关注热点或重大舆情数(不同方式回应同一热点或舆情计1次)", "回应解读情况", "次"),
    ("通过不同渠道和方式回应解读的情况", "回应解读情况", None),
    ("参加或举办新闻发布会总次数", "通过不同渠道和方式回应解读的情况", "次"),
    ("其中:主要负责同志参加新闻发布会次数", "参加或举办新闻发布会总次数", "次"),
    ("政府网站在线访谈次数", "通过不同渠道和方式回应解读的情况", "次"),
    ("政策解读稿件发布数", "通过不同渠道和方式回应解读的情况", "篇"),
    ("依申请公开情况", None, None),
    ("收到申请数", "依申请公开情况", "件"),
    ("当面申请数", "收到申请数", "件"),
    ("网络申请数", "收到申请数", "件"),
    ("信函申请数", "收到申请数", "件"),
    ("申请答复数", "依申请公开情况", "件"),
    ("同意公开答复数", "申请答复数", "件"),
    ("不同意公开答复数", "申请答复数", "件"),
    ("其中:涉及国家秘密", "不同意公开答复数", "件"),
    ("涉及个人隐私", "不同意公开答复数", "件"),
    ("申请信息不存在数", "申请答复数", "件"),
    ("行政复议数量", None, "件"),
    ("维持具体行政行为数", "行政复议数量", "件"),
    ("被依法纠错数", "行政复议数量", "件"),
    ("行政诉讼数量", None, "件"),
    ("举报投诉数量", None, "件"),
    ("依申请公开信息收取的费用", None, "万元"),
    ("机构建设和保障经费情况", None, None),
    ("从事政府信息公开工作人员数", "机构建设和保障经费情况", "人"),
    ("专职人员数(不包括政府公报及政府网站工作人员数)", "从事政府信息公开工作人员数", "人"),
    ("兼职人员数", "从事政府信息公开工作人员数", "人"),
    ("政府信息公开专项经费(不包括用于政府公报编辑管理及政府网站建设维护等方面的经费)", "机构建设和保障经费情况", "万元"),
    ("政府信息公开会议和培训情况", None, None),
    ("召开政府信息公开工作会议或专题会议数", "政府信息公开会议和培训情况", "次"),
    ("接受培训人员数", "政府信息公开会议和培训情况", "人次"),
)


def _maybe(rng: random.Random, value, nulls: float):
    return None if nulls and rng.random() < nulls else value


def make_active(template: str, rng: random.Random, nulls: float = 0.0) -> dict:
    active = empty_active(template)
    for key, row in active.items():
        if key == "extra":
            continue
        for field in row:
            if field == "change":
                value = rng.randint(-60, 60)
            elif field == "amount_wan_yuan":
                value = rng.choice([0, rng.randint(1, 3000), round(rng.uniform(0.5, 2000), 2)])
            else:
                value = rng.randint(0, 400)
            row[field] = _maybe(rng, value, nulls)
    return active


def make_requests(template: str, rng: random.Random, nulls: float = 0.0, consistent: bool = True) -> dict:
    req = empty_requests(template)
    outcome = [k for k in req if k not in ("new", "carried_over", "total", "carried_forward", "other")]
    if template == "2019":
        outcome.append("other")
    for col in REQUEST_COLUMN_KEYS[:6]:
        busy = rng.random() < 0.6
        for key in outcome:
            req[key][col] = rng.randint(0, 6) if busy and rng.random() < 0.5 else 0
        done = sum(req[k][col] for k in outcome)
        carried_over = rng.randint(0, 3) if busy else 0
        forward = rng.randint(0, 3) if busy else 0
        req["total"][col] = done
        req["carried_over"][col] = carried_over
        req["carried_forward"][col] = forward
        req["new"][col] = max(0, done + forward - carried_over)
        if req["new"][col] + carried_over != done + forward:
            req["carried_forward"][col] = req["new"][col] + carried_over - done
    if template == "2021":
        for col in REQUEST_COLUMN_KEYS[:6]:
            req["other"][col] = sum(req[k][col] for k in ("other_overdue_correction", "other_overdue_fee", "other_other"))
    for values in req.values():
        values["total"] = sum(values[c] for c in REQUEST_COLUMN_KEYS[:6])
    if not consistent:
        req["total"]["natural_person"] += 1
    if nulls:
        for key, values in req.items():
            if key == "other" and template == "2021":
                continue
            for col in values:
                values[col] = _maybe(rng, values[col], nulls)
        if template == "2021":
            for col in REQUEST_COLUMN_KEYS:
                parts = [req[k][col] for k in ("other_overdue_correction", "other_overdue_fee", "other_other")
                         if req[k][col] is not None]
                req["other"][col] = sum(parts) if parts else None
    return req


def make_review(rng: random.Random, nulls: float = 0.0) -> dict:
    review = empty_review()
    for values in review.values():
        parts = [rng.choice([0, 0, 0, rng.randint(1, 9)]) for _ in range(4)]
        for field, value in zip(("maintained", "corrected", "other", "pending"), parts, strict=True):
            values[field] = _maybe(rng, value, nulls)
        values["total"] = _maybe(rng, sum(parts), nulls)
    return review


def make_legacy(rng: random.Random, nulls: float = 0.0) -> list[dict]:
    rows = []
    for label, parent, unit in LEGACY_ROWS:
        value = rng.randint(0, 300) if unit != "万元" else rng.choice([0, 1.5, 12])
        rows.append({"label": label, "parent": parent, "unit": unit, "value": _maybe(rng, value, nulls)})
    return rows


def make_record(template: str, seed: int = 0, *, nulls: float = 0.0, consistent: bool = True,
                year: int | None = None, published: bool = True) -> dict:
    """A complete record of `template` ('2019', '2021' or 'pre2019'), reproducible from `seed`."""
    rng = random.Random(f"{template}-{seed}")
    if year is None:
        year = {"2019": rng.choice([2019, 2020]), "2021": rng.randint(2021, 2024), "pre2019": rng.randint(2014, 2018)}[
            template
        ]
    record = {
        "is_report": True,
        "agency": rng.choice(AGENCIES),
        "year": year,
        "template": template,
        "published": f"{year + 1}-{rng.randint(1, 3):02d}-{rng.randint(1, 28):02d}" if published else None,
        "active": None,
        "requests": None,
        "review_litigation": None,
        "legacy": None,
    }
    if template == "pre2019":
        record["legacy"] = make_legacy(rng, nulls)
    else:
        record["active"] = make_active(template, rng, nulls)
        record["requests"] = make_requests(template, rng, nulls, consistent)
        record["review_litigation"] = make_review(rng, nulls)
    return record


def comparable(record: dict) -> dict:
    """The record without the fields a round trip does not promise to keep (checks, sections, and the
    provenance of is_report/agency/published, which depends on the rendering)."""
    return {k: v for k, v in record.items()
            if k not in ("checks", "sections", "is_report_evidence", "agency_source", "agency_self",
                      "published_source")}


def leaves(obj, path=()):
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key != "checks":
                yield from leaves(value, (*path, key))
    else:
        yield path, obj


def misses(gold: dict, out: dict) -> list[str]:
    """Fields of `gold` that `out` gets wrong (the semantics of the spec's score_record.py)."""
    wrong = []
    gold = dict(gold)
    legacy = gold.pop("legacy", None)
    for path, want in leaves(gold):
        got = out
        for key in path:
            got = got.get(key, KeyError) if isinstance(got, dict) else KeyError
        if not (got == want or (isinstance(got, int | float) and isinstance(want, int | float)
                                and not isinstance(got, bool) and abs(got - want) < 1e-6)):
            wrong.append(f"{'.'.join(path)}: want {want!r}, got {got!r}")
    if legacy is not None:
        rows = {(r["label"], r["parent"], r["unit"]): r["value"] for r in out.get("legacy") or []}
        wrong += [f"legacy {r['label']}" for r in legacy if rows.get((r["label"], r["parent"], r["unit"]), "?")
                  != r["value"]]
    elif out.get("legacy"):
        wrong.append("legacy: want null")
    return wrong

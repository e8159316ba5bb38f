"""The perceived insecurity index of a block, in [0, 1] (docs/methods.md).

Three components, each in [0, 1] and each present only where there is evidence:
  observations  o = 1 − exp(−max(0, N − w₊ P)), N = Σ severity/5 of negative observations
                within the distance of the block (severity 3 when not given), P = the number of
                positive observations there, w₊ the positive weight (default 0.5);
  feeling       f = mean of (5 − feeling)/4 over ratings within the distance (1 very unsafe → 1);
  survey        s = respondent-weighted mean share feeling unsafe.
index = Σ w_c x_c / Σ w_c over the components present (weights default 1); no component: no data.
"""

import math
import re
from dataclasses import dataclass

from layers.analysis.sql import Evidence

YEAR = re.compile(r"^(\d{4})")


@dataclass
class BlockInsecurity:
    index: float | None
    observations: float | None
    feeling: float | None
    survey: float | None
    negative: int
    positive: int


def survey_shares(surveys, *, year_from: int | None, year_to: int | None) -> dict[int, float]:
    """Respondent-weighted share unsafe per block, over the survey periods within the years."""
    totals: dict[int, list[float]] = {}
    for block_id, period, respondents, share in surveys:
        match = YEAR.match(period)
        if match:
            year = int(match.group(1))
            if (year_from and year < year_from) or (year_to and year > year_to):
                continue
        if respondents <= 0:
            continue
        entry = totals.setdefault(block_id, [0.0, 0.0])
        entry[0] += respondents * share
        entry[1] += respondents
    return {block_id: weighted / count for block_id, (weighted, count) in totals.items()}


def block_insecurity(
    block_id: int,
    evidence: Evidence,
    surveys: dict[int, float],
    *,
    weights: dict[str, float],
    positive_weight: float,
) -> BlockInsecurity:
    negative = evidence.negative.get(block_id, 0)
    positive = evidence.positive.get(block_id, 0)
    observations = None
    if negative or positive:
        pressure = evidence.negative_weight.get(block_id, 0.0) - positive_weight * positive
        observations = 1.0 - math.exp(-max(0.0, pressure))
    feeling = evidence.feeling_unsafe.get(block_id)
    survey = surveys.get(block_id)
    components = {"observations": observations, "feeling": feeling, "survey": survey}
    present = {
        name: value
        for name, value in components.items()
        if value is not None and weights.get(name, 0) > 0
    }
    index = None
    if present:
        total = sum(weights[name] for name in present)
        index = sum(weights[name] * value for name, value in present.items()) / total
    return BlockInsecurity(index, observations, feeling, survey, negative, positive)

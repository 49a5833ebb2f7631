"""Reads behind the dashboard's pages.

Every page selector reads the dashboard's slim daily roll-up (DailyRollup:
day x team x client x model x task type x environment), never the raw
calls, so a page costs the same at ten thousand calls as at five million:
the work grows with days x dimensions, not with calls. Cost-per-call
percentiles come from the cost histogram; savings re-price roll-up token
sums with the catalog's price book.
"""

from governance.dashboard.selectors.common import (
    MICRO_USD,
    ZERO,
    FilterOptions,
    calls_filter,
    filter_options,
    quality_scope,
    team_ids,
)
from governance.dashboard.selectors.savings import (
    MiniSaving,
    Savings,
    Sibling,
    TaskMove,
    model_siblings,
    savings_summary,
)
from governance.dashboard.selectors.spend import (
    STACK_DIMENSIONS,
    ClientSpend,
    CostPercentiles,
    FallbackPoint,
    ModelSpend,
    RepoSpend,
    SpendPoint,
    SpendSummary,
    cost_per_call_percentiles,
    spend_by_day,
    spend_by_model,
    spend_fallbacks_by_day,
    spend_summaries,
    spend_summary,
    spend_top_clients,
    spend_top_repos,
)
from governance.rollups.selectors import (
    RollupFilter,
    TokenUse,
    day_of,
    dimensions_filter,
    money,
    rollups_filter,
    tokens_by_day_model_task,
)

__all__ = [
    "ClientSpend",
    "CostPercentiles",
    "FallbackPoint",
    "FilterOptions",
    "MICRO_USD",
    "MiniSaving",
    "ModelSpend",
    "RepoSpend",
    "RollupFilter",
    "STACK_DIMENSIONS",
    "Savings",
    "Sibling",
    "SpendPoint",
    "SpendSummary",
    "TaskMove",
    "TokenUse",
    "ZERO",
    "calls_filter",
    "cost_per_call_percentiles",
    "day_of",
    "dimensions_filter",
    "filter_options",
    "model_siblings",
    "money",
    "quality_scope",
    "rollups_filter",
    "savings_summary",
    "spend_by_day",
    "spend_by_model",
    "spend_fallbacks_by_day",
    "spend_summaries",
    "spend_summary",
    "spend_top_clients",
    "spend_top_repos",
    "team_ids",
    "tokens_by_day_model_task",
]

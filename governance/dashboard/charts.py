"""Plotly figures built from selector output (never from the ORM).

Each function takes the dataclasses a selector returned and gives back a
`Chart`: an accessible title plus the figure as a plain dict that the page
embeds with json_script and draws with the app's own plotly.js.
Coordinates are converted to float here, at the very edge: they only place
marks on a screen; every figure a person reads as a number comes from the
Decimal tables beside the chart.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go

from governance.dashboard.selectors import (
    CostPercentiles,
    FallbackPoint,
    MiniSaving,
    ModelSpend,
    SpendPoint,
    TaskMove,
)

PALETTE = ["#2f5bd3", "#e07b39", "#2f855a", "#8e44ad", "#c0392b", "#16a085", "#b7791f", "#5b6475"]
_LAYOUT: dict[str, Any] = {
    "margin": {"l": 56, "r": 16, "t": 16, "b": 40},
    "height": 320,
    "paper_bgcolor": "rgba(0,0,0,0)",
    "plot_bgcolor": "rgba(0,0,0,0)",
    "font": {
        "family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif",
        "size": 12,
        "color": "#1d2330",
    },
    "legend": {"orientation": "h", "y": -0.18},
    "xaxis": {"gridcolor": "#eef0f4"},
    "yaxis": {"gridcolor": "#eef0f4", "rangemode": "tozero"},
    "hovermode": "x unified",
}


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    figure: dict
    empty: bool = False
    # The page table holding this chart's numbers (its CSV export).
    table: str = ""

    @property
    def dom_id(self) -> str:
        return f"fig-{self.key}"


def _figure(traces: list, **layout) -> dict:
    fig = go.Figure(data=traces, layout={**_LAYOUT, **layout})
    return fig.to_plotly_json()


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def spend_stacked_chart(
    *, points: list[SpendPoint], start: date, end: date, stack_by: str
) -> Chart:
    days = _days(start, end)
    series: OrderedDict[str, dict[date, float]] = OrderedDict()
    totals: dict[str, Decimal] = {}
    for p in points:
        # Plotly draws floats; the order of the stack is decided on exact sums.
        series.setdefault(p.key, {})[p.day] = float(p.cost_usd)
        totals[p.key] = totals.get(p.key, Decimal(0)) + p.cost_usd
    order = sorted(series, key=lambda k: -totals[k])
    traces = [
        go.Bar(
            name=key,
            x=[d.isoformat() for d in days],
            y=[series[key].get(d, 0.0) for d in days],
            marker_color=PALETTE[i % len(PALETTE)],
            hovertemplate="%{y:$,.2f}",
        )
        for i, key in enumerate(order)
    ]
    label = stack_by.replace("_", " ")
    return Chart(
        key="spend_by_day",
        title=f"Spend per day by {label} (USD)",
        figure=_figure(traces, barmode="stack", yaxis={**_LAYOUT["yaxis"], "tickprefix": "$"}),
        empty=not points,
        table="spend_by_day",
    )


def cost_percentiles_chart(*, rows: list[CostPercentiles]) -> Chart:
    models = [r.model for r in rows]
    traces = [
        go.Bar(
            name=name,
            x=models,
            y=[float(getattr(r, attr)) for r in rows],
            marker_color=color,
            hovertemplate="%{y:$,.4f}",
        )
        for name, attr, color in (
            ("p50", "p50_usd", PALETTE[0]),
            ("p95", "p95_usd", PALETTE[1]),
            ("max", "max_usd", PALETTE[4]),
        )
    ]
    return Chart(
        key="cost_per_call",
        title="Cost per call by model: median, 95th percentile and maximum (USD, log scale)",
        figure=_figure(
            traces,
            barmode="group",
            hovermode="closest",
            yaxis={"type": "log", "gridcolor": "#eef0f4", "dtick": 1, "tickformat": "$.2~g"},
        ),
        empty=not rows,
        table="cost_per_call",
    )


def model_share_chart(*, rows: list[ModelSpend]) -> Chart:
    traces = [
        go.Pie(
            labels=[r.model for r in rows],
            values=[r.calls for r in rows],
            hole=0.55,
            marker={"colors": PALETTE[: len(rows)]},
            textinfo="label+percent",
            sort=False,
        )
    ]
    return Chart(
        key="calls_by_model",
        title="Share of calls by model",
        figure=_figure(traces, showlegend=False, hovermode="closest", height=260),
        empty=not rows,
        table="by_model",
    )


def fallbacks_chart(*, points: list[FallbackPoint], start: date, end: date) -> Chart:
    days = _days(start, end)
    series: OrderedDict[str, dict[date, int]] = OrderedDict()
    for p in points:
        series.setdefault(p.model, {})[p.day] = p.fallback_calls
    traces = [
        go.Scatter(
            name=model,
            x=[d.isoformat() for d in days],
            y=[values.get(d, 0) for d in days],
            mode="lines+markers",
            line={"color": PALETTE[(i + 1) % len(PALETTE)]},
        )
        for i, (model, values) in enumerate(series.items())
    ]
    return Chart(
        key="fallbacks",
        title="Calls that fell back, per day and serving model",
        figure=_figure(traces),
        empty=not points,
        table="fallbacks_by_day",
    )


def savings_chart(*, achieved: list[MiniSaving]) -> Chart:
    traces = [
        go.Bar(
            name="Cost on the mini model",
            x=[a.mini for a in achieved],
            y=[float(a.cost_usd) for a in achieved],
            marker_color=PALETTE[2],
        ),
        go.Bar(
            name="Saved against the full model",
            x=[a.mini for a in achieved],
            y=[float(a.saved_usd) for a in achieved],
            marker_color=PALETTE[0],
        ),
    ]
    return Chart(
        key="savings",
        title="What mini-model calls cost, and what they saved against the full model's rate (USD)",
        figure=_figure(
            traces,
            barmode="stack",
            hovermode="closest",
            yaxis={**_LAYOUT["yaxis"], "tickprefix": "$"},
        ),
        empty=not achieved,
        table="achieved",
    )


def moves_chart(*, moves: list[TaskMove]) -> Chart:
    traces = [
        go.Bar(
            x=[float(m.monthly_saving_usd) for m in moves],
            y=[f"{m.task_type or '(none)'} ({m.full})" for m in moves],
            orientation="h",
            marker_color=PALETTE[2],
            hovertemplate="%{x:$,.2f} per month<extra></extra>",
        )
    ]
    return Chart(
        key="moves",
        title="Monthly saving if each task type moved to the mini model (USD)",
        figure=_figure(
            traces,
            hovermode="closest",
            yaxis={"autorange": "reversed"},
            xaxis={"tickprefix": "$", "gridcolor": "#eef0f4"},
        ),
        empty=not moves,
        table="moves",
    )


def pass_rate_chart(*, series: dict[str, list], start: date, end: date) -> Chart:
    """Pass rate per day and model, each line inside its Wilson 95 % band.
    `series` maps a model to its daily PassRate rows (from the quality app)."""
    traces = []
    for i, (model, rows) in enumerate(sorted(series.items())):
        color = PALETTE[i % len(PALETTE)]
        rows = [r for r in rows if r.pass_rate is not None]
        days = [r.day.isoformat() for r in rows]
        traces.append(
            go.Scatter(
                x=days + days[::-1],
                y=[r.ci_high * 100 for r in rows] + [r.ci_low * 100 for r in rows][::-1],
                fill="toself",
                fillcolor=_alpha(color, 0.15),
                line={"width": 0},
                hoverinfo="skip",
                showlegend=False,
                name=f"{model} 95 % interval",
            )
        )
        traces.append(
            go.Scatter(
                x=days,
                y=[r.pass_rate * 100 for r in rows],
                mode="lines+markers",
                name=model,
                line={"color": color},
                hovertemplate="%{y:.1f} %",
            )
        )
    return Chart(
        key="pass_rate",
        title="Pass rate of generated tests per day and model, with its 95 % interval (%)",
        figure=_figure(traces, yaxis={"gridcolor": "#eef0f4", "range": [_floor_pct(series), 100], "ticksuffix": " %"},
                       xaxis={"gridcolor": "#eef0f4", "range": [start.isoformat(), end.isoformat()]}),
        empty=not any(series.values()),
        table="pass_rate_by_day",
    )  # fmt: skip


def _floor_pct(series: dict[str, list]) -> float:
    """The bottom of the pass-rate axis: a little under the lowest interval,
    so a drop of a few points is visible instead of a flat line at the top."""
    lows = [r.ci_low * 100 for rows in series.values() for r in rows if r.ci_low is not None]
    return max(0.0, (min(lows) // 10) * 10 - 10) if lows else 0.0


def cost_per_passing_chart(*, rows: list) -> Chart:
    rows = [r for r in rows if r.cost_per_passing_test_usd is not None]
    traces = [
        go.Bar(
            x=[r.model for r in rows],
            y=[float(r.cost_per_passing_test_usd) for r in rows],
            marker_color=[PALETTE[i % len(PALETTE)] for i in range(len(rows))],
            hovertemplate="%{y:$,.4f} per passing test<extra></extra>",
        )
    ]
    return Chart(
        key="cost_per_passing_test",
        title="Cost per passing generated test, by model (USD)",
        figure=_figure(traces, hovermode="closest", yaxis={**_LAYOUT["yaxis"], "tickprefix": "$"}),
        empty=not rows,
        table="by_model",
    )


def _alpha(hex_color: str, alpha: float) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def burndown_chart(
    *,
    key: str,
    title: str,
    points: list,
    limit,
    threshold_pct,
    reserve_pct,
    forecast_at,
    period_end,
) -> Chart:
    """What is left of one budget at the end of each day of its period, with
    the fallback threshold and reserve lines and the forecast exhaustion."""
    days = [p.day.isoformat() for p in points]
    remaining = [float(p.remaining) for p in points]
    end = period_end.isoformat()
    threshold_left = float(limit) * (1 - float(threshold_pct) / 100)
    reserve_left = float(limit) * float(reserve_pct) / 100
    traces = [
        go.Scatter(
            x=days,
            y=remaining,
            mode="lines+markers",
            name="Remaining",
            line={"color": PALETTE[0]},
            hovertemplate="%{y:,.2f} left<extra></extra>",
        ),
        go.Scatter(
            x=[days[0] if days else end, end],
            y=[threshold_left, threshold_left],
            mode="lines",
            name=f"Fallback threshold ({threshold_pct:.0f} % spent)",
            line={"color": PALETTE[6], "dash": "dot"},
        ),
        go.Scatter(
            x=[days[0] if days else end, end],
            y=[reserve_left, reserve_left],
            mode="lines",
            name=f"Reserve for critical work ({reserve_pct:.0f} %)",
            line={"color": PALETTE[4], "dash": "dot"},
        ),
    ]
    if forecast_at is not None and points:
        traces.append(
            go.Scatter(
                x=[days[-1], forecast_at.isoformat()],
                y=[remaining[-1], 0],
                mode="lines+markers",
                name=f"Forecast: runs out {forecast_at:%d %b %H:%M} UTC",
                line={"color": PALETTE[4], "dash": "dash"},
            )
        )
    return Chart(
        key=key,
        title=title,
        figure=_figure(traces, hovermode="closest", height=300,
                       yaxis={**_LAYOUT["yaxis"], "rangemode": "tozero"},
                       xaxis={"gridcolor": "#eef0f4", "range": [days[0] if days else end, end]}),
        empty=not points,
        table="budgets",
    )  # fmt: skip

//! Ledger dashboard charts, built with charming on the server and drawn by the vendored ECharts
//! (`public/charts.js`); `public/dashboards.js` adds the cross-filter clicks. Amounts are drawn
//! as numbers (ECharts has no decimals); the tables beside each chart keep the exact figures.

use charming::{
    component::{Axis, Grid, Legend},
    element::{AxisLabel, AxisType, ItemStyle, Label, Tooltip, Trigger},
    series::{Bar, Line, Pie},
    Chart,
};
use domain::ledger_dashboard::{ExpenseSlice, Money, SegmentBar, StepKind, TrendPoint, WaterfallStep, MONEY_SCALE};

const REVENUE: &str = "#16a34a";
const EXPENSES: &str = "#dc2626";
const EBITDA: &str = "#6366f1";
const NET: &str = "#0ea5e9";
const TOTAL: &str = "#64748b";

/// An amount as a chart number.
pub fn number(m: Money) -> f64 {
    m.scaled() as f64 / MONEY_SCALE as f64
}

/// The option JSON, with two ECharts settings charming 0.6 has no setter for: axis labels hide
/// rather than overlap, and bars keep a readable width (both matter on a phone).
fn json(chart: Chart) -> String {
    let Ok(mut v) = serde_json::to_value(&chart) else { return "{}".into() };
    match v.get_mut("xAxis") {
        Some(serde_json::Value::Array(axes)) => axes.iter_mut().for_each(|a| a["axisLabel"]["hideOverlap"] = true.into()),
        Some(axis @ serde_json::Value::Object(_)) => axis["axisLabel"]["hideOverlap"] = true.into(),
        _ => {}
    }
    if let Some(series) = v.get_mut("series").and_then(|s| s.as_array_mut()) {
        for s in series.iter_mut().filter(|s| s["type"] == "bar") {
            s["barMaxWidth"] = 40.into();
        }
    }
    v.to_string()
}

fn categories(labels: Vec<String>) -> Axis {
    Axis::new().type_(AxisType::Category).data(labels)
}

fn frame() -> Chart {
    Chart::new()
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .legend(Legend::new().bottom(0))
        .grid(Grid::new().left("2%").right("3%").top("8%").bottom("16%").contain_label(true))
}

/// Monthly revenue, expenses, EBITDA and net income (lines).
pub fn trend(points: &[TrendPoint]) -> String {
    let months: Vec<String> = points.iter().map(|p| p.month.to_string()).collect();
    let line = |name: &str, color: &str, f: fn(&TrendPoint) -> Money| {
        Line::new().name(name).item_style(ItemStyle::new().color(color)).data(points.iter().map(|p| number(f(p))).collect::<Vec<f64>>())
    };
    json(
        frame()
            .x_axis(categories(months))
            .y_axis(Axis::new().type_(AxisType::Value))
            .series(line("Revenue", REVENUE, |p| p.revenue))
            .series(line("Expenses", EXPENSES, |p| p.expenses))
            .series(line("EBITDA", EBITDA, |p| p.ebitda))
            .series(line("Net income", NET, |p| p.net_income)),
    )
}

/// Revenue and expenses per entity or region (bars); blank keys are labelled "(blank)".
pub fn segments(bars: &[SegmentBar]) -> String {
    let keys: Vec<String> = bars.iter().map(|b| blank_label(&b.key)).collect();
    let bar = |name: &str, color: &str, f: fn(&SegmentBar) -> Money| {
        Bar::new()
            .name(name)
            .item_style(ItemStyle::new().color(color).border_radius(3))
            .data(bars.iter().map(|b| number(f(b))).collect::<Vec<f64>>())
    };
    json(
        frame()
            .x_axis(categories(keys))
            .y_axis(Axis::new().type_(AxisType::Value))
            .series(bar("Revenue", REVENUE, |b| b.revenue))
            .series(bar("Expenses", EXPENSES, |b| b.expenses)),
    )
}

/// The expense groups (donut).
pub fn expense_donut(slices: &[ExpenseSlice]) -> String {
    let data: Vec<(f64, String)> = slices.iter().map(|s| (number(s.amount), s.account_group.clone())).collect();
    json(
        Chart::new().tooltip(Tooltip::new().trigger(Trigger::Item)).legend(Legend::new().bottom(0)).series(
            Pie::new()
                .name("Expenses")
                .radius(vec!["40%", "68%"])
                .center(vec!["50%", "45%"])
                .avoid_label_overlap(true)
                .label(Label::new().show(false))
                .data(data),
        ),
    )
}

/// The profit and loss waterfall. Each floating step is an invisible base bar with the visible
/// part stacked on it; ECharts stacks positive and negative values apart, so a step crossing
/// zero is drawn as its part above zero plus its part below.
pub fn waterfall(steps: &[WaterfallStep]) -> String {
    let labels: Vec<String> = steps.iter().map(|s| s.label.clone()).collect();
    let n = steps.len();
    let zeros = || vec![0.0; n];
    let (mut base_pos, mut base_neg, mut total) = (zeros(), zeros(), zeros());
    let (mut up_pos, mut up_neg, mut down_pos, mut down_neg) = (zeros(), zeros(), zeros(), zeros());
    for (i, s) in steps.iter().enumerate() {
        let (start, end) = (number(s.start), number(s.end));
        if s.kind == StepKind::Total {
            total[i] = end;
            continue;
        }
        let (lo, hi) = (start.min(end), start.max(end));
        base_pos[i] = lo.max(0.0);
        base_neg[i] = hi.min(0.0);
        let above = hi.max(0.0) - lo.max(0.0);
        let below = lo.min(0.0) - hi.min(0.0);
        if end >= start {
            (up_pos[i], up_neg[i]) = (above, below);
        } else {
            (down_pos[i], down_neg[i]) = (above, below);
        }
    }
    let bar =
        |name: &str, color: &str, data: Vec<f64>| Bar::new().name(name).stack("pnl").item_style(ItemStyle::new().color(color)).data(data);
    json(
        Chart::new()
            .tooltip(Tooltip::new().trigger(Trigger::Item))
            .legend(Legend::new().bottom(0).data(vec!["Total", "Increase", "Decrease"]))
            .grid(Grid::new().left("2%").right("3%").top("8%").bottom("16%").contain_label(true))
            .x_axis(categories(labels).axis_label(AxisLabel::new().rotate(30)))
            .y_axis(Axis::new().type_(AxisType::Value))
            .series(bar("", "transparent", base_pos))
            .series(bar("", "transparent", base_neg))
            .series(bar("Total", TOTAL, total))
            .series(bar("Increase", REVENUE, up_pos))
            .series(bar("Increase", REVENUE, up_neg))
            .series(bar("Decrease", EXPENSES, down_pos))
            .series(bar("Decrease", EXPENSES, down_neg)),
    )
}

/// How a blank value is shown.
pub fn blank_label(v: &str) -> String {
    if v.is_empty() {
        "(blank)".into()
    } else {
        v.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(kind: StepKind, start: i64, end: i64) -> WaterfallStep {
        let m = |u: i64| Money::from_units(u).unwrap();
        WaterfallStep { label: String::new(), account_group: String::new(), kind, amount: m(end - start), start: m(start), end: m(end) }
    }

    #[test]
    fn waterfall_steps_float_across_zero() {
        // Revenue 100, costs −150 (crossing zero), total −50, income +20 below zero.
        let steps = [
            step(StepKind::Total, 0, 100),
            step(StepKind::Delta, 100, -50),
            step(StepKind::Total, 0, -50),
            step(StepKind::Delta, -50, -30),
        ];
        let v: serde_json::Value = serde_json::from_str(&waterfall(&steps)).unwrap();
        let data = |i: usize| v["series"][i]["data"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect::<Vec<_>>();
        assert_eq!(data(0), [0.0, 0.0, 0.0, 0.0], "base above zero");
        assert_eq!(data(1), [0.0, 0.0, 0.0, -30.0], "base below zero");
        assert_eq!(data(2), [100.0, 0.0, -50.0, 0.0], "totals");
        assert_eq!((data(3), data(4)), (vec![0.0; 4], vec![0.0, 0.0, 0.0, -20.0]), "increase, below zero");
        assert_eq!((data(5), data(6)), (vec![0.0, 100.0, 0.0, 0.0], vec![0.0, -50.0, 0.0, 0.0]), "decrease split at zero");
        assert_eq!(v["series"][5]["barMaxWidth"], 40);
    }
}

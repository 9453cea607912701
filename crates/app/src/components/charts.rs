//! Charts are built on the server with charming and drawn in the browser by
//! the vendored ECharts (`public/charts.js` reads `data-echarts`).

use charming::{
    component::{Axis, Grid, Legend},
    element::{AxisType, ItemStyle, LineStyle, LineStyleType, Tooltip, Trigger},
    series::{Bar, Line},
    Chart,
};
use domain::ReadinessReport;

/// Bar chart of each store's ping latency, as ECharts option JSON.
pub fn latency_chart(report: &ReadinessReport) -> String {
    let labels: Vec<String> = report.stores.iter().map(|s| format!("{} ({})", s.store.label(), s.backend)).collect();
    let values: Vec<f64> = report.stores.iter().map(|s| (s.latency_ms * 10.0).round() / 10.0).collect();
    let chart = Chart::new()
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .grid(Grid::new().left("3%").right("4%").bottom("3%").contain_label(true))
        .x_axis(Axis::new().type_(AxisType::Value))
        // Same order as the table: primary first, top to bottom.
        .y_axis(Axis::new().type_(AxisType::Category).inverse(true).data(labels))
        .series(Bar::new().name("Latency (ms)").bar_width(28).item_style(ItemStyle::new().color("#6366f1").border_radius(4)).data(values));
    serde_json::to_string(&chart).unwrap_or_else(|_| "{}".into())
}

/// Month-to-date running total (line) against the plan's monthly limit
/// (dashed line), as ECharts option JSON.
pub fn usage_chart(series: &[(String, u64)], limit: Option<u64>) -> String {
    let days: Vec<String> = series.iter().map(|(d, _)| d[5..].to_owned()).collect();
    let used: Vec<i64> = series.iter().map(|(_, v)| *v as i64).collect();
    let mut chart = Chart::new()
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .legend(Legend::new().bottom(0))
        .grid(Grid::new().left("3%").right("4%").top("8%").bottom("14%").contain_label(true))
        .x_axis(Axis::new().type_(AxisType::Category).data(days))
        .y_axis(Axis::new().type_(AxisType::Value))
        .series(Line::new().name("Used this month").show_symbol(false).item_style(ItemStyle::new().color("#6366f1")).data(used));
    if let Some(l) = limit {
        let line = vec![l as i64; series.len()];
        chart = chart.series(
            Line::new()
                .name("Plan limit")
                .show_symbol(false)
                .line_style(LineStyle::new().type_(LineStyleType::Dashed).color("#dc2626"))
                .item_style(ItemStyle::new().color("#dc2626"))
                .data(line),
        );
    }
    serde_json::to_string(&chart).unwrap_or_else(|_| "{}".into())
}

//! Charts are built on the server with charming and drawn in the browser by
//! the vendored ECharts (`public/charts.js` reads `data-echarts`).

use charming::{
    component::{Axis, Grid},
    element::{AxisType, ItemStyle, Tooltip, Trigger},
    series::Bar,
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

//! The LLM analytics charts, built with charming on the server and drawn by the vendored
//! ECharts (`public/charts.js`). Empty buckets are filled with zeros so the time axis is even.

use charming::{
    component::{Axis, Grid, Legend},
    element::{AreaStyle, AxisType, ItemStyle, Tooltip, Trigger},
    series::{Bar, Line},
    Chart,
};
use domain::traces::MetricsRow;

const NS_PER_MS: u64 = 1_000_000;

fn label(bucket_ns: u64, width_ns: u64) -> String {
    let ms = (bucket_ns / NS_PER_MS) as i64;
    let secs = ms.div_euclid(1000).rem_euclid(86_400);
    let day = domain::usage::utc_day(ms);
    if width_ns >= 86_400_000 * NS_PER_MS {
        day[5..].to_owned()
    } else {
        format!("{} {:02}:{:02}", &day[5..], secs / 3600, secs / 60 % 60)
    }
}

/// Every bucket from `from_ns` to `to_ns`, with the rows' values where present.
fn series(rows: &[MetricsRow], from_ns: u64, to_ns: u64, width: u64) -> (Vec<String>, Vec<Option<&MetricsRow>>) {
    let width = width.max(1);
    let first = from_ns / width * width;
    let mut labels = Vec::new();
    let mut values = Vec::new();
    let mut at = first;
    while at < to_ns && labels.len() < 500 {
        labels.push(label(at, width));
        values.push(rows.iter().find(|r| r.bucket_start_ns == at));
        at += width;
    }
    (labels, values)
}

fn base(labels: Vec<String>) -> Chart {
    Chart::new()
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .legend(Legend::new().bottom(0))
        .grid(Grid::new().left("2%").right("3%").top("8%").bottom("16%").contain_label(true))
        .x_axis(Axis::new().type_(AxisType::Category).data(labels))
        .y_axis(Axis::new().type_(AxisType::Value))
}

fn json(chart: Chart) -> String {
    serde_json::to_string(&chart).unwrap_or_else(|_| "{}".into())
}

/// (title, option JSON) for volume and errors, latency percentiles, tokens and cost.
pub fn dashboard(rows: &[MetricsRow], from_ns: u64, to_ns: u64, width: u64) -> Vec<(String, String)> {
    let (labels, values) = series(rows, from_ns, to_ns, width);
    let pick = |f: &dyn Fn(&MetricsRow) -> f64| values.iter().map(|r| r.map(f).unwrap_or(0.0)).collect::<Vec<f64>>();
    let round = |v: f64, digits: i32| (v * 10f64.powi(digits)).round() / 10f64.powi(digits);
    let volume = base(labels.clone())
        .series(
            Bar::new().name("Spans").stack("v").item_style(ItemStyle::new().color("#6366f1")).data(pick(&|r| (r.spans - r.errors) as f64)),
        )
        .series(Bar::new().name("Errors").stack("v").item_style(ItemStyle::new().color("#dc2626")).data(pick(&|r| r.errors as f64)));
    let ms = |ns: u64| round(ns as f64 / NS_PER_MS as f64, 1);
    let latency = base(labels.clone())
        .series(Line::new().name("p50 (ms)").show_symbol(true).item_style(ItemStyle::new().color("#16a34a")).data(pick(&|r| ms(r.p50_ns))))
        .series(Line::new().name("p95 (ms)").show_symbol(true).item_style(ItemStyle::new().color("#f59e0b")).data(pick(&|r| ms(r.p95_ns))))
        .series(Line::new().name("p99 (ms)").show_symbol(true).item_style(ItemStyle::new().color("#dc2626")).data(pick(&|r| ms(r.p99_ns))));
    let tokens = base(labels.clone())
        .series(
            Bar::new().name("Input tokens").stack("t").item_style(ItemStyle::new().color("#0ea5e9")).data(pick(&|r| r.input_tokens as f64)),
        )
        .series(
            Bar::new()
                .name("Output tokens")
                .stack("t")
                .item_style(ItemStyle::new().color("#8b5cf6"))
                .data(pick(&|r| r.output_tokens as f64)),
        );
    let cost = base(labels).series(
        Line::new()
            .name("Cost ($)")
            .show_symbol(false)
            .area_style(AreaStyle::new().opacity(0.15))
            .item_style(ItemStyle::new().color("#6366f1"))
            .data(pick(&|r| round(r.cost_micros as f64 / 1e6, 6))),
    );
    // An empty bucket has no latency: a gap in the line, not a drop to zero.
    let mut latency: serde_json::Value = serde_json::to_value(&latency).unwrap_or_default();
    for (i, pick_ns) in [|r: &MetricsRow| r.p50_ns, |r: &MetricsRow| r.p95_ns, |r: &MetricsRow| r.p99_ns].into_iter().enumerate() {
        latency["series"][i]["data"] = values.iter().map(|r| r.map(|r| ms(pick_ns(r)))).collect::<Vec<Option<f64>>>().into();
    }
    vec![
        ("Volume and errors".into(), json(volume)),
        ("Latency".into(), latency.to_string()),
        ("Tokens".into(), json(tokens)),
        ("Cost".into(), json(cost)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_buckets_are_zero_and_labels_even() {
        let h = 3_600_000 * NS_PER_MS;
        let row = MetricsRow {
            bucket_start_ns: 2 * h,
            group: String::new(),
            spans: 5,
            errors: 1,
            input_tokens: 10,
            output_tokens: 20,
            cost_micros: 1_500,
            p50_ns: 1,
            p95_ns: 2,
            p99_ns: 3,
        };
        let (labels, values) = series(std::slice::from_ref(&row), h, 4 * h, h);
        assert_eq!(labels, ["01-01 01:00", "01-01 02:00", "01-01 03:00"]);
        assert_eq!(values, [None, Some(&row), None]);
        let charts = dashboard(&[row], h, 4 * h, h);
        assert_eq!(charts.len(), 4);
        let volume: serde_json::Value = serde_json::from_str(&charts[0].1).unwrap();
        assert_eq!(volume["series"][0]["data"], serde_json::json!([0.0, 4.0, 0.0]));
        assert_eq!(volume["series"][1]["data"], serde_json::json!([0.0, 1.0, 0.0]));
        let latency: serde_json::Value = serde_json::from_str(&charts[1].1).unwrap();
        assert_eq!(latency["series"][2]["data"], serde_json::json!([null, 0.0, null]), "gaps where no span ran");
    }
}

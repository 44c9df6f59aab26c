//! SVG bar charts of the medians, one per scenario, drawn with plotters.

use std::collections::BTreeMap;
use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde_json::Value;

use crate::{Scenario, ServerSpec};

const COLORS: [RGBColor; 4] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
];

/// What to chart for a scenario: (metric key, legend), y label, target line.
fn plan(scenario: &Scenario, value: &Value) -> (Vec<(String, String)>, String, Option<f64>) {
    let id = scenario.id.as_str();
    let keys: Vec<(String, String)> = value["metrics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| {
            let key = m["key"].as_str()?.to_owned();
            let label = m["label"].as_str()?.to_owned();
            Some((key, label))
        })
        .collect();
    if id == "idle" {
        let series = keys
            .into_iter()
            .filter(|(k, _)| k.starts_with("kib_per_conn_"))
            .map(|(k, _)| {
                let label = format!("{} connections", k.trim_start_matches("kib_per_conn_"));
                (k, label)
            })
            .collect();
        (series, "server KiB per connection".into(), Some(6.0))
    } else if id.starts_with("echo_") {
        (
            vec![(
                "round_trips_per_cpu_s".into(),
                "round trips per server CPU-s".into(),
            )],
            "round trips per server CPU-second".into(),
            None,
        )
    } else if id == "latency" {
        (
            vec![
                ("p50_us".into(), "p50".into()),
                ("p99_us".into(), "p99".into()),
            ],
            "latency µs".into(),
            None,
        )
    } else if id.starts_with("redis_broadcast_") {
        (
            vec![
                ("us_per_delivery_memory".into(), "1 node in memory".into()),
                ("us_per_delivery_redis_1".into(), "1 node on Redis".into()),
                ("us_per_delivery_redis_2".into(), "2 nodes on Redis".into()),
            ],
            "server µs CPU per delivery".into(),
            None,
        )
    } else if id.starts_with("stream_") {
        (
            vec![("items_per_cpu_s".into(), "items per server CPU-s".into())],
            "stream items per server CPU-second".into(),
            None,
        )
    } else {
        // Broadcast (with the 5 µs target) and groups (no target).
        (
            vec![("us_per_delivery".into(), "µs per delivery".into())],
            "server µs CPU per delivery".into(),
            id.starts_with("broadcast_").then_some(5.0),
        )
    }
}

/// Renders a chart per scenario into `dir`; returns the paths relative to `dir`'s parent.
pub fn render(
    document: &Value,
    scenarios: &[Scenario],
    servers: &[ServerSpec],
    dir: &Path,
) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    let dir_name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("benchmarks")
        .to_owned();
    for scenario in scenarios {
        let Some(value) = document["scenarios"]
            .as_array()
            .and_then(|a| a.iter().find(|s| s["id"] == scenario.id.as_str()))
        else {
            continue;
        };
        let (series_keys, y_label, target) = plan(scenario, value);
        let present: Vec<&ServerSpec> = servers
            .iter()
            .filter(|s| !value["servers"][s.name].is_null())
            .collect();
        if present.is_empty() {
            continue;
        }
        let names: Vec<String> = present.iter().map(|s| s.name.to_owned()).collect();
        let series: Vec<(String, Vec<Option<f64>>)> = series_keys
            .iter()
            .map(|(key, label)| {
                let values = present
                    .iter()
                    .map(|s| value["servers"][s.name]["median"][key].as_f64())
                    .collect();
                (label.clone(), values)
            })
            .collect();
        let file = format!("{}.svg", scenario.id);
        let path = dir.join(&file);
        match grouped_bars(&path, &scenario.title, &y_label, &names, &series, target) {
            Ok(()) => {
                out.insert(scenario.id.clone(), vec![format!("{dir_name}/{file}")]);
            }
            Err(err) => eprintln!("runner: chart {}: {err}", path.display()),
        }
    }
    out
}

fn grouped_bars(
    path: &Path,
    title: &str,
    y_label: &str,
    groups: &[String],
    series: &[(String, Vec<Option<f64>>)],
    target: Option<f64>,
) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::new(path, (900, 440)).into_drawing_area();
    root.fill(&WHITE)?;
    let max = series
        .iter()
        .flat_map(|(_, v)| v.iter().flatten().copied())
        .chain(target)
        .fold(0.0f64, f64::max)
        .max(1e-9);
    let n = groups.len() as f64;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(14)
        .margin_bottom(40)
        .x_label_area_size(10)
        .y_label_area_size(80)
        .build_cartesian_2d(0f64..n, 0f64..max * 1.35)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_desc(y_label)
        .y_label_formatter(&|v| crate::report::fmt_value(*v))
        .draw()?;
    let k = series.len().max(1) as f64;
    let group_width = 0.7;
    let bar = group_width / k;
    for (si, (label, values)) in series.iter().enumerate() {
        let color = COLORS[si % COLORS.len()];
        let rects = values.iter().enumerate().filter_map(|(gi, v)| {
            let v = (*v)?;
            let x0 = gi as f64 + (1.0 - group_width) / 2.0 + si as f64 * bar;
            Some(Rectangle::new(
                [(x0, 0.0), (x0 + bar * 0.92, v)],
                color.filled(),
            ))
        });
        chart
            .draw_series(rects)?
            .label(label.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
        let text_style = ("sans-serif", 13)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, VPos::Bottom));
        let labels = values.iter().enumerate().filter_map(|(gi, v)| {
            let v = (*v)?;
            let x = gi as f64 + (1.0 - group_width) / 2.0 + si as f64 * bar + bar * 0.46;
            Some(Text::new(
                crate::report::fmt_value(v),
                (x, v + max * 0.01),
                text_style.clone(),
            ))
        });
        chart.draw_series(labels)?;
    }
    if let Some(t) = target {
        chart
            .draw_series(DashedLineSeries::new(
                vec![(0.0, t), (n, t)],
                8,
                5,
                RED.stroke_width(2),
            ))?
            .label(format!("target {}", crate::report::fmt_value(t)))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 12, y)], RED.stroke_width(2)));
    }
    // Server names under each group.
    let name_style = ("sans-serif", 15)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Center, VPos::Top));
    for (gi, name) in groups.iter().enumerate() {
        let (px, py) = chart.backend_coord(&(gi as f64 + 0.5, 0.0));
        root.draw(&Text::new(name.clone(), (px, py + 8), name_style.clone()))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

//! Dashboard charts, drawn on the server with plotters' SVG backend and
//! embedded in the page: axes with units, time labels in the viewer's time
//! zone (the browser sends its UTC offset), legends, and colours chosen for
//! the page's light or dark theme. A range without traffic says so instead
//! of drawing an empty box.

pub use apigw_app::model::ChartSvg;
use apigw_app::model::{MetricPoint, StageMetrics};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

struct Theme {
    bg: RGBColor,
    fg: RGBColor,
    grid: RGBColor,
    lines: [RGBColor; 3],
}

fn theme(dark: bool) -> Theme {
    if dark {
        Theme {
            bg: RGBColor(0x17, 0x1c, 0x26),
            fg: RGBColor(0xd6, 0xdb, 0xe4),
            grid: RGBColor(0x33, 0x3b, 0x4a),
            lines: [RGBColor(0x60, 0xa5, 0xfa), RGBColor(0xfb, 0xbf, 0x24), RGBColor(0xf8, 0x71, 0x71)],
        }
    } else {
        Theme {
            bg: RGBColor(0xff, 0xff, 0xff),
            fg: RGBColor(0x33, 0x3a, 0x47),
            grid: RGBColor(0xe3, 0xe7, 0xee),
            lines: [RGBColor(0x25, 0x63, 0xeb), RGBColor(0xd9, 0x77, 0x06), RGBColor(0xdc, 0x26, 0x26)],
        }
    }
}

/// `HH:MM` (or `Mon 21` for week-long ranges) in the viewer's zone.
fn time_label(t: i64, tz_offset_min: i32, long: bool) -> String {
    let local = t + i64::from(tz_offset_min) * 60;
    let (secs, day) = (local.rem_euclid(86_400), local.div_euclid(86_400));
    if long {
        let (_, m, d) = crate::gateway::limits::civil_from_days(day);
        const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        format!("{} {d} {:02}:00", MONTHS[(m - 1) as usize], secs / 3600)
    } else {
        format!("{:02}:{:02}", secs / 3600, secs % 3600 / 60)
    }
}

type Line<'a> = (&'a str, Vec<(i64, Option<f64>)>);

/// A line chart over time. `None` values leave gaps.
#[allow(clippy::too_many_arguments)]
fn line_chart(
    title: &str,
    unit: &str,
    lines: &[Line<'_>],
    from: i64,
    to: i64,
    tz_offset_min: i32,
    dark: bool,
    empty_note: Option<&str>,
) -> String {
    let th = theme(dark);
    let mut svg = String::new();
    let long = to - from > 2 * 86_400;
    {
        let root = SVGBackend::with_string(&mut svg, (640, 250)).into_drawing_area();
        let _ = root.fill(&th.bg);
        let label = ("sans-serif", 13).into_font().color(&th.fg);
        if let Some(note) = empty_note {
            let style = ("sans-serif", 16).into_font().color(&th.fg).pos(Pos::new(HPos::Center, VPos::Center));
            let _ = root.draw_text(&format!("{title}: {note}"), &style, (320, 125));
            let _ = root.present();
            drop(root);
            return svg;
        }
        let max = lines
            .iter()
            .flat_map(|(_, pts)| pts.iter().filter_map(|(_, v)| *v))
            .fold(0f64, f64::max);
        let top = if max <= 0.0 { 1.0 } else { max * 1.15 };
        let built = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(30)
            .y_label_area_size(58)
            .build_cartesian_2d(from..to, 0f64..top);
        let Ok(mut chart) = built else { return String::new() };
        let fmt_x = |t: &i64| time_label(*t, tz_offset_min, long);
        let fmt_y = |v: &f64| if top >= 100.0 { format!("{v:.0}") } else if top >= 10.0 { format!("{v:.1}") } else { format!("{v:.2}") };
        let _ = chart
            .configure_mesh()
            .x_labels(7)
            .y_labels(5)
            .x_label_formatter(&fmt_x)
            .y_label_formatter(&fmt_y)
            .y_desc(unit)
            .label_style(label.clone())
            .axis_desc_style(label.clone())
            .axis_style(th.grid)
            .bold_line_style(th.grid)
            .light_line_style(th.grid.mix(0.0))
            .draw();
        for (i, (name, pts)) in lines.iter().enumerate() {
            let color = th.lines[i % th.lines.len()];
            // Each run of known values is one line; unknown values leave a gap.
            let mut runs: Vec<Vec<(i64, f64)>> = vec![Vec::new()];
            for (t, v) in pts {
                match v {
                    Some(v) => runs.last_mut().expect("one run").push((*t, *v)),
                    None if !runs.last().expect("one run").is_empty() => runs.push(Vec::new()),
                    None => {}
                }
            }
            let mut first = true;
            for run in runs.into_iter().filter(|r| !r.is_empty()) {
                let single = run.len() == 1;
                let drawn = if single {
                    chart.draw_series(run.into_iter().map(|p| Circle::new(p, 3, color.filled())))
                } else {
                    chart.draw_series(LineSeries::new(run, color.stroke_width(2)))
                };
                if let (Ok(a), true) = (drawn, first) {
                    a.label(*name).legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(3)));
                    first = false;
                }
            }
        }
        let _ = chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(th.bg.mix(0.85))
            .border_style(th.grid)
            .label_font(label)
            .draw();
        let _ = root.present();
    }
    svg
}

fn pick(series: &[MetricPoint], f: impl Fn(&MetricPoint) -> Option<f64>) -> Vec<(i64, Option<f64>)> {
    series.iter().map(|p| (p.t, f(p))).collect()
}

/// The stage dashboard's charts: requests with 4XX and 5XX, error rate,
/// latency p50/p90/p99 and integration latency p50/p99.
pub fn stage_charts(m: &StageMetrics, tz_offset_min: i32, dark: bool) -> Vec<ChartSvg> {
    let (from, to) = (m.from, m.from + m.period_seconds * m.series.len() as i64);
    let empty = (m.totals.count == 0).then_some("no traffic yet");
    let per = if m.period_seconds >= 3600 { "hour" } else if m.period_seconds >= 300 { "5 minutes" } else { "minute" };
    let count = |f: fn(&MetricPoint) -> u64| pick(&m.series, move |p| Some(f(p) as f64));
    let no_backend = m.totals.count > 0 && m.totals.integration_latency_p50_ms.is_none();
    vec![
        ChartSvg {
            id: "chart-count".into(),
            title: "Requests".into(),
            svg: line_chart(
                "Requests",
                &format!("requests per {per}"),
                &[("Count", count(|p| p.values.count)), ("4XXError", count(|p| p.values.error4xx)), ("5XXError", count(|p| p.values.error5xx))],
                from,
                to,
                tz_offset_min,
                dark,
                empty,
            ),
        },
        ChartSvg {
            id: "chart-errors".into(),
            title: "Error rate".into(),
            svg: line_chart(
                "Error rate",
                "% of requests",
                &[
                    ("4XX %", pick(&m.series, |p| (p.values.count > 0).then(|| 100.0 * p.values.error4xx as f64 / p.values.count as f64))),
                    ("5XX %", pick(&m.series, |p| (p.values.count > 0).then(|| 100.0 * p.values.error5xx as f64 / p.values.count as f64))),
                ],
                from,
                to,
                tz_offset_min,
                dark,
                empty,
            ),
        },
        ChartSvg {
            id: "chart-latency".into(),
            title: "Latency".into(),
            svg: line_chart(
                "Latency",
                "milliseconds",
                &[
                    ("p50", pick(&m.series, |p| p.values.latency_p50_ms)),
                    ("p90", pick(&m.series, |p| p.values.latency_p90_ms)),
                    ("p99", pick(&m.series, |p| p.values.latency_p99_ms)),
                ],
                from,
                to,
                tz_offset_min,
                dark,
                empty,
            ),
        },
        ChartSvg {
            id: "chart-integration".into(),
            title: "Integration latency".into(),
            svg: line_chart(
                "Integration latency",
                "milliseconds",
                &[
                    ("p50", pick(&m.series, |p| p.values.integration_latency_p50_ms)),
                    ("p99", pick(&m.series, |p| p.values.integration_latency_p99_ms)),
                ],
                from,
                to,
                tz_offset_min,
                dark,
                empty.or(no_backend.then_some("no backend calls (mock or refused requests only)")),
            ),
        },
    ]
}

/// A small area chart of requests per minute over the last hour, no axes.
pub fn sparkline(per_minute: &[u64], dark: bool) -> String {
    let th = theme(dark);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (180, 40)).into_drawing_area();
        let max = per_minute.iter().copied().max().unwrap_or(0).max(1) as f64;
        if let Ok(mut chart) = ChartBuilder::on(&root).margin(2).build_cartesian_2d(0..per_minute.len().max(1) as i64 - 1, 0f64..max * 1.1) {
            let pts = per_minute.iter().enumerate().map(|(i, v)| (i as i64, *v as f64));
            let _ = chart.draw_series(AreaSeries::new(pts, 0.0, th.lines[0].mix(0.25)).border_style(th.lines[0].stroke_width(2)));
        }
        let _ = root.present();
    }
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use apigw_app::model::MetricValues;

    fn metrics(counts: &[u64]) -> StageMetrics {
        StageMetrics {
            api_id: "a".into(),
            stage: "s".into(),
            range: "15m".into(),
            period_seconds: 60,
            from: 1_800_000_000,
            to: 1_800_000_900,
            totals: MetricValues { count: counts.iter().sum(), ..Default::default() },
            series: counts
                .iter()
                .enumerate()
                .map(|(i, c)| MetricPoint {
                    t: 1_800_000_000 + 60 * i as i64,
                    values: MetricValues { count: *c, latency_p50_ms: (*c > 0).then_some(12.5), latency_p99_ms: (*c > 0).then_some(40.0), ..Default::default() },
                })
                .collect(),
            methods: vec![],
        }
    }

    #[test]
    fn charts_have_axes_units_legends_and_local_times() {
        let charts = stage_charts(&metrics(&[0, 5, 9, 0, 3]), 60, false);
        assert_eq!(charts.len(), 4);
        let count = &charts[0].svg;
        assert!(count.starts_with("<svg"), "{count}");
        assert!(count.contains("requests per minute") && count.contains("4XXError"), "unit and legend");
        // 1_800_000_000 is 08:00 UTC; the viewer is one hour ahead.
        assert!(count.contains("09:0"), "local time labels: {count}");
        assert!(charts[2].svg.contains("milliseconds") && charts[2].svg.contains("p99"));
    }

    #[test]
    fn an_empty_range_says_so() {
        let charts = stage_charts(&metrics(&[0, 0, 0]), 0, true);
        assert!(charts[0].svg.contains("no traffic yet"));
        assert!(!sparkline(&[0; 60], false).is_empty());
    }

    #[test]
    fn time_labels() {
        assert_eq!(time_label(1_800_000_000, 0, false), "08:00");
        assert_eq!(time_label(1_800_000_000, -90, false), "06:30");
        assert_eq!(time_label(1_800_000_000, 0, true), "Jan 15 08:00");
    }
}

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
        // The console's dark panel colour, so a chart sits flush in its card.
        Theme {
            bg: RGBColor(0x13, 0x1a, 0x2b),
            fg: RGBColor(0xd6, 0xdb, 0xe4),
            grid: RGBColor(0x2a, 0x35, 0x4f),
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

/// `Jan 15` in the viewer's zone, for ticks on local midnights.
fn day_label(t: i64, tz_offset_min: i32) -> String {
    let day = (t + i64::from(tz_offset_min) * 60).div_euclid(86_400);
    let (_, m, d) = crate::gateway::limits::civil_from_days(day);
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    format!("{} {d}", MONTHS[(m - 1) as usize])
}

/// Ticks on round local times (every 2, 5, 10 … minutes, hours, or local
/// midnights), at most 8 of them, and the step between them in seconds.
fn time_ticks(from: i64, to: i64, tz_offset_min: i32) -> (Vec<i64>, i64) {
    const STEPS: [i64; 12] = [60, 120, 300, 600, 900, 1_800, 3_600, 7_200, 10_800, 21_600, 43_200, 86_400];
    let span = (to - from).max(1);
    let step = STEPS.iter().copied().find(|s| span / s <= 8).unwrap_or(86_400 * (span / 86_400 / 8 + 1));
    let off = i64::from(tz_offset_min) * 60;
    let mut t = (from + off).div_euclid(step) * step - off;
    if t < from {
        t += step;
    }
    let mut ticks = Vec::new();
    while t <= to {
        ticks.push(t);
        t += step;
    }
    (ticks, step)
}

/// An axis value with no more decimals than it needs: `30`, `2.5`, `0.04`.
fn axis_number(v: f64, top: f64) -> String {
    let decimals = if top >= 100.0 {
        0
    } else if top >= 10.0 {
        1
    } else if top >= 1.0 {
        2
    } else {
        3
    };
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A named series and its colour (an index into the theme's lines: 0 blue,
/// 1 amber, 2 red, so 4XX and 5XX look the same on every chart).
type Line<'a> = (&'a str, usize, Vec<(i64, Option<f64>)>);

/// Chart size in SVG units; the page scales it to the card's width (about
/// 500–640 px in the two-column grid), so text is drawn larger than it shows.
const WIDTH: u32 = 640;
const HEIGHT: u32 = 260;
const FONT: u32 = 16;

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
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        let _ = root.fill(&th.bg);
        let label = ("sans-serif", FONT).into_font().color(&th.fg);
        if let Some(note) = empty_note {
            let style = ("sans-serif", FONT + 2).into_font().color(&th.fg).pos(Pos::new(HPos::Center, VPos::Center));
            let _ = root.draw_text(&format!("{title}: {note}"), &style, (WIDTH as i32 / 2, HEIGHT as i32 / 2));
            let _ = root.present();
            drop(root);
            return svg;
        }
        // The legend is a row above the plot, so it never hides a line.
        const Y_AREA: u32 = 64;
        let legend_style = label.clone().pos(Pos::new(HPos::Left, VPos::Center));
        let mut x = Y_AREA as i32 + 12;
        for (name, c, _) in lines {
            let color = th.lines[c % th.lines.len()];
            let _ = root.draw(&PathElement::new(vec![(x, 14), (x + 20, 14)], color.stroke_width(3)));
            let _ = root.draw_text(name, &legend_style, (x + 26, 14));
            let width = root.estimate_text_size(name, &label).map(|(w, _)| w as i32).unwrap_or(8 * name.len() as i32);
            x += 26 + width + 22;
        }
        let max = lines.iter().flat_map(|(_, _, pts)| pts.iter().filter_map(|(_, v)| *v)).fold(0f64, f64::max);
        let top = if max <= 0.0 { 1.0 } else { max * 1.15 };
        let (ticks, step) = time_ticks(from, to, tz_offset_min);
        let built = ChartBuilder::on(&root)
            .margin(10)
            .margin_top(32)
            .margin_right(18)
            .x_label_area_size(30)
            .y_label_area_size(Y_AREA)
            .build_cartesian_2d((from..to).with_key_points(ticks), 0f64..top);
        let Ok(mut chart) = built else { return String::new() };
        let fmt_x = |t: &i64| {
            if step >= 86_400 {
                day_label(*t, tz_offset_min)
            } else {
                time_label(*t, tz_offset_min, long)
            }
        };
        let fmt_y = |v: &f64| axis_number(*v, top);
        let _ = chart
            .configure_mesh()
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
        for (_, c, pts) in lines {
            let color = th.lines[c % th.lines.len()];
            // Each run of known values is one line; unknown values leave a gap.
            let mut runs: Vec<Vec<(i64, f64)>> = vec![Vec::new()];
            for (t, v) in pts {
                match v {
                    Some(v) => runs.last_mut().expect("one run").push((*t, *v)),
                    None if !runs.last().expect("one run").is_empty() => runs.push(Vec::new()),
                    None => {}
                }
            }
            for run in runs.into_iter().filter(|r| !r.is_empty()) {
                let _ = if run.len() == 1 {
                    chart.draw_series(run.into_iter().map(|p| Circle::new(p, 4, color.filled())))
                } else {
                    chart.draw_series(LineSeries::new(run, color.stroke_width(2)))
                };
            }
        }
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
    let per = if m.period_seconds >= 3600 {
        "hour"
    } else if m.period_seconds >= 300 {
        "5 minutes"
    } else {
        "minute"
    };
    let count = |f: fn(&MetricPoint) -> u64| pick(&m.series, move |p| Some(f(p) as f64));
    let no_backend = m.totals.count > 0 && m.totals.integration_latency_p50_ms.is_none();
    vec![
        ChartSvg {
            id: "chart-count".into(),
            title: "Requests".into(),
            svg: line_chart(
                "Requests",
                &format!("requests per {per}"),
                &[
                    ("Count", 0, count(|p| p.values.count)),
                    ("4XXError", 1, count(|p| p.values.error4xx)),
                    ("5XXError", 2, count(|p| p.values.error5xx)),
                ],
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
                    (
                        "4XX %",
                        1,
                        pick(&m.series, |p| (p.values.count > 0).then(|| 100.0 * p.values.error4xx as f64 / p.values.count as f64)),
                    ),
                    (
                        "5XX %",
                        2,
                        pick(&m.series, |p| (p.values.count > 0).then(|| 100.0 * p.values.error5xx as f64 / p.values.count as f64)),
                    ),
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
                    ("p50", 0, pick(&m.series, |p| p.values.latency_p50_ms)),
                    ("p90", 1, pick(&m.series, |p| p.values.latency_p90_ms)),
                    ("p99", 2, pick(&m.series, |p| p.values.latency_p99_ms)),
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
                    ("p50", 0, pick(&m.series, |p| p.values.integration_latency_p50_ms)),
                    ("p99", 2, pick(&m.series, |p| p.values.integration_latency_p99_ms)),
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

/// A small area chart of requests per period (oldest first), no axes.
pub fn sparkline(counts: &[u64], dark: bool) -> String {
    let th = theme(dark);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (180, 40)).into_drawing_area();
        let max = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
        if let Ok(mut chart) = ChartBuilder::on(&root).margin(2).build_cartesian_2d(0..counts.len().max(1) as i64 - 1, 0f64..max * 1.1) {
            let pts = counts.iter().enumerate().map(|(i, v)| (i as i64, *v as f64));
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
                    values: MetricValues {
                        count: *c,
                        latency_p50_ms: (*c > 0).then_some(12.5),
                        latency_p99_ms: (*c > 0).then_some(40.0),
                        ..Default::default()
                    },
                })
                .collect(),
            methods: vec![],
            reasons: vec![],
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
    fn ticks_fall_on_round_local_times() {
        // 1_800_000_000 is 08:00 UTC; an hour from 08:03 UTC.
        let (ticks, step) = time_ticks(1_800_000_180, 1_800_003_780, 0);
        assert_eq!(step, 600);
        assert_eq!(time_label(ticks[0], 0, false), "08:10");
        assert_eq!(ticks.len(), 6);
        // Kolkata (+05:30): ticks on its round times, not UTC's.
        let (ticks, _) = time_ticks(1_800_000_180, 1_800_003_780, 330);
        assert_eq!(time_label(ticks[0], 330, false), "13:40");
        // A week: local midnights, labelled by date.
        let (ticks, step) = time_ticks(1_800_000_000, 1_800_000_000 + 7 * 86_400, 60);
        assert_eq!(step, 86_400);
        assert_eq!(time_label(ticks[0], 60, false), "00:00");
        assert_eq!(day_label(ticks[0], 60), "Jan 16");
    }

    #[test]
    fn axis_numbers_keep_only_needed_decimals() {
        assert_eq!(axis_number(30.0, 35.0), "30");
        assert_eq!(axis_number(2.5, 3.4), "2.5");
        assert_eq!(axis_number(0.04, 0.09), "0.04");
        assert_eq!(axis_number(150.0, 180.0), "150");
    }

    #[test]
    fn time_labels() {
        assert_eq!(time_label(1_800_000_000, 0, false), "08:00");
        assert_eq!(time_label(1_800_000_000, -90, false), "06:30");
        assert_eq!(time_label(1_800_000_000, 0, true), "Jan 15 08:00");
    }
}

//! Shared by the dashboards and the access log: what only the browser knows
//! (its time zone, its theme, the clock), the 10-second refresh timer, and
//! how counts, latencies, rates and sizes read.

use std::time::Duration;

use leptos::prelude::*;

/// How often the dashboards fetch fresh numbers.
pub const REFRESH: Duration = Duration::from_secs(10);

/// What the server cannot know about the viewer, sent with every chart request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewer {
    /// Minutes east of UTC (`-new Date().getTimezoneOffset()`).
    pub tz_offset_min: i32,
    /// The page is in its dark theme (it follows `prefers-color-scheme`).
    pub dark: bool,
}

/// The viewer's zone and theme. On the server (no browser): UTC and light.
pub fn viewer() -> Viewer {
    #[cfg(feature = "hydrate")]
    {
        use leptos::web_sys::js_sys::Date;
        Viewer { tz_offset_min: -(Date::new_0().get_timezone_offset() as i32), dark: prefers_dark() }
    }
    #[cfg(not(feature = "hydrate"))]
    {
        Viewer { tz_offset_min: 0, dark: false }
    }
}

/// `matchMedia("(prefers-color-scheme: dark)").matches`, the same test the
/// stylesheet's dark theme uses. Called through `Reflect` because web-sys'
/// `MediaQueryList` feature is not enabled in this workspace.
#[cfg(feature = "hydrate")]
fn prefers_dark() -> bool {
    use leptos::wasm_bindgen::{JsCast, JsValue};
    use leptos::web_sys::js_sys::{Function, Reflect};
    let w: JsValue = window().into();
    Reflect::get(&w, &"matchMedia".into())
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .and_then(|f| f.call1(&w, &"(prefers-color-scheme: dark)".into()).ok())
        .and_then(|mql| Reflect::get(&mql, &"matches".into()).ok())
        .and_then(|m| m.as_bool())
        .unwrap_or(false)
}

/// A signal that changes every `every` while the calling component is
/// mounted. The timer only runs in the browser and stops on unmount.
pub fn use_refresh(every: Duration) -> ReadSignal<u32> {
    let (tick, set_tick) = signal(0u32);
    // Effects run only in the browser, after hydration.
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(move || set_tick.update(|t| *t = t.wrapping_add(1)), every) {
            on_cleanup(move || handle.clear());
        }
    });
    tick
}

/// The browser's local time now, as `HH:MM:SS`.
pub fn clock_now() -> String {
    #[cfg(feature = "hydrate")]
    {
        let d = leptos::web_sys::js_sys::Date::new_0();
        format!("{:02}:{:02}:{:02}", d.get_hours(), d.get_minutes(), d.get_seconds())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        String::new()
    }
}

/// A moment (µs since the epoch) as `2026-11-21 10:53:07` in the browser's
/// zone, with the zone's offset that applied then (daylight saving included).
/// The server, which has no zone, writes UTC.
pub fn local_datetime(at_us: i64) -> String {
    #[cfg(feature = "hydrate")]
    {
        let d = leptos::web_sys::js_sys::Date::new(&((at_us / 1000) as f64).into());
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            d.get_full_year(),
            d.get_month() + 1,
            d.get_date(),
            d.get_hours(),
            d.get_minutes(),
            d.get_seconds()
        )
    }
    #[cfg(not(feature = "hydrate"))]
    {
        crate::components::fmt_time(at_us.div_euclid(1_000_000))
    }
}

/// `12345` as `12,345`.
pub fn fmt_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A latency: `0.42 ms`, `3.4 ms`, `120 ms`, `1.25 s`; `—` without data.
pub fn fmt_ms(ms: Option<f64>) -> String {
    match ms {
        None => "—".into(),
        Some(v) if v < 1.0 => format!("{v:.2} ms"),
        Some(v) if v < 10.0 => format!("{v:.1} ms"),
        Some(v) if v < 1000.0 => format!("{v:.0} ms"),
        Some(v) => format!("{:.2} s", v / 1000.0),
    }
}

/// A share (0–1) as a percentage: `0%`, `<0.1%`, `3.2%`, `100%`.
pub fn fmt_pct(share: f64) -> String {
    let pct = share * 100.0;
    if pct <= 0.0 {
        "0%".into()
    } else if pct < 0.1 {
        "<0.1%".into()
    } else if pct >= 99.95 {
        "100%".into()
    } else {
        format!("{pct:.1}%")
    }
}

/// A size: `0 B`, `512 B`, `1.5 kB`, `2.3 MB`.
pub fn fmt_bytes(n: u64) -> String {
    match n {
        0..1_000 => format!("{n} B"),
        1_000..1_000_000 => format!("{:.1} kB", n as f64 / 1e3),
        _ => format!("{:.1} MB", n as f64 / 1e6),
    }
}

/// How worrying an error rate is: below 1% fine, below 5% a warning, else bad.
/// The name is a CSS class suffix (`rate-ok`, `rate-warn`, `rate-bad`).
pub fn rate_level(share: f64) -> &'static str {
    if share < 0.01 {
        "ok"
    } else if share < 0.05 {
        "warn"
    } else {
        "bad"
    }
}

/// A button that copies `value` and says so for a moment.
#[component]
pub fn CopyButton(#[prop(into)] value: String, #[prop(into)] label: String) -> impl IntoView {
    let copied = RwSignal::new(None::<bool>);
    let on_click = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let text = value.clone();
            leptos::task::spawn_local(async move {
                let done = match leptos::web_sys::window() {
                    Some(w) => wasm_bindgen_futures::JsFuture::from(w.navigator().clipboard().write_text(&text)).await.is_ok(),
                    None => false,
                };
                copied.set(Some(done));
                set_timeout(move || copied.set(None), Duration::from_millis(1500));
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &value;
    };
    view! {
        <button type="button" class="btn btn-small btn-ghost copy-mini" title="Copy to clipboard" aria-label=label on:click=on_click>
            {move || match copied.get() {
                None => "Copy",
                Some(true) => "Copied",
                Some(false) => "Copy failed",
            }}
        </button>
    }
}

/// The range a dashboard opens with.
pub const DEFAULT_RANGE: &str = "1h";

/// `15m` as "15 min", `7d` as "7 days": the buttons say what they mean.
pub fn range_label(r: &str) -> &'static str {
    match r {
        "15m" => "15 min",
        "1h" => "1 hour",
        "6h" => "6 hours",
        "24h" => "24 hours",
        "7d" => "7 days",
        _ => "?",
    }
}

/// A range as words: "the last hour".
pub fn range_words(r: &str) -> &'static str {
    match r {
        "15m" => "the last 15 minutes",
        "1h" => "the last hour",
        "6h" => "the last 6 hours",
        "24h" => "the last 24 hours",
        "7d" => "the last 7 days",
        _ => "this range",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(fmt_count(0), "0");
        assert_eq!(fmt_count(1234567), "1,234,567");
        assert_eq!(fmt_ms(None), "—");
        assert_eq!(fmt_ms(Some(0.4213)), "0.42 ms");
        assert_eq!(fmt_ms(Some(3.44)), "3.4 ms");
        assert_eq!(fmt_ms(Some(120.4)), "120 ms");
        assert_eq!(fmt_ms(Some(1250.0)), "1.25 s");
        assert_eq!(fmt_pct(0.0), "0%");
        assert_eq!(fmt_pct(0.0004), "<0.1%");
        assert_eq!(fmt_pct(8.0 / 31.0), "25.8%");
        assert_eq!(fmt_pct(1.0), "100%");
        assert_eq!(fmt_bytes(13), "13 B");
        assert_eq!(fmt_bytes(1_500), "1.5 kB");
        assert_eq!(rate_level(0.009), "ok");
        assert_eq!(rate_level(0.01), "warn");
        assert_eq!(rate_level(0.05), "bad");
    }
}

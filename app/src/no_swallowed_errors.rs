//! A check on the console's own source: every server call a component
//! starts (an `Action` or a `ServerAction`) has its error shown somewhere.
//! A component that dispatches a call and reads only its success would
//! swallow the server's refusal, and the user would see nothing happen.
//!
//! The check reads each module's source and looks for the action's value
//! reaching one of the ways the console shows an error: `error_for`,
//! `error_other`, `error_under`, `field_error`/`form_error`, or a match on
//! its `Err`. It is a lint, not a proof; a new way of showing errors must
//! be taught to it.

use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `let NAME = Action::new(` / `let NAME = ServerAction::<T>::new(`.
fn actions(src: &str) -> Vec<String> {
    src.lines()
        .filter_map(|l| {
            let rest = l.trim_start().strip_prefix("let ")?;
            let (name, rhs) = rest.split_once(" = ")?;
            (rhs.starts_with("Action::new") || rhs.starts_with("ServerAction::<")).then(|| name.trim().to_string())
        })
        .collect()
}

const SHOWN_BY: &[&str] = &["error_for(", "error_other(", "error_under(", "field_error(", "form_error("];

/// Whether `expr` (e.g. `save.value()`) reaches an error display: passed to
/// one directly, read with `.with(|r| error_…)`, matched on `Err(`, or
/// bound to a name that is passed to one.
fn shown(src: &str, name: &str) -> bool {
    let value = format!("{name}.value()");
    let mut aliases = vec![];
    for (at, _) in src.match_indices(&value) {
        let before = &src[..at];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let head = &src[line_start..at];
        let after: String = src[at + value.len()..].chars().take(300).collect();
        if SHOWN_BY
            .iter()
            .any(|f| head.trim_end_matches('&').trim_end().ends_with(f.trim_end_matches('(')) || head.ends_with(&format!("{f}&")))
            || after.starts_with(".with(|r| error_")
            || (after.starts_with(".get()") && after.split(';').next().is_some_and(|stmt| stmt.contains("Err(")))
        {
            return true;
        }
        // `let v = name.value().get();` / `let result = move || name.value().get();`
        if let Some(alias) = head.trim_start().strip_prefix("let ").and_then(|r| r.split(" = ").next()) {
            aliases.push(alias.trim().to_string());
        }
    }
    aliases.iter().any(|a| {
        SHOWN_BY.iter().any(|f| {
            [format!("{f}&{a}("), format!("{f}&{a},"), format!("{f}&{a})"), format!("{f}{a}.get()"), format!("{f}&{a}.get()")]
                .iter()
                .any(|p| src.contains(p.as_str()))
        })
    })
}

#[test]
fn every_server_call_shows_its_error() {
    let mut files = Vec::new();
    sources(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut files);
    let mut swallowed = Vec::new();
    let mut seen = 0;
    for f in &files {
        let src = std::fs::read_to_string(f).unwrap();
        let src = src.split("#[cfg(test)]").next().unwrap_or_default();
        for name in actions(src) {
            seen += 1;
            if !shown(src, &name) {
                swallowed.push(format!("{}: `{name}`", f.display()));
            }
        }
    }
    assert!(seen > 20, "found only {seen} actions: the scan is broken");
    assert!(swallowed.is_empty(), "server calls whose error no component shows:\n{}", swallowed.join("\n"));
}

#[test]
fn the_check_catches_a_swallowed_error() {
    let bad = "let save = Action::new(|x: &u8| go(*x));\nEffect::new(move |_| if let Some(Ok(_)) = save.value().get() { done() });";
    assert!(!shown(bad, "save"));
    let direct = "let save = Action::new(f);\n<ErrorLine message=Signal::derive(move || error_other(&save.value().get(), &[])) />";
    assert!(shown(direct, "save"));
    let alias = "let save = Action::new(f);\nlet result = move || save.value().get();\nerror_for(&result(), \"name\")";
    assert!(shown(alias, "save"));
    let matched = "let run = Action::new(f);\nmatch run.value().get() { Some(Err(e)) => e.to_string(), _ => String::new() }";
    assert!(shown(matched, "run"));
    assert_eq!(actions("    let a = Action::new(x);\n    let b = ServerAction::<Login>::new();\n    let c = 1;"), ["a", "b"]);
}

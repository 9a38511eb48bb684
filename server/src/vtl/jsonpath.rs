//! The JSONPath subset `$input.json` and `$input.path` accept, with Jayway
//! JsonPath's result shape: a definite path (only names and indexes) selects
//! one value or null; any other (`*`, `..`, unions, slices) a list of every
//! match. Supported: `$`, `.name`, `['name']`, `["name"]`, `[0]`, `[-1]`,
//! `[*]`, `.*`, `..name`, `..*`, `..[0]`, `['a','b']`, `[0,2]`, `[1:3]`.
//! Filters (`[?(...)]`) and functions are not.

use std::rc::Rc;

use super::value::{Heap, Value};

#[derive(Debug, Clone, PartialEq)]
enum Sel {
    Name(Rc<str>),
    Index(i64),
    Wild,
    Names(Vec<Rc<str>>),
    Indexes(Vec<i64>),
    Slice(Option<i64>, Option<i64>),
}

#[derive(Debug, Clone, PartialEq)]
struct Step {
    /// `..`: apply the selector to the node and all its descendants.
    descend: bool,
    sel: Sel,
}

fn parse(path: &str) -> Result<Vec<Step>, String> {
    let p = path.trim();
    // Jayway reads a path without `$` as relative to the root.
    let owned;
    let p = match p.strip_prefix('$') {
        Some(rest) => rest,
        None if p.is_empty() => "",
        None => {
            owned = format!(".{p}");
            &owned
        }
    };
    let b = p.as_bytes();
    let mut i = 0;
    let mut steps = Vec::new();
    while i < b.len() {
        let mut descend = false;
        if p[i..].starts_with("..") {
            descend = true;
            i += 2;
        } else if b[i] == b'.' {
            i += 1;
        } else if b[i] != b'[' {
            return Err(format!("unexpected `{}` in JSONPath `{path}`", p[i..].chars().next().unwrap_or(' ')));
        }
        if i < b.len() && b[i] == b'[' {
            let end = bracket_end(p, i).ok_or_else(|| format!("`[` without `]` in JSONPath `{path}`"))?;
            let sel = parse_bracket(p[i + 1..end].trim()).map_err(|e| format!("{e} in JSONPath `{path}`"))?;
            steps.push(Step { descend, sel });
            i = end + 1;
        } else {
            let start = i;
            while i < b.len() && b[i] != b'.' && b[i] != b'[' {
                i += 1;
            }
            let name = &p[start..i];
            if name.is_empty() {
                return Err(format!("empty name in JSONPath `{path}`"));
            }
            steps.push(Step { descend, sel: if name == "*" { Sel::Wild } else { Sel::Name(Rc::from(name)) } });
        }
    }
    Ok(steps)
}

/// The `]` closing the `[` at `open`, skipping quoted names.
fn bracket_end(p: &str, open: usize) -> Option<usize> {
    let mut quote = None;
    for (i, c) in p[open + 1..].char_indices() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, ']') => return Some(open + 1 + i),
            _ => {}
        }
    }
    None
}

fn parse_bracket(s: &str) -> Result<Sel, String> {
    if s == "*" {
        return Ok(Sel::Wild);
    }
    if s.starts_with('?') || s.starts_with('(') {
        return Err("filters and script expressions are not supported".into());
    }
    if s.starts_with('\'') || s.starts_with('"') {
        let mut names = Vec::new();
        let mut rest = s;
        loop {
            let q = rest.chars().next().ok_or("expected a quoted name")?;
            if q != '\'' && q != '"' {
                return Err("expected a quoted name".into());
            }
            let close = rest[1..].find(q).ok_or("unterminated quoted name")? + 1;
            names.push(Rc::from(&rest[1..close]));
            rest = rest[close + 1..].trim_start();
            if rest.is_empty() {
                break;
            }
            rest = rest.strip_prefix(',').ok_or("expected , between names")?.trim_start();
        }
        return Ok(if names.len() == 1 { Sel::Name(names.remove(0)) } else { Sel::Names(names) });
    }
    if let Some((a, b)) = s.split_once(':') {
        let num = |t: &str| -> Result<Option<i64>, String> {
            let t = t.trim();
            if t.is_empty() {
                Ok(None)
            } else {
                t.parse().map(Some).map_err(|_| format!("bad slice bound `{t}`"))
            }
        };
        // A step (`[a:b:c]`) is not supported.
        return Ok(Sel::Slice(num(a)?, num(b)?));
    }
    let idx: Result<Vec<i64>, _> = s.split(',').map(|t| t.trim().parse::<i64>()).collect();
    match idx {
        Ok(mut v) if v.len() == 1 => Ok(Sel::Index(v.remove(0))),
        Ok(v) => Ok(Sel::Indexes(v)),
        Err(_) => Err(format!("unsupported selector `[{s}]`")),
    }
}

/// Evaluates `path` against `root`. `budget` counts nodes visited (the
/// caller charges them as steps); `depth` bounds descent into (possibly
/// cyclic, after template edits) values.
pub(crate) fn select(heap: &mut Heap, root: &Value, path: &str, depth: usize, budget: &mut u64) -> Result<Option<Value>, String> {
    let steps = parse(path)?;
    let definite = steps.iter().all(|s| !s.descend && matches!(s.sel, Sel::Name(_) | Sel::Index(_)));
    let mut nodes = vec![root.clone()];
    for step in &steps {
        if step.descend {
            let mut all = Vec::new();
            for n in &nodes {
                descendants(heap, n, depth, &mut all, budget)?;
            }
            nodes = all;
        }
        let mut next = Vec::new();
        for n in &nodes {
            apply(heap, n, &step.sel, &mut next);
            // Maps are searched in order: a lookup in a big one costs more.
            let cost = if let Value::Map(id) = n { 1 + heap.maps[*id].len() as u64 / 32 } else { 1 };
            *budget = budget.saturating_add(cost);
        }
        nodes = next;
    }
    if definite {
        return Ok(nodes.pop());
    }
    Ok(Some(heap.json_list(nodes)))
}

fn descendants(heap: &Heap, v: &Value, depth: usize, out: &mut Vec<Value>, budget: &mut u64) -> Result<(), String> {
    if depth == 0 {
        return Err("JSON nested too deeply".into());
    }
    *budget = budget.saturating_add(1);
    out.push(v.clone());
    match v {
        Value::List(id) => {
            for c in &heap.lists[*id] {
                descendants(heap, c, depth - 1, out, budget)?;
            }
        }
        Value::Map(id) => {
            for (_, c) in &heap.maps[*id] {
                descendants(heap, c, depth - 1, out, budget)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn index(len: usize, i: i64) -> Option<usize> {
    let i = if i < 0 { i.checked_add(len as i64)? } else { i };
    usize::try_from(i).ok().filter(|&i| i < len)
}

fn apply(heap: &Heap, v: &Value, sel: &Sel, out: &mut Vec<Value>) {
    match (v, sel) {
        (Value::Map(id), Sel::Name(n)) => out.extend(heap.map_get(*id, n).cloned()),
        (Value::Map(id), Sel::Names(ns)) => out.extend(ns.iter().filter_map(|n| heap.map_get(*id, n).cloned())),
        (Value::Map(id), Sel::Wild) => out.extend(heap.maps[*id].iter().map(|(_, v)| v.clone())),
        (Value::List(id), Sel::Wild) => out.extend(heap.lists[*id].iter().cloned()),
        (Value::List(id), Sel::Index(i)) => {
            let l = &heap.lists[*id];
            out.extend(index(l.len(), *i).map(|i| l[i].clone()));
        }
        (Value::List(id), Sel::Indexes(is)) => {
            let l = &heap.lists[*id];
            out.extend(is.iter().filter_map(|i| index(l.len(), *i)).map(|i| l[i].clone()));
        }
        (Value::List(id), Sel::Slice(a, b)) => {
            let l = &heap.lists[*id];
            let len = l.len() as i64;
            let clamp = |x: i64| if x < 0 { (len + x).max(0) } else { x.min(len) };
            let a = clamp(a.unwrap_or(0)) as usize;
            let b = clamp(b.unwrap_or(len)) as usize;
            if a < b {
                out.extend(l[a..b].iter().cloned());
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(json: &str, path: &str) -> String {
        let mut heap = Heap::default();
        let root = heap.parse_json(json).unwrap();
        let mut budget = 0;
        let Some(v) = select(&mut heap, &root, path, 64, &mut budget).unwrap() else { return "(none)".into() };
        let mut out = super::super::value::Out::new(1 << 20);
        heap.to_json(&v, &mut out, 64).unwrap();
        out.buf
    }

    #[test]
    fn paths() {
        let doc = r#"{"a":{"b":[1,2,{"c":3}]},"x y":"s","store":{"book":[{"price":8},{"price":12}],"bike":{"price":19}}}"#;
        assert_eq!(run(doc, "$"), doc);
        assert_eq!(run(doc, "$.a.b"), "[1,2,{\"c\":3}]");
        assert_eq!(run(doc, "$.a.b[0]"), "1");
        assert_eq!(run(doc, "$.a.b[-1].c"), "3");
        assert_eq!(run(doc, "$['x y']"), "\"s\"");
        assert_eq!(run(doc, "$[\"a\"]['b'][1]"), "2");
        assert_eq!(run(doc, "$.a.b[*]"), "[1,2,{\"c\":3}]");
        assert_eq!(run(doc, "$..price"), "[8,12,19]");
        assert_eq!(run(doc, "$.store.book[*].price"), "[8,12]");
        assert_eq!(run(doc, "$.store.*.price"), "[19]");
        assert_eq!(run(doc, "$.a.b[0:2]"), "[1,2]");
        assert_eq!(run(doc, "$.a.b[-2:]"), "[2,{\"c\":3}]");
        assert_eq!(run(doc, "$.a.b[0,2]"), "[1,{\"c\":3}]");
        assert_eq!(run(doc, "$['a','x y']"), "[{\"b\":[1,2,{\"c\":3}]},\"s\"]");
        assert_eq!(run(doc, "$.missing"), "(none)");
        assert_eq!(run(doc, "$.a.b[9]"), "(none)");
        assert_eq!(run(r#"{"n":null}"#, "$.n"), "null");
        assert_eq!(run(doc, "$..nothing"), "[]");
        assert_eq!(run(doc, "a.b[1]"), "2");
        assert_eq!(run(doc, "$..c"), "[3]");
    }

    #[test]
    fn bad_paths_are_errors() {
        let mut heap = Heap::default();
        let root = heap.parse_json("{}").unwrap();
        for p in ["$.a[?(@.b)]", "$.a[", "$.a..", "$.a.", "$[x]", "$['a"] {
            assert!(select(&mut heap, &root, p, 64, &mut 0).is_err(), "{p}");
        }
    }
}

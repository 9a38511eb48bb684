//! The values a template computes with, and how they print. Lists and maps
//! live in a per-render `Heap` and values refer to them by index, so they
//! are shared and mutable as Java's are (`$a.add(1)` is seen through every
//! reference to the list) without reference counting cycles or `RefCell`
//! panics; the heap is dropped when the render ends.

use std::rc::Rc;

use super::RenderError;

#[derive(Debug, Clone)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Rc<str>),
    List(usize),
    Map(usize),
    /// `$input`.
    Input,
    /// `$util`.
    Util,
    /// `$foreach` of the loop at this depth of the loop stack.
    Loop(usize),
}

impl Value {
    pub(crate) fn str(s: &str) -> Value {
        Value::Str(Rc::from(s))
    }

    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Velocity 1.7's truth: everything but null and `false` is true.
    pub(crate) fn truthy(&self) -> bool {
        !matches!(self, Value::Null | Value::Bool(false))
    }

    /// The value as a number, if it is one.
    pub(crate) fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// The value as an integer argument (Java's `int` parameters accept a
    /// whole double too, which Velocity converts).
    pub(crate) fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(*f as i64),
            _ => None,
        }
    }
}

/// A map as Java's LinkedHashMap: keys in insertion order.
pub(crate) type MapData = Vec<(Rc<str>, Value)>;

#[derive(Default)]
pub(crate) struct Heap {
    pub lists: Vec<Vec<Value>>,
    /// Per list: whether it came from JSON. API Gateway's JSON arrays are
    /// json-smart `JSONArray`s, which print as JSON (`["a",1]`), where a list
    /// the template builds prints as Java's `[a, 1]`.
    pub json_list: Vec<bool>,
    pub maps: Vec<MapData>,
}

impl Heap {
    pub(crate) fn list(&mut self, items: Vec<Value>) -> Value {
        self.lists.push(items);
        self.json_list.push(false);
        Value::List(self.lists.len() - 1)
    }

    pub(crate) fn json_list(&mut self, items: Vec<Value>) -> Value {
        self.lists.push(items);
        self.json_list.push(true);
        Value::List(self.lists.len() - 1)
    }

    pub(crate) fn map(&mut self, entries: MapData) -> Value {
        self.maps.push(entries);
        Value::Map(self.maps.len() - 1)
    }

    pub(crate) fn map_get(&self, id: usize, key: &str) -> Option<&Value> {
        self.maps.get(id)?.iter().find(|(k, _)| &**k == key).map(|(_, v)| v)
    }

    /// Java's `put`: replaces in place or appends; returns the old value.
    pub(crate) fn map_put(&mut self, id: usize, key: Rc<str>, v: Value) -> Value {
        let Some(m) = self.maps.get_mut(id) else { return Value::Null };
        match m.iter_mut().find(|(k, _)| **k == *key) {
            Some((_, old)) => std::mem::replace(old, v),
            None => {
                m.push((key, v));
                Value::Null
            }
        }
    }

    /// Java's `equals`, deep for lists and maps, with numbers compared by
    /// value across Integer/Double as Velocity's `==` does.
    pub(crate) fn equals(&self, a: &Value, b: &Value, depth: usize) -> bool {
        if depth == 0 {
            return false;
        }
        match (a, b) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(x), Value::Bool(y)) => x == y,
            (Value::Int(x), Value::Int(y)) => x == y,
            (Value::Str(x), Value::Str(y)) => x == y,
            (Value::List(x), Value::List(y)) => {
                x == y || {
                    let (x, y) = (&self.lists[*x], &self.lists[*y]);
                    x.len() == y.len() && x.iter().zip(y).all(|(a, b)| self.equals(a, b, depth - 1))
                }
            }
            (Value::Map(x), Value::Map(y)) => {
                x == y || {
                    let (mx, my) = (&self.maps[*x], &self.maps[*y]);
                    mx.len() == my.len() && mx.iter().all(|(k, v)| self.map_get(*y, k).is_some_and(|w| self.equals(v, w, depth - 1)))
                }
            }
            (Value::Input, Value::Input) | (Value::Util, Value::Util) => true,
            (Value::Loop(x), Value::Loop(y)) => x == y,
            _ => match (a.as_f64(), b.as_f64()) {
                (Some(x), Some(y)) => x == y,
                _ => false,
            },
        }
    }
}

/// A string being built with a size cap.
pub(crate) struct Out {
    pub buf: String,
    pub cap: usize,
}

impl Out {
    pub(crate) fn new(cap: usize) -> Out {
        Out { buf: String::new(), cap }
    }

    pub(crate) fn push(&mut self, s: &str) -> Result<(), RenderError> {
        if self.buf.len() + s.len() > self.cap {
            return Err(RenderError::Output(self.cap));
        }
        self.buf.push_str(s);
        Ok(())
    }

    /// A number written straight into the buffer (at most a few dozen
    /// bytes, so the cap is checked after).
    pub(crate) fn number(&mut self, n: std::fmt::Arguments<'_>) -> Result<(), RenderError> {
        use std::fmt::Write;
        let _ = self.buf.write_fmt(n);
        if self.buf.len() > self.cap {
            return Err(RenderError::Output(self.cap));
        }
        Ok(())
    }
}

/// Java's `Double.toString`: at least one decimal, and scientific notation
/// (`1.0E7`, `1.0E-4`) outside [10^-3, 10^7).
pub(crate) fn java_double(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    let a = f.abs();
    if a == 0.0 || (1e-3..1e7).contains(&a) {
        let s = format!("{f}");
        return if s.contains('.') { s } else { s + ".0" };
    }
    let s = format!("{f:e}");
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let mant = if mant.contains('.') { mant.to_string() } else { format!("{mant}.0") };
    format!("{mant}E{exp}")
}

impl Heap {
    /// Appends `v` as Java's `toString` prints it (`null` for null, which
    /// only happens inside collections; the evaluator handles a null
    /// reference itself).
    pub(crate) fn display(&self, v: &Value, out: &mut Out, depth: usize) -> Result<(), RenderError> {
        match v {
            Value::Null => out.push("null"),
            Value::Bool(b) => out.push(if *b { "true" } else { "false" }),
            // Written in place: a number per loop line is common, and
            // `to_string` was an allocation each (a tenth of a render).
            Value::Int(i) => out.number(format_args!("{i}")),
            Value::Float(f) if f.is_finite() && (f.abs() == 0.0 || (1e-3..1e7).contains(&f.abs())) => {
                let start = out.buf.len();
                out.number(format_args!("{f}"))?;
                if !out.buf[start..].contains('.') {
                    out.push(".0")?;
                }
                Ok(())
            }
            Value::Float(f) => out.push(&java_double(*f)),
            Value::Str(s) => out.push(s),
            Value::List(id) if self.json_list[*id] => self.to_json(v, out, depth),
            Value::List(id) => {
                let depth = depth.checked_sub(1).ok_or(RenderError::Depth(0))?;
                out.push("[")?;
                for (i, item) in self.lists[*id].iter().enumerate() {
                    if i > 0 {
                        out.push(", ")?;
                    }
                    self.display(item, out, depth)?;
                }
                out.push("]")
            }
            Value::Map(id) => {
                let depth = depth.checked_sub(1).ok_or(RenderError::Depth(0))?;
                out.push("{")?;
                for (i, (k, item)) in self.maps[*id].iter().enumerate() {
                    if i > 0 {
                        out.push(", ")?;
                    }
                    out.push(k)?;
                    out.push("=")?;
                    self.display(item, out, depth)?;
                }
                out.push("}")
            }
            // What Velocity would print for these objects is a Java class
            // name; something recognisable is more useful.
            Value::Input => out.push("$input"),
            Value::Util => out.push("$util"),
            Value::Loop(_) => out.push("$foreach"),
        }
    }

    /// The value as a Java string (`toString`), capped at `cap` bytes.
    pub(crate) fn to_string(&self, v: &Value, cap: usize, depth: usize) -> Result<Rc<str>, RenderError> {
        if let Value::Str(s) = v {
            return Ok(s.clone());
        }
        let mut out = Out::new(cap);
        self.display(v, &mut out, depth)?;
        Ok(Rc::from(out.buf))
    }

    /// Appends `v` as compact JSON (what `$input.json` returns).
    pub(crate) fn to_json(&self, v: &Value, out: &mut Out, depth: usize) -> Result<(), RenderError> {
        match v {
            Value::Null => out.push("null"),
            Value::Bool(_) | Value::Int(_) => self.display(v, out, depth),
            Value::Float(f) if f.is_finite() => out.push(&java_double(*f)),
            Value::Float(_) => out.push("null"),
            Value::Str(s) => json_string(s, out),
            Value::List(id) => {
                let depth = depth.checked_sub(1).ok_or(RenderError::Depth(0))?;
                out.push("[")?;
                for (i, item) in self.lists[*id].iter().enumerate() {
                    if i > 0 {
                        out.push(",")?;
                    }
                    self.to_json(item, out, depth)?;
                }
                out.push("]")
            }
            Value::Map(id) => {
                let depth = depth.checked_sub(1).ok_or(RenderError::Depth(0))?;
                out.push("{")?;
                for (i, (k, item)) in self.maps[*id].iter().enumerate() {
                    if i > 0 {
                        out.push(",")?;
                    }
                    json_string(k, out)?;
                    out.push(":")?;
                    self.to_json(item, out, depth)?;
                }
                out.push("}")
            }
            Value::Input | Value::Util | Value::Loop(_) => out.push("{}"),
        }
    }

    /// Copies a `serde_json::Value` into the heap (JSON objects keep
    /// serde_json's key order, which is sorted; callers' `$context` maps
    /// are small and their order is not observable in AWS either).
    pub(crate) fn load_serde(&mut self, v: &serde_json::Value, depth: usize) -> Value {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => n.as_i64().map(Value::Int).unwrap_or_else(|| Value::Float(n.as_f64().unwrap_or(0.0))),
            serde_json::Value::String(s) => Value::str(s),
            _ if depth == 0 => Value::Null,
            serde_json::Value::Array(a) => {
                let items = a.iter().map(|x| self.load_serde(x, depth - 1)).collect();
                self.json_list(items)
            }
            serde_json::Value::Object(o) => {
                let entries = o.iter().map(|(k, x)| (Rc::from(k.as_str()), self.load_serde(x, depth - 1))).collect();
                self.map(entries)
            }
        }
    }

    /// Parses JSON text into the heap, keeping object keys in document order.
    pub(crate) fn parse_json(&mut self, text: &str) -> Result<Value, String> {
        use serde::de::DeserializeSeed;
        let mut de = serde_json::Deserializer::from_str(text);
        let v = Seed(self).deserialize(&mut de).map_err(|e| e.to_string())?;
        de.end().map_err(|e| e.to_string())?;
        Ok(v)
    }
}

fn json_string(s: &str, out: &mut Out) -> Result<(), RenderError> {
    out.push("\"")?;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let esc: Option<&str> = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            '\u{8}' => Some("\\b"),
            '\u{c}' => Some("\\f"),
            c if (c as u32) < 0x20 => None,
            _ => continue,
        };
        out.push(&s[start..i])?;
        match esc {
            Some(e) => out.push(e)?,
            None => out.push(&format!("\\u{:04x}", c as u32))?,
        }
        start = i + c.len_utf8();
    }
    out.push(&s[start..])?;
    out.push("\"")
}

/// Deserialises JSON straight into the heap (serde_json bounds the nesting).
struct Seed<'h>(&'h mut Heap);

impl<'de> serde::de::DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Seed<'_> {
    type Value = Value;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("JSON")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Value, E> {
        Ok(Value::Int(i))
    }
    fn visit_u64<E>(self, u: u64) -> Result<Value, E> {
        Ok(i64::try_from(u).map(Value::Int).unwrap_or(Value::Float(u as f64)))
    }
    fn visit_f64<E>(self, f: f64) -> Result<Value, E> {
        Ok(Value::Float(f))
    }
    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::str(s))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element_seed(Seed(self.0))? {
            items.push(v);
        }
        Ok(self.0.json_list(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries: MapData = Vec::new();
        // Where each key is, once the object is too big to search: a
        // repeated key keeps its first place and its last value, as a
        // LinkedHashMap would.
        let mut index: std::collections::HashMap<Rc<str>, usize> = std::collections::HashMap::new();
        while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let v = map.next_value_seed(Seed(self.0))?;
            if entries.len() == 16 && index.is_empty() {
                index = entries.iter().enumerate().map(|(i, (k, _))| (k.clone(), i)).collect();
            }
            let found = if entries.len() < 16 { entries.iter().position(|(e, _)| **e == *k) } else { index.get(&*k).copied() };
            match found {
                Some(i) => entries[i].1 = v,
                None => {
                    let k: Rc<str> = Rc::from(&*k);
                    if entries.len() >= 16 {
                        index.insert(k.clone(), entries.len());
                    }
                    entries.push((k, v));
                }
            }
        }
        Ok(self.0.map(entries))
    }
}

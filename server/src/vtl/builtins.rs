//! API Gateway's `$input` and `$util` objects, with the encodings of the
//! Java libraries AWS uses underneath (commons-lang `escapeJavaScript`,
//! `URLEncoder`/`URLDecoder`, Base64).

use std::rc::Rc;

use super::eval::{Eval, Fail};
use super::jsonpath;
use super::value::{Out, Value};

impl Eval<'_> {
    /// The body parsed as JSON (once per render); an empty body is `{}`.
    fn body_root(&mut self) -> Result<Value, Fail> {
        if let Some(v) = &self.body_root {
            return Ok(v.clone());
        }
        let ctx = self.ctx;
        let body = ctx.body.as_str();
        self.charge_str(body.len())?;
        let v = if body.trim().is_empty() {
            self.heap.map(Vec::new())
        } else {
            self.heap.parse_json(body).map_err(|e| Fail::Msg(format!("the body is not valid JSON: {e}")))?
        };
        self.body_root = Some(v.clone());
        Ok(v)
    }

    /// The value at JSONPath `path` in the body; `None` when a definite path
    /// matches nothing.
    fn select(&mut self, path: &Value) -> Result<Option<Value>, Fail> {
        let path = self.string(path)?;
        let root = self.body_root()?;
        let mut budget = 0;
        let r = jsonpath::select(&mut self.heap, &root, &path, self.limits.max_depth, &mut budget);
        self.charge(budget)?;
        r.map_err(Fail::Msg)
    }

    /// `$input.params()`: `{path: {...}, querystring: {...}, header: {...}}`.
    fn params_map(&mut self) -> Value {
        if let Some(v) = &self.params_map {
            return v.clone();
        }
        let ctx = self.ctx;
        let p = &ctx.params;
        let mut parts = Vec::new();
        for (name, list) in [("path", &p.path), ("querystring", &p.querystring), ("header", &p.header)] {
            let entries = list.iter().map(|(k, v)| (Rc::from(k.as_str()), Value::str(v))).collect();
            parts.push((Rc::from(name), self.heap.map(entries)));
        }
        let v = self.heap.map(parts);
        self.params_map = Some(v.clone());
        v
    }

    pub(crate) fn input_call(&mut self, name: &str, args: &[Value]) -> Result<Option<Value>, Fail> {
        Ok(Some(match (name, args) {
            ("json", [p]) => match self.select(p)? {
                // Nothing there: API Gateway prints nothing (not `null`).
                None => Value::str(""),
                Some(v) => {
                    let mut out = Out::new(self.limits.max_output);
                    self.heap.to_json(&v, &mut out, self.limits.max_depth)?;
                    self.new_str(out.buf)?
                }
            },
            ("path", [p]) => self.select(p)?.unwrap_or(Value::Null),
            ("params", []) => self.params_map(),
            ("params", [n]) => {
                let n = self.string(n)?;
                let ctx = self.ctx;
                let p = &ctx.params;
                // Path, then query string, then header (header names ignore case).
                let found = p
                    .path
                    .iter()
                    .chain(&p.querystring)
                    .find(|(k, _)| *k == *n)
                    .or_else(|| p.header.iter().find(|(k, _)| k.eq_ignore_ascii_case(&n)));
                Value::str(found.map_or("", |(_, v)| v.as_str()))
            }
            ("getBody", []) => self.body(),
            _ => return Ok(None),
        }))
    }

    pub(crate) fn util_call(&mut self, name: &str, args: &[Value]) -> Result<Option<Value>, Fail> {
        let [arg] = args else { return Ok(None) };
        // A null argument gives null, as the Java functions return null for null.
        if arg.is_null() {
            return Ok(Some(Value::Null));
        }
        let s = self.string(arg)?;
        Ok(Some(match name {
            "escapeJavaScript" => self.new_str(escape_javascript(&s))?,
            "parseJson" => {
                self.charge_str(s.len())?;
                self.heap.parse_json(&s).map_err(|e| Fail::Msg(format!("not valid JSON: {e}")))?
            }
            "urlEncode" => self.new_str(url_encode(&s))?,
            "urlDecode" => self.new_str(url_decode(&s).map_err(Fail::Msg)?)?,
            "base64Encode" => self.new_str(base64_encode(s.as_bytes()))?,
            "base64Decode" => self.new_str(String::from_utf8_lossy(&base64_decode(&s)).into_owned())?,
            _ => return Ok(None),
        }))
    }
}

/// commons-lang 2's `StringEscapeUtils.escapeJavaScript`: `'`, `"`, `\` and
/// `/` backslashed, control characters as `\n`-style or `\u00XX`, and every
/// UTF-16 unit above U+007F as `\uXXXX` (upper-case hex).
pub(crate) fn escape_javascript(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for u in s.encode_utf16() {
        match u {
            0x08 => out.push_str("\\b"),
            0x09 => out.push_str("\\t"),
            0x0A => out.push_str("\\n"),
            0x0C => out.push_str("\\f"),
            0x0D => out.push_str("\\r"),
            0x22 => out.push_str("\\\""),
            0x27 => out.push_str("\\'"),
            0x2F => out.push_str("\\/"),
            0x5C => out.push_str("\\\\"),
            u if !(0x20..0x80).contains(&u) => out.push_str(&format!("\\u{u:04X}")),
            u => out.push(u as u8 as char),
        }
    }
    out
}

/// `URLEncoder.encode(s, "UTF-8")`: letters, digits and `.-*_` stay, a
/// space is `+`, every other byte `%XX`.
pub(crate) fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'*' | b'_' => out.push(b as char),
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `URLDecoder.decode(s, "UTF-8")`: `+` is a space, `%XX` a byte; a
/// malformed escape is an error, as Java's is.
pub(crate) fn url_decode(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = b.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok()).and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(v) => out.push(v),
                    None => return Err(format!("malformed escape at offset {i}")),
                }
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard Base64 with padding.
pub(crate) fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | (b as u32) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Lenient Base64 (as commons-codec's): either alphabet, padding optional,
/// other characters skipped.
pub(crate) fn base64_decode(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            _ => continue,
        };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

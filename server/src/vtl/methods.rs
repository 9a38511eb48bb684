//! Java's methods on the values templates use: `String` (indexes count
//! UTF-16 units, as Java's do), `List`, `Map` and the number and boolean
//! wrappers. A method that does not exist returns `None` (the caller then
//! tries a getter, else null, as Velocity does); misuse that throws in Java
//! (an index out of range, a bad regex) is an error.

use std::rc::Rc;

use super::eval::{Eval, Fail};
use super::value::Value;
use super::RenderError;

/// Java's `String.length()`.
pub(crate) fn u16_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.encode_utf16().count()
    }
}

/// The byte offset of UTF-16 index `idx` (a position inside a surrogate
/// pair rounds up to the next character; past the end is the end).
fn byte_at(s: &str, idx: usize) -> usize {
    if s.is_ascii() {
        return idx.min(s.len());
    }
    let mut n = 0;
    for (b, c) in s.char_indices() {
        if n >= idx {
            return b;
        }
        n += c.len_utf16();
    }
    s.len()
}

/// Java's `substring(a, b)` once `a <= b <= length` is checked. Splitting a
/// surrogate pair leaves U+FFFD where Java would leave half a pair.
fn u16_slice(s: &str, a: usize, b: usize) -> String {
    if s.is_ascii() {
        return s[a..b].to_string();
    }
    let units: Vec<u16> = s.encode_utf16().collect();
    String::from_utf16_lossy(&units[a..b])
}

pub(crate) fn int(v: &Value) -> Result<i64, Fail> {
    v.as_int().ok_or_else(|| Fail::Msg("expected a whole number".into()))
}

pub(crate) fn range_err(i: i64, len: usize) -> Fail {
    Fail::Msg(format!("index {i} is out of range (length {len})"))
}

/// Converts a Java replacement string (`$1`, `${name}`, `\$`) to the regex
/// crate's syntax.
fn java_replacement(rep: &str) -> Result<String, Fail> {
    let mut out = String::with_capacity(rep.len());
    let mut it = rep.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '\\' => match it.next() {
                Some('$') => out.push_str("$$"),
                Some(c) => out.push(c),
                None => return Err(Fail::Msg("character to be escaped is missing in the replacement".into())),
            },
            '$' if it.peek() == Some(&'{') => {
                it.next();
                let name: String = it.by_ref().take_while(|&c| c != '}').collect();
                out.push_str(&format!("${{{name}}}"));
            }
            '$' => {
                let mut digits = String::new();
                while let Some(d) = it.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    it.next();
                }
                if digits.is_empty() {
                    return Err(Fail::Msg("illegal group reference in the replacement".into()));
                }
                out.push_str(&format!("${{{digits}}}"));
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

impl Eval<'_> {
    /// A compiled regex, from a small per-render cache. Java syntax that the
    /// regex crate lacks (backreferences, look-around) is an error.
    pub(crate) fn regex(&mut self, pat: &str) -> Result<regex::Regex, Fail> {
        if let Some((_, r)) = self.regexes.iter().find(|(p, _)| &**p == pat) {
            return Ok(r.clone());
        }
        self.charge(100 + pat.len() as u64)?;
        let r = regex::RegexBuilder::new(pat)
            .size_limit(1 << 20)
            .dfa_size_limit(1 << 20)
            .nest_limit(64)
            .build()
            .map_err(|e| Fail::Msg(format!("invalid or unsupported regular expression: {e}")))?;
        if self.regexes.len() >= 8 {
            self.regexes.remove(0);
        }
        self.regexes.push((pat.into(), r.clone()));
        Ok(r)
    }

    pub(crate) fn method(&mut self, v: &Value, name: &str, args: &[Value]) -> Result<Option<Value>, Fail> {
        match v {
            Value::Str(s) => self.str_method(s, name, args),
            Value::List(id) => self.list_method(*id, name, args),
            Value::Map(id) => self.map_method(*id, name, args),
            Value::Int(_) | Value::Float(_) | Value::Bool(_) => self.scalar_method(v, name, args),
            _ => Ok(None),
        }
    }

    fn scalar_method(&mut self, v: &Value, name: &str, args: &[Value]) -> Result<Option<Value>, Fail> {
        Ok(Some(match (name, args) {
            ("toString", []) => {
                let s = self.string(v)?;
                Value::Str(s)
            }
            ("intValue" | "longValue", []) => match v {
                Value::Float(f) => Value::Int(*f as i64),
                Value::Int(i) => Value::Int(*i),
                _ => return Ok(None),
            },
            ("doubleValue" | "floatValue", []) => match v.as_f64() {
                Some(f) => Value::Float(f),
                None => return Ok(None),
            },
            ("booleanValue", []) if matches!(v, Value::Bool(_)) => v.clone(),
            // Java's Integer.equals(Double) is false: kinds must match.
            ("equals", [o]) => Value::Bool(std::mem::discriminant(v) == std::mem::discriminant(o) && self.heap.equals(v, o, 2)),
            ("compareTo", [o]) => match (v.as_f64(), o.as_f64()) {
                (Some(a), Some(b)) => Value::Int(a.partial_cmp(&b).map_or(0, |o| o as i64)),
                _ => return Err(Fail::Msg("compareTo needs a number".into())),
            },
            _ => return Ok(None),
        }))
    }

    fn str_method(&mut self, s: &Rc<str>, name: &str, args: &[Value]) -> Result<Option<Value>, Fail> {
        // Methods that read the whole string pay for its length.
        self.charge_str(s.len())?;
        let len = u16_len(s);
        let arg = |ev: &mut Self, i: usize| -> Result<Rc<str>, Fail> { Ok(ev.string(&args[i])?) };
        Ok(Some(match (name, args.len()) {
            ("length" | "size", 0) => Value::Int(len as i64),
            ("isEmpty", 0) => Value::Bool(s.is_empty()),
            ("isBlank", 0) => Value::Bool(s.trim().is_empty()),
            ("toString" | "intern", 0) => Value::Str(s.clone()),
            ("toLowerCase", 0) => self.new_str(s.to_lowercase())?,
            ("toUpperCase", 0) => self.new_str(s.to_uppercase())?,
            // Java's trim removes every character up to U+0020.
            ("trim", 0) => Value::str(s.trim_matches(|c: char| c <= ' ')),
            ("strip", 0) => Value::str(s.trim()),
            ("contains", 1) => Value::Bool(s.contains(&*arg(self, 0)?)),
            ("startsWith", 1) => Value::Bool(s.starts_with(&*arg(self, 0)?)),
            ("startsWith", 2) => {
                let p = arg(self, 0)?;
                let off = int(&args[1])?;
                Value::Bool(off >= 0 && (off as u64) <= len as u64 && s[byte_at(s, off as usize)..].starts_with(&*p))
            }
            ("endsWith", 1) => Value::Bool(s.ends_with(&*arg(self, 0)?)),
            ("equals", 1) => Value::Bool(matches!(&args[0], Value::Str(t) if t == s)),
            ("equalsIgnoreCase", 1) => Value::Bool(matches!(&args[0], Value::Str(t) if t.to_lowercase() == s.to_lowercase())),
            ("compareTo" | "compareToIgnoreCase", 1) => {
                let Value::Str(t) = &args[0] else { return Err(Fail::Msg("compareTo needs a string".into())) };
                let (a, b) = if name == "compareTo" { (s.to_string(), t.to_string()) } else { (s.to_lowercase(), t.to_lowercase()) };
                let (mut x, mut y) = (a.encode_utf16(), b.encode_utf16());
                loop {
                    match (x.next(), y.next()) {
                        (Some(p), Some(q)) if p == q => continue,
                        (Some(p), Some(q)) => break Value::Int(p as i64 - q as i64),
                        _ => break Value::Int(u16_len(&a) as i64 - u16_len(&b) as i64),
                    }
                }
            }
            ("indexOf", 1 | 2) => {
                let needle = match &args[0] {
                    // indexOf(int ch): a character code.
                    Value::Int(c) => char::from_u32(u32::try_from(*c).unwrap_or(u32::MAX)).map(String::from).unwrap_or_default().into(),
                    v => self.string(v)?,
                };
                let from = if args.len() == 2 { int(&args[1])?.max(0) } else { 0 };
                if from as u64 > len as u64 {
                    return Ok(Some(Value::Int(-1)));
                }
                let b = byte_at(s, from as usize);
                Value::Int(s[b..].find(&*needle).map_or(-1, |i| u16_len(&s[..b + i]) as i64))
            }
            ("lastIndexOf", 1 | 2) => {
                let needle = arg(self, 0)?;
                let mut end = s.len();
                if args.len() == 2 {
                    let from = int(&args[1])?;
                    if from < 0 {
                        return Ok(Some(Value::Int(-1)));
                    }
                    // A match may start at `from` at the latest.
                    end = (byte_at(s, from.min(len as i64) as usize) + needle.len()).min(s.len());
                    while !s.is_char_boundary(end) {
                        end -= 1;
                    }
                }
                Value::Int(s[..end].rfind(&*needle).map_or(-1, |i| u16_len(&s[..i]) as i64))
            }
            ("substring", 1 | 2) => {
                let a = int(&args[0])?;
                let b = if args.len() == 2 { int(&args[1])? } else { len as i64 };
                if a < 0 || b > len as i64 || a > b {
                    return Err(Fail::Msg(format!("begin {a}, end {b}, length {len}")));
                }
                self.new_str(u16_slice(s, a as usize, b as usize))?
            }
            ("charAt", 1) => {
                let i = int(&args[0])?;
                if i < 0 || i >= len as i64 {
                    return Err(range_err(i, len));
                }
                self.new_str(u16_slice(s, i as usize, i as usize + 1))?
            }
            ("concat", 1) => {
                let t = arg(self, 0)?;
                self.new_str(format!("{s}{t}"))?
            }
            ("replace", 2) => {
                let (from, to) = (arg(self, 0)?, arg(self, 1)?);
                // Java's replace(CharSequence, CharSequence): literal, every occurrence.
                let n = if from.is_empty() { s.chars().count() + 1 } else { s.matches(&*from).count() };
                let size = (s.len() as u64).saturating_add((n as u64).saturating_mul(to.len() as u64));
                if size > self.limits.max_output as u64 {
                    return Err(RenderError::Output(self.limits.max_output).into());
                }
                self.new_str(s.replace(&*from, &to))?
            }
            ("replaceAll" | "replaceFirst", 2) => {
                let (pat, rep) = (arg(self, 0)?, arg(self, 1)?);
                let re = self.regex(&pat)?;
                let rep = java_replacement(&rep)?;
                let mut out = String::new();
                let mut last = 0;
                for caps in re.captures_iter(s) {
                    let Some(m) = caps.get(0) else { continue };
                    out.push_str(&s[last..m.start()]);
                    caps.expand(&rep, &mut out);
                    last = m.end();
                    if out.len() > self.limits.max_output {
                        return Err(RenderError::Output(self.limits.max_output).into());
                    }
                    if name == "replaceFirst" {
                        break;
                    }
                }
                out.push_str(&s[last..]);
                self.new_str(out)?
            }
            ("matches", 1) => {
                let pat = arg(self, 0)?;
                let re = self.regex(&format!("^(?:{pat})$"))?;
                Value::Bool(re.is_match(s))
            }
            ("split", 1 | 2) => {
                let pat = arg(self, 0)?;
                let limit = if args.len() == 2 { int(&args[1])? } else { 0 };
                let re = self.regex(&pat)?;
                let parts = java_split(&re, s, limit);
                self.charge(parts.len() as u64)?;
                let items = parts.into_iter().map(Value::str).collect();
                self.heap.list(items)
            }
            ("hashCode", 0) => Value::Int(s.encode_utf16().fold(0i32, |h, u| h.wrapping_mul(31).wrapping_add(u as i32)) as i64),
            _ => return Ok(None),
        }))
    }
}

/// Java's `String.split(regex, limit)`: no leading empty string for a
/// zero-width match at the start, at most `limit` parts when positive, and
/// trailing empty strings dropped when `limit` is 0.
fn java_split<'a>(re: &regex::Regex, s: &'a str, limit: i64) -> Vec<&'a str> {
    let mut parts = Vec::new();
    let mut last = 0;
    let mut matched = false;
    for m in re.find_iter(s) {
        if m.end() == 0 {
            continue;
        }
        if limit > 0 && parts.len() as i64 + 1 >= limit {
            break;
        }
        matched = true;
        parts.push(&s[last..m.start()]);
        last = m.end();
    }
    if !matched {
        return vec![s];
    }
    parts.push(&s[last..]);
    if limit == 0 {
        while parts.last() == Some(&"") {
            parts.pop();
        }
    }
    parts
}

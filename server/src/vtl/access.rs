//! What `.name`, `[i]` and `.name(args)` mean on each kind of value:
//! map keys, `$foreach`'s properties, `$input.body`, list indexes (negative
//! from the end), Java getters (`getFoo()` is `.foo`), and the dispatch of
//! method calls.

use std::rc::Rc;

use super::eval::{Eval, Fail};
use super::value::Value;
use super::RenderError;

impl Eval<'_> {
    /// `$v.name`.
    pub(crate) fn prop(&mut self, v: &Value, name: &str) -> Value {
        match v {
            Value::Map(id) => self.heap.map_get(*id, name).cloned().unwrap_or(Value::Null),
            Value::List(id) if name == "empty" => Value::Bool(self.heap.lists[*id].is_empty()),
            Value::Str(s) if name == "empty" => Value::Bool(s.is_empty()),
            Value::Loop(d) => {
                let Some(l) = self.loops.get(*d) else { return Value::Null };
                match name {
                    "index" => Value::Int(l.index as i64),
                    "count" => Value::Int(l.index as i64 + 1),
                    "hasNext" => Value::Bool(l.index + 1 < l.len),
                    "first" => Value::Bool(l.index == 0),
                    "last" => Value::Bool(l.index + 1 >= l.len),
                    "parent" if *d > 0 => Value::Loop(d - 1),
                    _ => Value::Null,
                }
            }
            Value::Input if name == "body" => self.body(),
            _ => Value::Null,
        }
    }

    pub(crate) fn body(&mut self) -> Value {
        let s = self.body_str.get_or_insert_with(|| Rc::from(self.ctx.body.as_str()));
        Value::Str(s.clone())
    }

    /// `$v[i]`.
    pub(crate) fn index(&mut self, v: &Value, i: &Value) -> Result<Value, RenderError> {
        self.charge_lookup(v)?;
        Ok(match v {
            Value::List(id) => {
                let l = &self.heap.lists[*id];
                match i.as_int() {
                    Some(i) => {
                        let i = if i < 0 { i.saturating_add(l.len() as i64) } else { i };
                        usize::try_from(i).ok().and_then(|i| l.get(i)).cloned().unwrap_or(Value::Null)
                    }
                    None => Value::Null,
                }
            }
            Value::Map(id) => {
                let k = self.string(i)?;
                self.heap.map_get(*id, &k).cloned().unwrap_or(Value::Null)
            }
            _ => Value::Null,
        })
    }

    /// `$v.name(args)`; an unknown method is null, as in Velocity.
    pub(crate) fn call(&mut self, v: &Value, name: &str, args: &[Value]) -> Result<Value, Fail> {
        let found = match v {
            Value::Input => self.input_call(name, args)?,
            Value::Util => self.util_call(name, args)?,
            _ => self.method(v, name, args)?,
        };
        if let Some(r) = found {
            return Ok(r);
        }
        // A getter: `getFoo()` is `.foo`, `isFoo()` and `hasFoo()` too for booleans.
        let prop = name.strip_prefix("get").or_else(|| name.strip_prefix("is")).filter(|p| args.is_empty() && !p.is_empty());
        if let Some(p) = prop {
            let mut chars = p.chars();
            let first = chars.next().map(|c| c.to_ascii_lowercase()).unwrap_or('x');
            let lower: String = std::iter::once(first).chain(chars).collect();
            return Ok(self.prop(v, &lower));
        }
        if name == "hasNext" && args.is_empty() {
            return Ok(self.prop(v, name));
        }
        Ok(Value::Null)
    }
}

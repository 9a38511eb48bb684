//! `$context` in the heap: built from the caller's JSON on first use with
//! empty `responseOverride`/`requestOverride` maps, and read back after the
//! render for the overrides a template set.

use std::rc::Rc;

use super::eval::Eval;
use super::value::Value;
use super::{RenderError, Rendered};

impl Eval<'_> {
    /// `$context`, copied into the heap on first use, with empty
    /// `responseOverride`/`requestOverride` maps for templates to fill.
    pub(crate) fn context_value(&mut self) -> Value {
        if let Some(v) = &self.context_root {
            return v.clone();
        }
        let v = match self.heap.load_serde(&self.ctx.context, self.limits.max_depth) {
            v @ Value::Map(_) => v,
            _ => self.heap.map(Vec::new()),
        };
        if let Value::Map(id) = v {
            for (name, parts) in [("responseOverride", &["header"][..]), ("requestOverride", &["header", "path", "querystring"][..])] {
                let m = match self.heap.map_get(id, name) {
                    Some(Value::Map(m)) => *m,
                    _ => {
                        let Value::Map(m) = self.heap.map(Vec::new()) else { continue };
                        self.heap.map_put(id, Rc::from(name), Value::Map(m));
                        m
                    }
                };
                for part in parts {
                    if !matches!(self.heap.map_get(m, part), Some(Value::Map(_))) {
                        let sub = self.heap.map(Vec::new());
                        self.heap.map_put(m, Rc::from(*part), sub);
                    }
                }
            }
        }
        self.context_root = Some(v.clone());
        v
    }

    /// Overrides set in `$context`, read back once the template has run.
    pub(crate) fn overrides(&mut self, r: &mut Rendered) -> Result<(), RenderError> {
        let Some(Value::Map(cid)) = self.context_root else { return Ok(()) };
        if let Some(Value::Map(ro)) = self.heap.map_get(cid, "responseOverride").cloned() {
            match self.heap.map_get(ro, "status").cloned() {
                None | Some(Value::Null) => {}
                Some(v) => {
                    let s = self.string(&v)?;
                    let code = s.trim().parse::<u16>().ok().or_else(|| v.as_int().and_then(|i| u16::try_from(i).ok()));
                    match code.filter(|c| (100..=599).contains(c)) {
                        Some(c) => r.status_override = Some(c),
                        None => return Err(RenderError::Status(s.chars().take(64).collect())),
                    }
                }
            }
            r.header_overrides = self.pairs(ro, "header")?;
        }
        if let Some(Value::Map(rq)) = self.heap.map_get(cid, "requestOverride").cloned() {
            r.request_overrides.header = self.pairs(rq, "header")?;
            r.request_overrides.path = self.pairs(rq, "path")?;
            r.request_overrides.querystring = self.pairs(rq, "querystring")?;
        }
        Ok(())
    }

    /// The non-null entries of map `key` in map `id`, as strings.
    fn pairs(&mut self, id: usize, key: &str) -> Result<Vec<(String, String)>, RenderError> {
        let Some(Value::Map(m)) = self.heap.map_get(id, key).cloned() else { return Ok(Vec::new()) };
        let mut out = Vec::new();
        for (k, v) in self.heap.maps[m].clone() {
            if !v.is_null() {
                let s = self.string(&v)?;
                out.push((k.to_string(), s.to_string()));
            }
        }
        Ok(out)
    }
}

//! Java's `List` and `Map` methods on the heap's lists and maps (maps keep
//! insertion order, as the LinkedHashMaps API Gateway builds do; keys are
//! strings, so `put(1, x)` and `put('1', x)` are the same entry).

use std::rc::Rc;

use super::eval::{Eval, Fail};
use super::methods::{int, range_err};
use super::value::Value;

impl Eval<'_> {
    pub(crate) fn list_method(&mut self, id: usize, name: &str, args: &[Value]) -> Result<Option<Value>, Fail> {
        let len = self.heap.lists[id].len();
        let depth = self.limits.max_depth;
        let pos = |ev: &Self, x: &Value| ev.heap.lists[id].iter().position(|v| ev.heap.equals(v, x, depth));
        Ok(Some(match (name, args) {
            // `count()` is not Java's, but AWS's reference documents it on
            // `$input.path` arrays.
            ("size" | "count", []) => Value::Int(len as i64),
            ("isEmpty", []) => Value::Bool(len == 0),
            ("get", [i]) => {
                let i = int(i)?;
                match usize::try_from(i).ok().filter(|&i| i < len) {
                    Some(i) => self.heap.lists[id][i].clone(),
                    None => return Err(range_err(i, len)),
                }
            }
            ("contains", [x]) => {
                self.charge(len as u64)?;
                Value::Bool(pos(self, x).is_some())
            }
            ("indexOf", [x]) => {
                self.charge(len as u64)?;
                Value::Int(pos(self, x).map_or(-1, |i| i as i64))
            }
            ("add", [x]) => {
                self.heap.lists[id].push(x.clone());
                Value::Bool(true)
            }
            ("add", [i, x]) => {
                let i = int(i)?;
                match usize::try_from(i).ok().filter(|&i| i <= len) {
                    Some(i) => self.heap.lists[id].insert(i, x.clone()),
                    None => return Err(range_err(i, len)),
                }
                // A void method prints nothing in Velocity.
                Value::str("")
            }
            ("addAll", [Value::List(o)]) => {
                let items = self.heap.lists[*o].clone();
                self.charge(items.len() as u64)?;
                let changed = !items.is_empty();
                self.heap.lists[id].extend(items);
                Value::Bool(changed)
            }
            ("remove", [Value::Int(i)]) => match usize::try_from(*i).ok().filter(|&i| i < len) {
                Some(i) => self.heap.lists[id].remove(i),
                None => return Err(range_err(*i, len)),
            },
            ("remove", [x]) => {
                self.charge(len as u64)?;
                match pos(self, x) {
                    Some(i) => {
                        self.heap.lists[id].remove(i);
                        Value::Bool(true)
                    }
                    None => Value::Bool(false),
                }
            }
            ("set", [i, x]) => {
                let i = int(i)?;
                match usize::try_from(i).ok().filter(|&i| i < len) {
                    Some(i) => std::mem::replace(&mut self.heap.lists[id][i], x.clone()),
                    None => return Err(range_err(i, len)),
                }
            }
            ("clear", []) => {
                self.heap.lists[id].clear();
                Value::str("")
            }
            ("subList", [a, b]) => {
                let (a, b) = (int(a)?, int(b)?);
                if a < 0 || b > len as i64 || a > b {
                    return Err(Fail::Msg(format!("from {a}, to {b}, size {len}")));
                }
                self.charge((b - a) as u64)?;
                let items = self.heap.lists[id][a as usize..b as usize].to_vec();
                self.heap.list(items)
            }
            ("toString", []) => Value::Str(self.string(&Value::List(id))?),
            ("equals", [o]) => {
                self.charge(len as u64)?;
                Value::Bool(self.heap.equals(&Value::List(id), o, depth))
            }
            _ => return Ok(None),
        }))
    }

    pub(crate) fn map_method(&mut self, id: usize, name: &str, args: &[Value]) -> Result<Option<Value>, Fail> {
        let len = self.heap.maps[id].len();
        let depth = self.limits.max_depth;
        self.charge_lookup(&Value::Map(id))?;
        Ok(Some(match (name, args) {
            ("size", []) => Value::Int(len as i64),
            ("isEmpty", []) => Value::Bool(len == 0),
            ("get", [k]) => {
                let k = self.string(k)?;
                self.heap.map_get(id, &k).cloned().unwrap_or(Value::Null)
            }
            ("getOrDefault", [k, d]) => {
                let k = self.string(k)?;
                self.heap.map_get(id, &k).cloned().unwrap_or_else(|| d.clone())
            }
            ("containsKey", [k]) => {
                let k = self.string(k)?;
                Value::Bool(self.heap.map_get(id, &k).is_some())
            }
            ("containsValue", [x]) => {
                self.charge(len as u64)?;
                Value::Bool(self.heap.maps[id].iter().any(|(_, v)| self.heap.equals(v, x, depth)))
            }
            ("keySet", []) => {
                self.charge(len as u64)?;
                let keys = self.heap.maps[id].iter().map(|(k, _)| Value::Str(k.clone())).collect();
                self.heap.list(keys)
            }
            ("values", []) => {
                self.charge(len as u64)?;
                let vals = self.heap.maps[id].iter().map(|(_, v)| v.clone()).collect();
                self.heap.list(vals)
            }
            ("entrySet", []) => {
                self.charge(3 * len as u64)?;
                let entries = self.heap.maps[id].clone();
                let items = entries
                    .into_iter()
                    .map(|(k, v)| self.heap.map(vec![(Rc::from("key"), Value::Str(k)), (Rc::from("value"), v)]))
                    .collect();
                self.heap.list(items)
            }
            ("put", [k, v]) => {
                let k = self.string(k)?;
                self.heap.map_put(id, k, v.clone())
            }
            ("putAll", [Value::Map(o)]) => {
                let entries = self.heap.maps[*o].clone();
                self.charge(entries.len() as u64)?;
                for (k, v) in entries {
                    self.heap.map_put(id, k, v);
                }
                Value::str("")
            }
            ("remove", [k]) => {
                let k = self.string(k)?;
                let m = &mut self.heap.maps[id];
                match m.iter().position(|(e, _)| **e == *k) {
                    Some(i) => m.remove(i).1,
                    None => Value::Null,
                }
            }
            ("clear", []) => {
                self.heap.maps[id].clear();
                Value::str("")
            }
            ("toString", []) => Value::Str(self.string(&Value::Map(id))?),
            ("equals", [o]) => {
                self.charge(len as u64)?;
                Value::Bool(self.heap.equals(&Value::Map(id), o, depth))
            }
            _ => return Ok(None),
        }))
    }
}

//! Rendering: the AST evaluated against a request's `Context`, with every
//! step counted against `Limits`, Velocity 1.7's operator semantics, and the
//! `$context` overrides read back at the end.

use std::rc::Rc;

use super::ast::{Expr, Node, Pos, Ref, Seg};
use super::value::{Heap, Out, Value};
use super::{Context, Limits, RenderError, Rendered, Template};

/// Why a method call failed: a limit (reported as is) or a problem with
/// the call (reported with its position).
pub(crate) enum Fail {
    Limit(RenderError),
    Msg(String),
}

impl From<RenderError> for Fail {
    fn from(e: RenderError) -> Self {
        Fail::Limit(e)
    }
}

enum Flow {
    Normal,
    Break,
    Stop,
}

pub(crate) struct LoopState {
    pub index: usize,
    pub len: usize,
}

pub(crate) struct Eval<'t> {
    pub heap: Heap,
    pub limits: &'t Limits,
    pub ctx: &'t Context,
    names: &'t [Box<str>],
    vars: Vec<Option<Value>>,
    steps: u64,
    pub loops: Vec<LoopState>,
    pub body_root: Option<Value>,
    pub body_str: Option<Rc<str>>,
    pub params_map: Option<Value>,
    pub context_root: Option<Value>,
    stage_map: Option<Value>,
    pub regexes: Vec<(Box<str>, regex::Regex)>,
}

pub(crate) fn render(t: &Template, ctx: &Context, limits: &Limits) -> Result<Rendered, RenderError> {
    let mut ev = Eval {
        heap: Heap::default(),
        limits,
        ctx,
        names: &t.slots,
        vars: vec![None; t.slots.len()],
        steps: 0,
        loops: Vec::new(),
        body_root: None,
        body_str: None,
        params_map: None,
        context_root: None,
        stage_map: None,
        regexes: Vec::new(),
    };
    let mut out = Out::new(limits.max_output);
    let fix = |e: RenderError| match e {
        RenderError::Depth(_) => RenderError::Depth(limits.max_depth),
        e => e,
    };
    ev.block(&t.nodes, &mut out).map_err(fix)?;
    let mut r = Rendered { body: out.buf, ..Default::default() };
    ev.overrides(&mut r).map_err(fix)?;
    Ok(r)
}

impl Eval<'_> {
    fn tick(&mut self) -> Result<(), RenderError> {
        self.charge(1)
    }

    /// Counts `n` steps of work.
    pub(crate) fn charge(&mut self, n: u64) -> Result<(), RenderError> {
        self.steps = self.steps.saturating_add(n);
        if self.steps > self.limits.max_steps {
            return Err(RenderError::Steps(self.limits.max_steps));
        }
        Ok(())
    }

    /// Counts the work of a key lookup: maps are searched in order (they
    /// are small in templates; a big one from a body costs accordingly).
    pub(crate) fn charge_lookup(&mut self, v: &Value) -> Result<(), RenderError> {
        match v {
            Value::Map(id) => self.charge(self.heap.maps[*id].len() as u64 / 32),
            _ => Ok(()),
        }
    }

    /// Counts the work of making or scanning a string of `len` bytes.
    pub(crate) fn charge_str(&mut self, len: usize) -> Result<(), RenderError> {
        self.charge(len as u64 / 256)
    }

    /// A string result, checked against the size cap and charged.
    pub(crate) fn new_str(&mut self, s: String) -> Result<Value, RenderError> {
        if s.len() > self.limits.max_output {
            return Err(RenderError::Output(self.limits.max_output));
        }
        self.charge_str(s.len())?;
        Ok(Value::Str(Rc::from(s)))
    }

    /// The value as a Java string.
    pub(crate) fn string(&mut self, v: &Value) -> Result<Rc<str>, RenderError> {
        let s = self.heap.to_string(v, self.limits.max_output, self.limits.max_depth)?;
        self.charge_str(s.len())?;
        Ok(s)
    }

    fn block(&mut self, nodes: &[Node], out: &mut Out) -> Result<Flow, RenderError> {
        for node in nodes {
            self.tick()?;
            match node {
                Node::Text(s) => out.push(s)?,
                Node::Ref(r) => {
                    let v = self.eval_ref(r, r.segs.len())?;
                    self.print(r, &v, out)?;
                }
                Node::Escaped(n, r) => {
                    let v = self.eval_ref(r, r.segs.len())?;
                    let n = *n as usize;
                    if v.is_null() {
                        out.push(&"\\".repeat(n))?;
                        out.push(&r.src)?;
                    } else {
                        out.push(&"\\".repeat(n / 2))?;
                        if n % 2 == 1 {
                            out.push(&r.src)?;
                        } else {
                            self.print(r, &v, out)?;
                        }
                    }
                }
                Node::Set { target, value } => {
                    let v = self.expr(value)?;
                    // Velocity 1.7 leaves the target as it was when the value is null.
                    if !v.is_null() {
                        self.assign(target, v)?;
                    }
                }
                Node::If { branches, otherwise } => {
                    let mut chosen = otherwise.as_deref();
                    for (cond, body) in branches {
                        if self.expr(cond)?.truthy() {
                            chosen = Some(body.as_slice());
                            break;
                        }
                    }
                    if let Some(body) = chosen {
                        match self.block(body, out)? {
                            Flow::Normal => {}
                            f => return Ok(f),
                        }
                    }
                }
                Node::Foreach { var, iter, body } => {
                    if let Flow::Stop = self.foreach(*var, iter, body, out)? {
                        return Ok(Flow::Stop);
                    }
                }
                Node::Break => return Ok(Flow::Break),
                Node::Stop => return Ok(Flow::Stop),
            }
        }
        Ok(Flow::Normal)
    }

    fn foreach(&mut self, var: u32, iter: &Expr, body: &[Node], out: &mut Out) -> Result<Flow, RenderError> {
        let coll = self.expr(iter)?;
        // A snapshot, so changing the collection in the loop cannot make it endless.
        let max = self.limits.max_loop_iterations;
        let items: Vec<Value> = match coll {
            Value::List(id) => self.heap.lists[id].iter().take(max).cloned().collect(),
            // Velocity iterates over a map's values.
            Value::Map(id) => self.heap.maps[id].iter().take(max).map(|(_, v)| v.clone()).collect(),
            _ => Vec::new(),
        };
        self.charge(items.len() as u64)?;
        if self.loops.len() >= self.limits.max_depth {
            return Err(RenderError::Depth(self.limits.max_depth));
        }
        let saved = self.vars[var as usize].take();
        self.loops.push(LoopState { index: 0, len: items.len() });
        let mut flow = Flow::Normal;
        for (i, item) in items.into_iter().enumerate() {
            if let Some(l) = self.loops.last_mut() {
                l.index = i;
            }
            self.vars[var as usize] = Some(item);
            match self.block(body, out)? {
                Flow::Normal => {}
                Flow::Break => break,
                Flow::Stop => {
                    flow = Flow::Stop;
                    break;
                }
            }
        }
        self.loops.pop();
        self.vars[var as usize] = saved;
        Ok(flow)
    }

    fn print(&mut self, r: &Ref, v: &Value, out: &mut Out) -> Result<(), RenderError> {
        if v.is_null() {
            if !r.quiet && !self.limits.quiet_nulls {
                out.push(&r.src)?;
            }
            return Ok(());
        }
        let before = out.buf.len();
        self.heap.display(v, out, self.limits.max_depth)?;
        let n = out.buf.len() - before;
        self.charge_str(n)
    }

    /// The value of the root of `r` and its first `upto` segments.
    fn eval_ref(&mut self, r: &Ref, upto: usize) -> Result<Value, RenderError> {
        let mut v = self.root(r.root);
        for seg in &r.segs[..upto] {
            if v.is_null() {
                return Ok(Value::Null);
            }
            v = match seg {
                Seg::Prop(name) => {
                    self.charge_lookup(&v)?;
                    self.prop(&v, name)
                }
                Seg::Index(e) => {
                    let i = self.expr(e)?;
                    self.index(&v, &i)?
                }
                Seg::Call { name, args, pos } => {
                    let mut vals = Vec::with_capacity(args.len());
                    for a in args {
                        vals.push(self.expr(a)?);
                    }
                    match self.call(&v, name, &vals) {
                        Ok(v) => v,
                        Err(Fail::Limit(e)) => return Err(e),
                        Err(Fail::Msg(m)) => return Err(at(*pos, format!("{}: {m}", call_text(&r.src, name)))),
                    }
                }
            };
        }
        Ok(v)
    }

    fn root(&mut self, slot: u32) -> Value {
        if let Some(v) = &self.vars[slot as usize] {
            return v.clone();
        }
        match &*self.names[slot as usize] {
            "input" => Value::Input,
            "util" => Value::Util,
            "context" => self.context_value(),
            "stageVariables" => {
                if self.stage_map.is_none() {
                    let ctx = self.ctx;
                    let entries = ctx.stage_variables.iter().map(|(k, v)| (Rc::from(k.as_str()), Value::str(v))).collect();
                    self.stage_map = Some(self.heap.map(entries));
                }
                self.stage_map.clone().unwrap_or(Value::Null)
            }
            "foreach" if !self.loops.is_empty() => Value::Loop(self.loops.len() - 1),
            "velocityCount" => self.loops.last().map_or(Value::Null, |l| Value::Int(l.index as i64 + 1)),
            "velocityHasNext" => self.loops.last().map_or(Value::Null, |l| Value::Bool(l.index + 1 < l.len)),
            _ => Value::Null,
        }
    }

    fn assign(&mut self, target: &Ref, v: Value) -> Result<(), RenderError> {
        let Some(last) = target.segs.last() else {
            self.vars[target.root as usize] = Some(v);
            return Ok(());
        };
        let container = self.eval_ref(target, target.segs.len() - 1)?;
        self.charge_lookup(&container)?;
        match (last, &container) {
            (Seg::Prop(name), Value::Map(id)) => {
                self.heap.map_put(*id, Rc::from(&**name), v);
            }
            (Seg::Index(e), Value::Map(id)) => {
                let id = *id;
                let k = self.expr(e)?;
                let k = self.string(&k)?;
                self.heap.map_put(id, k, v);
            }
            (Seg::Index(e), Value::List(id)) => {
                let id = *id;
                let i = self.expr(e)?.as_int();
                let l = &mut self.heap.lists[id];
                let i = i.map(|i| if i < 0 { i.saturating_add(l.len() as i64) } else { i });
                if let Some(slot) = i.and_then(|i| usize::try_from(i).ok()).and_then(|i| l.get_mut(i)) {
                    *slot = v;
                }
            }
            // Anything else has no settable property; Velocity logs and goes on.
            _ => {}
        }
        Ok(())
    }

    pub(crate) fn expr(&mut self, e: &Expr) -> Result<Value, RenderError> {
        self.tick()?;
        Ok(match e {
            Expr::Null => Value::Null,
            Expr::Bool(b) => Value::Bool(*b),
            Expr::Int(i) => Value::Int(*i),
            Expr::Float(f) => Value::Float(*f),
            Expr::Str(s) => Value::str(s),
            Expr::Interp(nodes) => {
                let mut o = Out::new(self.limits.max_output);
                self.block(nodes, &mut o)?;
                self.new_str(o.buf)?
            }
            Expr::Ref(r) => self.eval_ref(r, r.segs.len())?,
            Expr::List(items) => {
                let mut vals = Vec::with_capacity(items.len());
                for i in items {
                    vals.push(self.expr(i)?);
                }
                self.heap.list(vals)
            }
            Expr::Map(entries) => {
                let m = self.heap.map(Vec::new());
                let Value::Map(id) = m else { return Ok(Value::Null) };
                for (k, v) in entries {
                    let k = self.expr(k)?;
                    let k = self.string(&k)?;
                    let v = self.expr(v)?;
                    self.heap.map_put(id, k, v);
                }
                m
            }
            Expr::Range(a, b) => {
                let (a, b) = (self.expr(a)?, self.expr(b)?);
                let int = |v: &Value| v.as_int().or_else(|| if let Value::Str(s) = v { s.trim().parse().ok() } else { None });
                let (Some(a), Some(b)) = (int(&a), int(&b)) else { return Ok(Value::Null) };
                let n = a.abs_diff(b).saturating_add(1);
                if n > self.limits.max_range as u64 {
                    return Err(RenderError::Range(self.limits.max_range));
                }
                self.charge(n)?;
                let items = if a <= b { (a..=b).map(Value::Int).collect() } else { (b..=a).rev().map(Value::Int).collect() };
                self.heap.list(items)
            }
            Expr::Not(e) => Value::Bool(!self.expr(e)?.truthy()),
            Expr::Neg(e) => match self.expr(e)? {
                Value::Int(i) => i.checked_neg().map(Value::Int).unwrap_or(Value::Float(-(i as f64))),
                Value::Float(f) => Value::Float(-f),
                _ => Value::Null,
            },
            Expr::Bin(op, a, b) => self.binary(*op, a, b)?,
        })
    }
}

pub(crate) fn at(pos: Pos, message: String) -> RenderError {
    RenderError::At { line: pos.line, column: pos.column, message }
}

/// `$a.b.name` for an error message about the call of `name` in `src`.
fn call_text(src: &str, name: &str) -> String {
    match src.find(&format!(".{name}(")) {
        Some(i) => format!("{}()", &src[..i + 1 + name.len()]),
        None => format!("{name}()"),
    }
}

//! Velocity 1.7's operators: `&&`/`||` on truth, `==` across kinds,
//! comparisons on numbers only, `+` as concatenation when a string is
//! involved, and Java's integer arithmetic widened to double on overflow.

use super::ast::{BinOp, Expr};
use super::eval::Eval;
use super::value::Value;
use super::RenderError;

impl Eval<'_> {
    pub(crate) fn binary(&mut self, op: BinOp, a: &Expr, b: &Expr) -> Result<Value, RenderError> {
        match op {
            BinOp::Or => return Ok(Value::Bool(self.expr(a)?.truthy() || self.expr(b)?.truthy())),
            BinOp::And => return Ok(Value::Bool(self.expr(a)?.truthy() && self.expr(b)?.truthy())),
            _ => {}
        }
        let (a, b) = (self.expr(a)?, self.expr(b)?);
        Ok(match op {
            BinOp::Eq => Value::Bool(self.equal(&a, &b)?),
            BinOp::Ne => Value::Bool(!self.equal(&a, &b)?),
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let ord = match (&a, &b) {
                    (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
                    _ => a.as_f64().zip(b.as_f64()).and_then(|(x, y)| x.partial_cmp(&y)),
                };
                // Velocity compares numbers only; anything else is false.
                Value::Bool(ord.is_some_and(|o| match op {
                    BinOp::Lt => o.is_lt(),
                    BinOp::Le => o.is_le(),
                    BinOp::Gt => o.is_gt(),
                    _ => o.is_ge(),
                }))
            }
            BinOp::Add if matches!(a, Value::Str(_)) || matches!(b, Value::Str(_)) => {
                if a.is_null() || b.is_null() {
                    return Ok(Value::Null);
                }
                let (x, y) = (self.string(&a)?, self.string(&b)?);
                self.new_str(format!("{x}{y}"))?
            }
            _ => arith(op, &a, &b),
        })
    }

    /// Velocity's `==`: numbers by value, same kinds by `equals`, other
    /// non-null pairs by their strings.
    fn equal(&mut self, a: &Value, b: &Value) -> Result<bool, RenderError> {
        Ok(match (a, b) {
            (Value::Null, Value::Null) => true,
            (Value::Null, _) | (_, Value::Null) => false,
            (Value::Int(x), Value::Int(y)) => x == y,
            _ if a.as_f64().is_some() && b.as_f64().is_some() => a.as_f64() == b.as_f64(),
            (Value::Str(_), Value::Str(_))
            | (Value::Bool(_), Value::Bool(_))
            | (Value::List(_), Value::List(_))
            | (Value::Map(_), Value::Map(_)) => self.heap.equals(a, b, self.limits.max_depth),
            _ => *self.string(a)? == *self.string(b)?,
        })
    }
}

/// `+ - * / %` on numbers (Java's integer arithmetic, widened to double on
/// overflow as Velocity widens to a bigger type); null otherwise, and for
/// division by zero.
fn arith(op: BinOp, a: &Value, b: &Value) -> Value {
    if let (Value::Int(x), Value::Int(y)) = (a, b) {
        let r = match op {
            BinOp::Add => x.checked_add(*y),
            BinOp::Sub => x.checked_sub(*y),
            BinOp::Mul => x.checked_mul(*y),
            BinOp::Div if *y == 0 => return Value::Null,
            BinOp::Div => x.checked_div(*y),
            BinOp::Rem if *y == 0 => return Value::Null,
            BinOp::Rem => Some(x.checked_rem(*y).unwrap_or(0)),
            _ => return Value::Null,
        };
        if let Some(r) = r {
            return Value::Int(r);
        }
    }
    let (Some(x), Some(y)) = (a.as_f64(), b.as_f64()) else { return Value::Null };
    Value::Float(match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        BinOp::Div if y == 0.0 => return Value::Null,
        BinOp::Div => x / y,
        BinOp::Rem if y == 0.0 => return Value::Null,
        BinOp::Rem => x % y,
        _ => return Value::Null,
    })
}

//! Expressions inside directives, indexes and method arguments: Velocity's
//! operators by precedence (`||` < `&&` < equality < comparison < `+ -` <
//! `* / %` < unary), literals, lists, maps, ranges and references.

use super::ast::{BinOp, Expr, Pos};
use super::parse::{is_ident_char, Parser};
use super::ParseError;

impl Parser<'_> {
    /// Skips spaces, tabs and newlines (all allowed between tokens).
    pub(super) fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// Whether the word `w` (not a prefix of a longer name) comes next.
    fn at_word(&self, w: &str) -> bool {
        self.at(w) && !self.peek_at(w.len()).is_some_and(is_ident_char)
    }

    /// Arguments after `(` up to and including `)`.
    pub(super) fn parse_args(&mut self) -> Result<Vec<Expr>, ParseError> {
        let mut args = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b')') {
            self.pos += 1;
            return Ok(args);
        }
        loop {
            args.push(self.parse_expr()?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b')') => {
                    self.pos += 1;
                    return Ok(args);
                }
                _ => return Err(self.err(self.pos, "expected , or ) in an argument list")),
            }
        }
    }

    pub(super) fn parse_expr(&mut self) -> Result<Expr, ParseError> {
        self.enter()?;
        let e = self.parse_bin(0);
        self.leave();
        e
    }

    /// The operator at the cursor with its precedence level (0 lowest), if
    /// it belongs to `level`; consumes it.
    fn take_op(&mut self, level: u8) -> Option<BinOp> {
        self.skip_ws();
        let ops: &[(&str, BinOp, bool)] = match level {
            0 => &[("||", BinOp::Or, false), ("or", BinOp::Or, true)],
            1 => &[("&&", BinOp::And, false), ("and", BinOp::And, true)],
            2 => &[("==", BinOp::Eq, false), ("!=", BinOp::Ne, false), ("eq", BinOp::Eq, true), ("ne", BinOp::Ne, true)],
            3 => &[
                ("<=", BinOp::Le, false),
                (">=", BinOp::Ge, false),
                ("<", BinOp::Lt, false),
                (">", BinOp::Gt, false),
                ("le", BinOp::Le, true),
                ("ge", BinOp::Ge, true),
                ("lt", BinOp::Lt, true),
                ("gt", BinOp::Gt, true),
            ],
            4 => &[("+", BinOp::Add, false), ("-", BinOp::Sub, false)],
            _ => &[("*", BinOp::Mul, false), ("/", BinOp::Div, false), ("%", BinOp::Rem, false)],
        };
        for (s, op, word) in ops {
            let hit = if *word { self.at_word(s) } else { self.at(s) };
            if hit {
                self.pos += s.len();
                return Some(*op);
            }
        }
        None
    }

    fn parse_bin(&mut self, level: u8) -> Result<Expr, ParseError> {
        if level > 5 {
            return self.parse_unary();
        }
        let mut left = self.parse_bin(level + 1)?;
        while let Some(op) = self.take_op(level) {
            let right = self.parse_bin(level + 1)?;
            left = Expr::Bin(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn parse_unary(&mut self) -> Result<Expr, ParseError> {
        self.skip_ws();
        if self.peek() == Some(b'!') && self.peek_at(1) != Some(b'=') {
            self.pos += 1;
            self.enter()?;
            let e = self.parse_unary();
            self.leave();
            return Ok(Expr::Not(Box::new(e?)));
        }
        if self.at_word("not") {
            self.pos += 3;
            self.enter()?;
            let e = self.parse_unary();
            self.leave();
            return Ok(Expr::Not(Box::new(e?)));
        }
        if self.peek() == Some(b'-') {
            self.pos += 1;
            if self.peek().is_some_and(|b| b.is_ascii_digit()) {
                return Ok(match self.parse_number()? {
                    Expr::Int(i) => Expr::Int(-i),
                    Expr::Float(f) => Expr::Float(-f),
                    e => Expr::Neg(Box::new(e)),
                });
            }
            self.enter()?;
            let e = self.parse_unary();
            self.leave();
            return Ok(Expr::Neg(Box::new(e?)));
        }
        self.parse_primary()
    }

    fn parse_number(&mut self) -> Result<Expr, ParseError> {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        // `1..5` is a range, not the float `1.`.
        if self.peek() == Some(b'.') && self.peek_at(1).is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
            while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                self.pos += 1;
            }
            let src = self.src;
            let s = &src[start..self.pos];
            return s.parse().map(Expr::Float).map_err(|_| self.err(start, "bad number"));
        }
        let s = &self.src[start..self.pos];
        // Too big for a long: Velocity would use a BigInteger; a double is close enough.
        Ok(s.parse::<i64>().map(Expr::Int).unwrap_or_else(|_| Expr::Float(s.parse().unwrap_or(f64::INFINITY))))
    }

    fn parse_primary(&mut self) -> Result<Expr, ParseError> {
        self.skip_ws();
        let at = self.pos;
        let Some(c) = self.peek() else { return Err(self.err(at, "expected an expression, found the end of the template")) };
        match c {
            b'$' => Ok(Expr::Ref(self.parse_ref(false)?.ok_or_else(|| self.err(at, "expected a reference"))?)),
            b'"' | b'\'' => self.parse_string(c),
            b'0'..=b'9' => self.parse_number(),
            b'(' => {
                self.pos += 1;
                let e = self.parse_expr()?;
                self.close_paren("a parenthesis")?;
                Ok(e)
            }
            b'[' => {
                self.pos += 1;
                self.enter()?;
                let r = self.parse_list(at);
                self.leave();
                r
            }
            b'{' => {
                self.pos += 1;
                self.enter()?;
                let r = self.parse_map();
                self.leave();
                r
            }
            _ if self.at_word("true") => {
                self.pos += 4;
                Ok(Expr::Bool(true))
            }
            _ if self.at_word("false") => {
                self.pos += 5;
                Ok(Expr::Bool(false))
            }
            _ if self.at_word("null") => {
                self.pos += 4;
                Ok(Expr::Null)
            }
            _ => Err(self.err(at, "expected an expression (a $reference, a literal, [ or {)")),
        }
    }

    /// After `[`: a list `[a, b]` or a range `[a..b]`.
    fn parse_list(&mut self, at: usize) -> Result<Expr, ParseError> {
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Expr::List(Vec::new()));
        }
        let first = self.parse_expr()?;
        self.skip_ws();
        if self.at("..") {
            self.pos += 2;
            let last = self.parse_expr()?;
            self.skip_ws();
            if self.peek() != Some(b']') {
                return Err(self.err(self.pos, "expected ] to close a range"));
            }
            self.pos += 1;
            return Ok(Expr::Range(Box::new(first), Box::new(last)));
        }
        let mut items = vec![first];
        loop {
            self.skip_ws();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    items.push(self.parse_expr()?);
                }
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Expr::List(items));
                }
                _ => return Err(self.err(at, "list without ]")),
            }
        }
    }

    /// After `{`: a map `{k: v, ...}`.
    fn parse_map(&mut self) -> Result<Expr, ParseError> {
        let mut entries = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Expr::Map(entries));
        }
        loop {
            let k = self.parse_expr()?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.err(self.pos, "expected : in a map"));
            }
            self.pos += 1;
            let v = self.parse_expr()?;
            entries.push((k, v));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Expr::Map(entries));
                }
                _ => return Err(self.err(self.pos, "expected , or } in a map")),
            }
        }
    }

    /// A string literal. Backslashes stay as written (Velocity 1.7 does not
    /// unescape them); a doubled quote stands for one. A double-quoted string
    /// with `$` or `#` in it is a template of its own.
    fn parse_string(&mut self, q: u8) -> Result<Expr, ParseError> {
        let at = self.pos;
        self.pos += 1;
        let mut s = String::new();
        loop {
            let start = self.pos;
            while self.peek().is_some_and(|b| b != q && b != b'\\') {
                self.pos += 1;
            }
            s.push_str(&self.src[start..self.pos]);
            match self.peek() {
                None => return Err(self.err(at, "string without its closing quote")),
                Some(b'\\') => {
                    s.push('\\');
                    self.pos += 1;
                    if let Some(ch) = self.src[self.pos..].chars().next() {
                        s.push(ch);
                        self.pos += ch.len_utf8();
                    }
                }
                Some(_) if self.peek_at(1) == Some(q) => {
                    s.push(q as char);
                    self.pos += 2;
                }
                Some(_) => {
                    self.pos += 1;
                    break;
                }
            }
        }
        if q == b'\'' || !s.contains(['$', '#']) {
            return Ok(Expr::Str(s.into_boxed_str()));
        }
        let origin: Pos = self.pos_of(at);
        let slots = std::mem::take(&mut self.slots);
        let mut sub = Parser::new(&s, self.max_depth, slots, Some(origin), self.depth());
        let nodes = sub.parse_top();
        self.slots = std::mem::take(&mut sub.slots);
        Ok(Expr::Interp(nodes?))
    }
}

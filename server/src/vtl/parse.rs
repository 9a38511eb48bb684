//! Template text to AST: text, references, directives and comments, with
//! Velocity 1.7's whitespace rules. Expressions inside directives and
//! reference arguments are parsed by `expr.rs` on the same `Parser`.

use super::ast::{Node, Pos, Seg};
use super::ParseError;

/// How a block of nodes ended.
enum Term {
    Eof,
    End(usize),
    Else(usize),
    ElseIf(usize, super::ast::Expr),
}

pub(crate) struct Parser<'s> {
    pub(super) src: &'s str,
    pub(super) pos: usize,
    depth: usize,
    pub(super) max_depth: usize,
    /// Variable names, shared with parsers of interpolated strings.
    pub(super) slots: Vec<Box<str>>,
    /// For a parser of an interpolated string's (unescaped) copy: where the
    /// string starts in the template, reported for everything inside it.
    origin: Option<Pos>,
    /// (byte offset, position) of the last position computed, so computing
    /// positions in order stays linear.
    last: (usize, Pos),
}

/// Parses a whole template.
pub(crate) fn parse(src: &str, max_depth: usize) -> Result<(Vec<Node>, Vec<Box<str>>), ParseError> {
    let mut p = Parser::new(src, max_depth, Vec::new(), None, 0);
    let nodes = p.parse_top()?;
    Ok((nodes, p.slots))
}

pub(super) fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

/// Velocity 1.7 identifiers may contain `-` (so `$a-b` is one name).
pub(super) fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

impl<'s> Parser<'s> {
    pub(super) fn new(src: &'s str, max_depth: usize, slots: Vec<Box<str>>, origin: Option<Pos>, depth: usize) -> Self {
        Parser { src, pos: 0, depth, max_depth, slots, origin, last: (0, Pos { line: 1, column: 1 }) }
    }

    pub(super) fn peek(&self) -> Option<u8> {
        self.src.as_bytes().get(self.pos).copied()
    }

    pub(super) fn peek_at(&self, off: usize) -> Option<u8> {
        self.src.as_bytes().get(self.pos + off).copied()
    }

    pub(super) fn at(&self, s: &str) -> bool {
        self.src.as_bytes().get(self.pos..).is_some_and(|r| r.starts_with(s.as_bytes()))
    }

    /// The line and column of byte offset `at`. Positions are asked for
    /// mostly in order, so this walks from the last one: forward, or (after a
    /// reference in text was abandoned) a short way back.
    pub(super) fn pos_of(&mut self, at: usize) -> Pos {
        if let Some(o) = self.origin {
            return o;
        }
        let bytes = self.src.as_bytes();
        let at = at.min(bytes.len());
        let is_char = |b: &u8| b & 0xC0 != 0x80;
        let (off, mut p) = self.last;
        if at < off {
            let between = &bytes[at..off];
            if !between.contains(&b'\n') {
                p.column -= between.iter().filter(|b| is_char(b)).count() as u32;
            } else {
                p.line -= between.iter().filter(|&&b| b == b'\n').count() as u32;
                let line_start = bytes[..at].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
                p.column = 1 + bytes[line_start..at].iter().filter(|b| is_char(b)).count() as u32;
            }
        } else {
            for b in &bytes[off..at] {
                if *b == b'\n' {
                    p.line += 1;
                    p.column = 1;
                } else if is_char(b) {
                    // Count characters, not UTF-8 continuation bytes.
                    p.column += 1;
                }
            }
        }
        self.last = (at, p);
        p
    }

    pub(super) fn err(&mut self, at: usize, message: impl Into<String>) -> ParseError {
        let p = self.pos_of(at);
        ParseError { line: p.line, column: p.column, message: message.into() }
    }

    /// Counts one level of nesting; `leave` must follow.
    pub(super) fn enter(&mut self) -> Result<(), ParseError> {
        // Checked before counting, so an abandoned reference in text (whose
        // error is swallowed) leaves the count right.
        if self.depth >= self.max_depth {
            return Err(self.err(self.pos, format!("nested more than {} levels deep", self.max_depth)));
        }
        self.depth += 1;
        Ok(())
    }

    pub(super) fn leave(&mut self) {
        self.depth -= 1;
    }

    pub(super) fn depth(&self) -> usize {
        self.depth
    }

    pub(super) fn slot(&mut self, name: &str) -> u32 {
        if let Some(i) = self.slots.iter().position(|s| &**s == name) {
            return i as u32;
        }
        self.slots.push(name.into());
        (self.slots.len() - 1) as u32
    }

    pub(super) fn ident(&mut self) -> &'s str {
        let start = self.pos;
        while self.peek().is_some_and(is_ident_char) {
            self.pos += 1;
        }
        &self.src[start..self.pos]
    }

    /// Parses a whole (sub)template, which must not end in `#end` or `#else`.
    pub(super) fn parse_top(&mut self) -> Result<Vec<Node>, ParseError> {
        let (nodes, term) = self.parse_block()?;
        match term {
            Term::Eof => Ok(nodes),
            Term::End(at) => Err(self.err(at, "#end without #if or #foreach")),
            Term::Else(at) => Err(self.err(at, "#else without #if")),
            Term::ElseIf(at, _) => Err(self.err(at, "#elseif without #if")),
        }
    }

    fn parse_block(&mut self) -> Result<(Vec<Node>, Term), ParseError> {
        let mut nodes = Vec::new();
        let mut text = String::new();
        let src = self.src;
        let bytes = src.as_bytes();
        let flush = |text: &mut String, nodes: &mut Vec<Node>| {
            if !text.is_empty() {
                nodes.push(Node::Text(std::mem::take(text).into_boxed_str()));
            }
        };
        while self.pos < bytes.len() {
            let start = self.pos;
            while self.pos < bytes.len() && !matches!(bytes[self.pos], b'\\' | b'$' | b'#') {
                self.pos += 1;
            }
            text.push_str(&src[start..self.pos]);
            let Some(c) = self.peek() else { break };
            match c {
                b'\\' => {
                    // Backslashes count only before a reference or a `#`.
                    let run = self.src[self.pos..].bytes().take_while(|&b| b == b'\\').count();
                    let after = self.pos + run;
                    self.pos = after;
                    match self.peek() {
                        Some(b'$') => match self.parse_ref(true)? {
                            Some(r) => {
                                flush(&mut text, &mut nodes);
                                nodes.push(Node::Escaped(run as u32, r));
                            }
                            None => text.push_str(&src[after - run..after]),
                        },
                        Some(b'#') => {
                            // An odd run escapes the `#`: half the backslashes, then `#` as text.
                            text.push_str(&src[after - run..after - run / 2 - run % 2]);
                            if run % 2 == 1 {
                                text.push('#');
                                self.pos += 1;
                            }
                        }
                        _ => text.push_str(&src[after - run..after]),
                    }
                }
                b'$' => match self.parse_ref(true)? {
                    Some(r) => {
                        flush(&mut text, &mut nodes);
                        nodes.push(Node::Ref(r));
                    }
                    None => {
                        text.push('$');
                        self.pos += 1;
                    }
                },
                _ => {
                    let at = self.pos;
                    match self.parse_hash(&mut text)? {
                        Hash::Text => {}
                        Hash::Node(n) => {
                            flush(&mut text, &mut nodes);
                            nodes.push(n);
                        }
                        Hash::Term(t) => {
                            flush(&mut text, &mut nodes);
                            return Ok((nodes, t));
                        }
                        Hash::If(cond) => {
                            flush(&mut text, &mut nodes);
                            nodes.push(self.parse_if(at, cond)?);
                        }
                        Hash::Foreach(var, iter) => {
                            flush(&mut text, &mut nodes);
                            self.enter()?;
                            let (body, term) = self.parse_block()?;
                            self.leave();
                            match term {
                                Term::End(_) => nodes.push(Node::Foreach { var, iter, body }),
                                Term::Eof => return Err(self.err(at, "#foreach without #end")),
                                Term::Else(e) | Term::ElseIf(e, _) => return Err(self.err(e, "#else inside #foreach")),
                            }
                        }
                    }
                }
            }
        }
        flush(&mut text, &mut nodes);
        Ok((nodes, Term::Eof))
    }

    fn parse_if(&mut self, at: usize, cond: super::ast::Expr) -> Result<Node, ParseError> {
        self.enter()?;
        let mut branches = Vec::new();
        let mut cond = cond;
        let otherwise = loop {
            let (body, term) = self.parse_block()?;
            branches.push((cond, body));
            match term {
                Term::End(_) => break None,
                Term::Eof => return Err(self.err(at, "#if without #end")),
                Term::ElseIf(_, c) => cond = c,
                Term::Else(_) => {
                    let (body, term) = self.parse_block()?;
                    match term {
                        Term::End(_) => break Some(body),
                        Term::Eof => return Err(self.err(at, "#if without #end")),
                        Term::Else(e) => return Err(self.err(e, "a second #else")),
                        Term::ElseIf(e, _) => return Err(self.err(e, "#elseif after #else")),
                    }
                }
            }
        };
        self.leave();
        Ok(Node::If { branches, otherwise })
    }

    /// Eats `[ \t]*` and a newline after a directive, if the newline is there.
    fn eat_newline(&mut self) {
        let save = self.pos;
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        if self.at("\r\n") {
            self.pos += 2;
        } else if matches!(self.peek(), Some(b'\n' | b'\r')) {
            self.pos += 1;
        } else {
            self.pos = save;
        }
    }

    /// Expects `(` (after optional spaces) following directive `name`.
    fn open_paren(&mut self, name: &str) -> Result<(), ParseError> {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        if self.peek() != Some(b'(') {
            return Err(self.err(self.pos, format!("#{name} needs its arguments in parentheses")));
        }
        self.pos += 1;
        Ok(())
    }

    pub(super) fn close_paren(&mut self, what: &str) -> Result<(), ParseError> {
        self.skip_ws();
        if self.peek() != Some(b')') {
            return Err(self.err(self.pos, format!("expected ) to close {what}")));
        }
        self.pos += 1;
        Ok(())
    }

    /// At `#`: a comment, an unparsed block, a directive, or plain text.
    fn parse_hash(&mut self, text: &mut String) -> Result<Hash, ParseError> {
        let at = self.pos;
        match self.peek_at(1) {
            Some(b'#') => {
                // A line comment, with its newline.
                match self.src[at..].find('\n') {
                    Some(n) => self.pos = at + n + 1,
                    None => self.pos = self.src.len(),
                }
                return Ok(Hash::Text);
            }
            Some(b'*') => {
                match self.src[at + 2..].find("*#") {
                    Some(n) => self.pos = at + 2 + n + 2,
                    None => return Err(self.err(at, "#* comment without *#")),
                }
                return Ok(Hash::Text);
            }
            Some(b'[') if self.peek_at(2) == Some(b'[') => {
                match self.src[at + 3..].find("]]#") {
                    Some(n) => {
                        text.push_str(&self.src[at + 3..at + 3 + n]);
                        self.pos = at + 3 + n + 3;
                    }
                    None => return Err(self.err(at, "#[[ without ]]#")),
                }
                return Ok(Hash::Text);
            }
            _ => {}
        }
        // `#name` or `#{name}`.
        let braced = self.peek_at(1) == Some(b'{');
        self.pos = at + 1 + usize::from(braced);
        if !self.peek().is_some_and(|b| b.is_ascii_alphabetic()) {
            self.pos = at + 1;
            text.push('#');
            return Ok(Hash::Text);
        }
        let name = self.ident();
        if braced {
            if self.peek() != Some(b'}') {
                self.pos = at + 1;
                text.push('#');
                return Ok(Hash::Text);
            }
            self.pos += 1;
        }
        match name {
            "set" => {
                self.open_paren("set")?;
                self.skip_ws();
                if self.peek() != Some(b'$') {
                    return Err(self.err(self.pos, "#set needs a reference ($name) to assign to"));
                }
                let target_at = self.pos;
                let target = self.parse_ref(false)?.ok_or_else(|| self.err(self.pos, "#set needs a reference ($name) to assign to"))?;
                if matches!(target.segs.last(), Some(Seg::Call { .. })) {
                    return Err(self.err(target_at, "#set cannot assign to a method call"));
                }
                self.skip_ws();
                if self.peek() != Some(b'=') || self.peek_at(1) == Some(b'=') {
                    return Err(self.err(self.pos, "expected = in #set"));
                }
                self.pos += 1;
                let value = self.parse_expr()?;
                self.close_paren("#set")?;
                self.eat_newline();
                // Velocity 1.7 eats the indentation of a line that starts with #set.
                let bytes = self.src.as_bytes();
                let mut b = at;
                while b > 0 && matches!(bytes[b - 1], b' ' | b'\t') {
                    b -= 1;
                }
                if (b == 0 || bytes[b - 1] == b'\n') && text.ends_with(&self.src[b..at]) {
                    text.truncate(text.len() - (at - b));
                }
                Ok(Hash::Node(super::ast::Node::Set { target, value }))
            }
            "if" | "elseif" => {
                self.open_paren(name)?;
                let cond = self.parse_expr()?;
                self.close_paren(if name == "if" { "#if" } else { "#elseif" })?;
                self.eat_newline();
                Ok(if name == "if" { Hash::If(cond) } else { Hash::Term(Term::ElseIf(at, cond)) })
            }
            "else" => {
                self.eat_newline();
                Ok(Hash::Term(Term::Else(at)))
            }
            "end" => {
                self.eat_newline();
                Ok(Hash::Term(Term::End(at)))
            }
            "foreach" => {
                self.open_paren("foreach")?;
                self.skip_ws();
                let var_at = self.pos;
                if self.peek() != Some(b'$') || !self.peek_at(1).is_some_and(is_ident_start) {
                    return Err(self.err(var_at, "#foreach needs a loop variable ($name)"));
                }
                self.pos += 1;
                let var = self.ident();
                let var = self.slot(var);
                self.skip_ws();
                if !self.at("in") || self.peek_at(2).is_some_and(is_ident_char) {
                    return Err(self.err(self.pos, "expected `in` in #foreach"));
                }
                self.pos += 2;
                let iter = self.parse_expr()?;
                self.close_paren("#foreach")?;
                self.eat_newline();
                Ok(Hash::Foreach(var, iter))
            }
            "break" | "stop" => {
                self.eat_newline();
                Ok(Hash::Node(if name == "break" { Node::Break } else { Node::Stop }))
            }
            "macro" | "include" | "parse" | "evaluate" | "define" => {
                Err(self.err(at, format!("#{name} is not supported in mapping templates")))
            }
            _ => {
                // Not a directive: Velocity prints it as it stands.
                text.push_str(&self.src[at..self.pos]);
                Ok(Hash::Text)
            }
        }
    }
}

enum Hash {
    /// Consumed as text (or nothing, for comments).
    Text,
    Node(Node),
    Term(Term),
    If(super::ast::Expr),
    Foreach(u32, super::ast::Expr),
}

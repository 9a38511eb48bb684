//! References: `$name`, `$!name`, `${name}`, `$!{name}`, each followed by
//! `.property`, `.method(args)` and `[index]` segments.

use super::ast::{Ref, Seg};
use super::parse::{is_ident_start, Parser};
use super::ParseError;

impl Parser<'_> {
    /// At `$`: a reference, or `None` when what follows is not one (the `$`
    /// is then text). In `text` mode a malformed index or argument list ends
    /// the reference before it (the rest is text); in expressions it is an
    /// error.
    pub(super) fn parse_ref(&mut self, text: bool) -> Result<Option<Ref>, ParseError> {
        let start = self.pos;
        let mut p = start + 1;
        let quiet = self.src.as_bytes().get(p) == Some(&b'!');
        p += usize::from(quiet);
        let formal = self.src.as_bytes().get(p) == Some(&b'{');
        p += usize::from(formal);
        if !self.src.as_bytes().get(p).copied().is_some_and(is_ident_start) {
            if text {
                return Ok(None);
            }
            return Err(self.err(start, "expected a name after $"));
        }
        self.pos = p;
        let name = self.ident();
        let root = self.slot(name);
        let mut segs = Vec::new();
        loop {
            let seg_start = self.pos;
            match self.peek() {
                Some(b'.') if self.peek_at(1).is_some_and(is_ident_start) => {
                    self.pos += 1;
                    let name = self.ident();
                    if self.peek() == Some(b'(') {
                        let call_pos = self.pos_of(seg_start);
                        self.pos += 1;
                        match self.parse_args() {
                            Ok(args) => segs.push(Seg::Call { name: name.into(), args, pos: call_pos }),
                            Err(e) if !text => return Err(e),
                            Err(_) => {
                                self.pos = seg_start;
                                break;
                            }
                        }
                    } else {
                        segs.push(Seg::Prop(name.into()));
                    }
                }
                Some(b'[') => {
                    self.pos += 1;
                    let r = self.parse_expr().and_then(|e| {
                        self.skip_ws();
                        if self.peek() == Some(b']') {
                            self.pos += 1;
                            Ok(e)
                        } else {
                            Err(self.err(self.pos, "expected ] after an index"))
                        }
                    });
                    match r {
                        Ok(e) => segs.push(Seg::Index(e)),
                        Err(e) if !text => return Err(e),
                        Err(_) => {
                            self.pos = seg_start;
                            break;
                        }
                    }
                }
                _ => break,
            }
            if segs.len() > 4 * self.max_depth {
                return Err(self.err(seg_start, "reference too long"));
            }
        }
        if formal {
            if self.peek() != Some(b'}') {
                if text {
                    self.pos = start;
                    return Ok(None);
                }
                return Err(self.err(self.pos, "expected } to close ${"));
            }
            self.pos += 1;
        }
        let src = self.src[start..self.pos].into();
        Ok(Some(Ref { root, segs, quiet, src }))
    }
}

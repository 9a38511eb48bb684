//! The parsed form of a template: nodes (text, references, directives) and
//! the expressions inside them. Built once by `parse.rs`, read by `eval.rs`.

/// Where something starts in the template (1-based), for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Pos {
    pub line: u32,
    pub column: u32,
}

#[derive(Debug, Clone)]
pub(crate) enum Node {
    Text(Box<str>),
    /// A reference printed where it stands.
    Ref(Ref),
    /// A reference after this many backslashes: Velocity prints half of them,
    /// then (for an odd count) the reference as written, else its value; an
    /// undefined reference prints with all its backslashes.
    Escaped(u32, Ref),
    Set {
        target: Ref,
        value: Expr,
    },
    If {
        branches: Vec<(Expr, Vec<Node>)>,
        otherwise: Option<Vec<Node>>,
    },
    Foreach {
        var: u32,
        iter: Expr,
        body: Vec<Node>,
    },
    Break,
    Stop,
}

/// `$root.seg.seg(...)[...]`.
#[derive(Debug, Clone)]
pub(crate) struct Ref {
    /// Index into `Template::slots`.
    pub root: u32,
    pub segs: Vec<Seg>,
    /// `$!`: prints nothing when null.
    pub quiet: bool,
    /// The reference as written, printed when its value is null.
    pub src: Box<str>,
}

#[derive(Debug, Clone)]
pub(crate) enum Seg {
    Prop(Box<str>),
    Index(Expr),
    Call { name: Box<str>, args: Vec<Expr>, pos: Pos },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

#[derive(Debug, Clone)]
pub(crate) enum Expr {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// A single-quoted string, or a double-quoted one with nothing to
    /// interpolate.
    Str(Box<str>),
    /// A double-quoted string with references or directives in it.
    Interp(Vec<Node>),
    Ref(Ref),
    List(Vec<Expr>),
    Map(Vec<(Expr, Expr)>),
    Range(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Bin(BinOp, Box<Expr>, Box<Expr>),
}

//! Velocity Template Language (VTL) as API Gateway runs it for mapping
//! templates: parse a template once (when a stage is compiled), render it per
//! request against a [`Context`] holding the body, the request parameters,
//! `$context` and `$stageVariables`.
//!
//! The dialect is Velocity 1.7's, as API Gateway documents it:
//!
//! * directives `#set`, `#if`/`#elseif`/`#else`/`#end`, `#foreach` (with
//!   `$foreach.hasNext`, `.index`, `.count`, `.first`, `.last`, `.parent` and
//!   `$velocityCount`), `#break`, `#stop`, `##` and `#* *#` comments,
//!   `#[[ unparsed ]]#`, and the braced forms `#{else}`/`#{end}`;
//! * references `$a.b.c(args)[i]`, quiet `$!a`, formal `${a}`/`$!{a}`; a
//!   reference whose value is null prints as written (`$missing`), a quiet one
//!   prints nothing. Backslashes escape as in Velocity: `\$x` prints `$x`
//!   when `$x` is defined and `\$x` when not, `\\$x` a backslash and the
//!   value, `\#if` prints `#if`;
//! * expressions with Velocity's operators (`+ - * / %`, `== != < <= > >=`,
//!   `&& || !` and their word forms `eq ne lt le gt ge and or not`), literals,
//!   lists, maps and ranges `[1..n]`;
//! * Java's methods on strings, lists and maps (`methods.rs`, `collections.rs`),
//!   with Java's printing: a map prints `{a=1, b=2}`, a list `[1, 2]`, a
//!   double `1.0E20`; arrays from JSON (`$input.path`, `$util.parseJson`)
//!   print as JSON (`[1,"a"]`), as the json-smart arrays AWS uses do;
//! * API Gateway's `$input`, `$util`, `$context` (with writable
//!   `responseOverride` and `requestOverride`, returned in [`Rendered`]) and
//!   `$stageVariables`.
//!
//! Whitespace follows Velocity 1.7: a directive's trailing newline is eaten,
//! and so is the indentation before a `#set`. A null reference prints as
//! written unless [`Limits::quiet_nulls`].
//!
//! Layout: `parse.rs`/`refs.rs`/`expr.rs` turn text into the AST (`ast.rs`);
//! `eval.rs` (with `ops.rs`, `context.rs`) renders it over the values of
//! `value.rs`; `methods.rs`/`collections.rs` are Java's methods, `builtins.rs`
//! `$input` and `$util`, `jsonpath.rs` their JSONPath.
//!
//! Work is bounded ([`Limits`]): steps, iterations per `#foreach`, output
//! size, nesting depth and range size. Rendering never panics and always
//! ends; anything out of bounds is a [`RenderError`].
//!
//! Not supported: macros, `#include`/`#parse`/`#evaluate`/`#define` (a parse
//! error), JSONPath filters `[?(...)]`, and Java's regex features that the
//! `regex` crate lacks (backreferences, look-around): those are a render error.

mod access;
mod ast;
mod builtins;
mod collections;
mod context;
mod eval;
mod expr;
mod jsonpath;
mod methods;
mod ops;
mod parse;
mod refs;
mod value;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_aws;
#[cfg(test)]
mod tests_fuzz;

use std::fmt;

/// A parsed mapping template, ready to render any number of times (it holds
/// no per-request state, so one can be shared between threads).
#[derive(Debug, Clone)]
pub struct Template {
    nodes: Vec<ast::Node>,
    /// The names of the variables the template mentions; the AST refers to
    /// them by index so rendering looks variables up without hashing.
    slots: Vec<Box<str>>,
}

/// Why a template could not be parsed, and where (1-based line and column,
/// counted in characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for ParseError {}

/// Why rendering stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("the template took more than {0} steps")]
    Steps(u64),
    #[error("the output would be larger than {0} bytes")]
    Output(usize),
    #[error("values nested more than {0} levels deep")]
    Depth(usize),
    #[error("a range of more than {0} elements")]
    Range(usize),
    #[error("line {line}, column {column}: {message}")]
    At { line: u32, column: u32, message: String },
    #[error("$context.responseOverride.status is not an HTTP status code: {0}")]
    Status(String),
}

/// Bounds on the work one render may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Nodes and expressions evaluated, plus elements and (per 256 bytes)
    /// string bytes created, in all.
    pub max_steps: u64,
    /// Iterations of any one `#foreach`; further elements are skipped, as
    /// Velocity's `directive.foreach.maxloops` does.
    pub max_loop_iterations: usize,
    /// Bytes of output, and of any one string the template builds.
    pub max_output: usize,
    /// Nesting of directives and expressions (when parsing) and of values
    /// (when printing or serialising them).
    pub max_depth: usize,
    /// Elements of one `[a..b]` range.
    pub max_range: usize,
    /// Print a null reference as nothing, as if every reference were quiet
    /// (`$!x`). Velocity prints it as written (`$missing`), which is the
    /// default here; API Gateway itself is reported (by its users and by
    /// emulators checked against it) to print nothing.
    pub quiet_nulls: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_steps: 100_000, max_loop_iterations: 1_000, max_output: 1 << 20, max_depth: 64, max_range: 10_000, quiet_nulls: false }
    }
}

/// The request parameters `$input.params()` exposes, in request order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    pub path: Vec<(String, String)>,
    pub querystring: Vec<(String, String)>,
    pub header: Vec<(String, String)>,
}

/// What a template is rendered against: one request (or integration response).
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// `$input.body`; `$input.json`/`$input.path` parse it as JSON (an empty
    /// body is `{}`).
    pub body: String,
    pub params: Params,
    /// `$context`: normally a JSON object (`requestId`, `stage`,
    /// `identity.sourceIp`, ...). `responseOverride` and `requestOverride`
    /// are added when absent, so templates can `#set` into them.
    pub context: serde_json::Value,
    /// `$stageVariables`.
    pub stage_variables: Vec<(String, String)>,
}

/// The `$context.requestOverride.*` values a template set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestOverrides {
    pub header: Vec<(String, String)>,
    pub path: Vec<(String, String)>,
    pub querystring: Vec<(String, String)>,
}

/// A render's output.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rendered {
    pub body: String,
    /// `$context.responseOverride.status`, if the template set it.
    pub status_override: Option<u16>,
    /// `$context.responseOverride.header.NAME`, in the order first set.
    pub header_overrides: Vec<(String, String)>,
    pub request_overrides: RequestOverrides,
}

impl Template {
    /// Parses `src`. Nesting deeper than `Limits::default().max_depth` is an
    /// error, as is an unclosed block or an unsupported directive.
    pub fn parse(src: &str) -> Result<Template, ParseError> {
        Self::parse_with_depth(src, Limits::default().max_depth)
    }

    /// Parses `src` allowing `max_depth` levels of nesting.
    pub fn parse_with_depth(src: &str, max_depth: usize) -> Result<Template, ParseError> {
        // Deeper nesting would risk the stack of a small thread.
        let (nodes, slots) = parse::parse(src, max_depth.min(128))?;
        Ok(Template { nodes, slots })
    }

    /// Renders the template for one request.
    pub fn render(&self, ctx: &Context, limits: &Limits) -> Result<Rendered, RenderError> {
        eval::render(self, ctx, limits)
    }
}

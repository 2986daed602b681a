//! Ansible's undefined values: strict everywhere but in a chain of lookups.
//!
//! Ansible's `AnsibleUndefined` fails as soon as a template uses it — printed, concatenated
//! (`'a' ~ x`), compared, iterated, tested for truth, passed to a filter that wants text —
//! yet an attribute or item looked up on it is undefined again, so `x.y.z | default(..)` and
//! `x.y is defined` work when `x` does not exist. minijinja's `Strict` behaviour is the first
//! half, but it fails on the lookup itself. So the environment is `Strict`, and each lookup
//! (`a.b`, `a[k]`) in a source is rewritten, before it is compiled, into a call of
//! `__ferry_attr(a, 'b')` / `__ferry_item(a, k)`, which pass an undefined value along instead
//! of failing; and a filter's input is checked (`__ferry_defined(a) | f`), since minijinja
//! passes an undefined value to a filter that takes any value, where Ansible's filters fail
//! on it (but `default`, `mandatory`, `type_debug` and `pprint`). The rewrite works on minijinja's own syntax tree, so it sees exactly the
//! lookups the compiler sees; a method call (`d.items()`), an assignment target
//! (`{% set ns.x = .. %}`) and a slice keep their form.

use std::borrow::Cow;

use minijinja::machinery::ast::{BinOpKind, CallArg, Expr, Stmt};
use minijinja::machinery::Span;
use minijinja::syntax::SyntaxConfig;
use minijinja::value::Value;
use minijinja::{Environment, Error, ErrorKind};

/// Registers the lookup functions the rewrite calls.
pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_function("__ferry_attr", |parent: &Value, name: &str| {
        Ok::<_, Error>(match parent.is_undefined() {
            true => parent.clone(),
            false => parent.get_attr(name)?,
        })
    });
    env.add_function("__ferry_item", item);
    env.add_function("__ferry_defined", |value: &Value| {
        match value.is_undefined() {
            true => Err(Error::new(ErrorKind::UndefinedError, "filter input")),
            false => Ok(value.clone()),
        }
    });
}

/// The filters Ansible hands an undefined input to; every other filter fails on one.
fn takes_undefined(filter: &str) -> bool {
    matches!(
        filter,
        "default" | "d" | "mandatory" | "type_debug" | "pprint"
    ) || filter.starts_with("__")
}

/// `parent[key]`: undefined when `parent` is, or has no such key; an undefined key fails, as
/// Python cannot hash Ansible's undefined.
fn item(parent: &Value, key: &Value) -> Result<Value, Error> {
    if key.is_undefined() {
        return Err(Error::new(ErrorKind::UndefinedError, "undefined key"));
    }
    Ok(match parent.is_undefined() {
        true => parent.clone(),
        false => parent.get_item(key)?,
    })
}

/// `source` (a template when `text`, else an expression) with its lookups made chainable;
/// a source without lookups, or one that does not parse (the compiler reports it), comes
/// back as it is.
pub(crate) fn chainable(source: &str, text: bool, syntax: SyntaxConfig) -> Cow<'_, str> {
    if !source.contains(['.', '[', '|']) {
        return Cow::Borrowed(source);
    }
    let mut edits = Edits {
        src: source,
        out: Vec::new(),
    };
    if text {
        match minijinja::machinery::parse(source, "<template>", syntax) {
            Ok(tree) => edits.stmt(&tree),
            Err(_) => return Cow::Borrowed(source),
        }
    } else {
        match minijinja::machinery::parse_expr(source) {
            Ok(tree) => edits.top(&tree),
            Err(_) => return Cow::Borrowed(source),
        }
    }
    edits.apply()
}

/// The rewritten expressions of a source: (start, end, new text), in source order.
struct Edits<'s> {
    src: &'s str,
    out: Vec<(usize, usize, String)>,
}

fn range(span: Span) -> (usize, usize) {
    (span.start_offset as usize, span.end_offset as usize)
}

/// Where an expression's text is. minijinja's spans end where the expression ends, but not
/// all start where it does: a filter's or a test's span starts at its name, after its input;
/// a comparison's and a conditional expression's at the token before them (`[` in
/// `x[a if b else c]`). So an expression that starts with a sub-expression starts where that
/// one does, or at its own span when that is earlier (a `(` before it) and can be trusted.
fn extent(src: &str, e: &Expr<'_>) -> (usize, usize) {
    let (start, end) = range(e.span());
    let (first, trusted) = match e {
        Expr::Var(_) | Expr::Const(_) | Expr::List(_) | Expr::Tuple(_) | Expr::Map(_) => {
            (None, true)
        }
        // `not x` and `-x` start with their operator; `a not in b` is `not (a in b)`, a
        // comparison, which starts with `a`.
        Expr::UnaryOp(u) => {
            let t = src.get(start..).unwrap_or("");
            match t.starts_with("not") || t.starts_with('-') {
                true => (None, true),
                false => (Some(&u.expr), false),
            }
        }
        Expr::BinOp(b) => (Some(&b.left), !comparison(b.op)),
        Expr::Compare(c) => (Some(&c.expr), false),
        Expr::IfExpr(i) => (Some(&i.true_expr), false),
        Expr::Filter(f) => (f.expr.as_ref(), true),
        Expr::GetAttr(g) => (Some(&g.expr), true),
        Expr::GetItem(g) => (Some(&g.expr), true),
        Expr::Call(c) => (Some(&c.expr), true),
        Expr::Slice(s) => (Some(&s.expr), true),
        Expr::Test(t) => (Some(&t.expr), true),
    };
    match first.map(|child| extent(src, child).0) {
        Some(child) if trusted => (start.min(child), end),
        Some(child) => (child, end),
        None => (start, end),
    }
}

/// A comparison, which minijinja parses with a span from the token before it.
fn comparison(op: BinOpKind) -> bool {
    matches!(
        op,
        BinOpKind::Eq
            | BinOpKind::Ne
            | BinOpKind::Lt
            | BinOpKind::Lte
            | BinOpKind::Gt
            | BinOpKind::Gte
            | BinOpKind::In
    )
}

impl<'s> Edits<'s> {
    fn apply(mut self) -> Cow<'s, str> {
        if self.out.is_empty() {
            return Cow::Borrowed(self.src);
        }
        self.out.sort_by_key(|(start, _, _)| *start);
        let mut text = String::with_capacity(self.src.len() + 32 * self.out.len());
        let mut done = 0;
        for (start, end, new) in &self.out {
            text.push_str(&self.src[done..*start]);
            text.push_str(new);
            done = *end;
        }
        text.push_str(&self.src[done..]);
        Cow::Owned(text)
    }

    /// An expression in a statement: recorded when something in it changes.
    fn top(&mut self, e: &Expr<'_>) {
        if let Some(new) = self.expr(e) {
            let (start, end) = extent(self.src, e);
            self.out.push((start, end, new));
        }
    }

    fn stmts(&mut self, body: &[Stmt<'_>]) {
        body.iter().for_each(|s| self.stmt(s));
    }

    fn stmt(&mut self, s: &Stmt<'_>) {
        match s {
            Stmt::Template(t) => self.stmts(&t.children),
            Stmt::EmitExpr(e) => self.top(&e.expr),
            Stmt::EmitRaw(_) | Stmt::Continue(_) | Stmt::Break(_) => {}
            Stmt::ForLoop(f) => {
                self.top(&f.iter);
                f.filter_expr.iter().for_each(|e| self.top(e));
                self.stmts(&f.body);
                self.stmts(&f.else_body);
            }
            Stmt::IfCond(i) => {
                self.top(&i.expr);
                self.stmts(&i.true_body);
                self.stmts(&i.false_body);
            }
            Stmt::WithBlock(w) => {
                w.assignments.iter().for_each(|(_, value)| self.top(value));
                self.stmts(&w.body);
            }
            Stmt::Set(set) => self.top(&set.expr),
            Stmt::SetBlock(set) => {
                set.filter.iter().for_each(|e| self.top(e));
                self.stmts(&set.body);
            }
            Stmt::AutoEscape(a) => {
                self.top(&a.enabled);
                self.stmts(&a.body);
            }
            Stmt::FilterBlock(f) => {
                self.top(&f.filter);
                self.stmts(&f.body);
            }
            Stmt::Block(b) => self.stmts(&b.body),
            Stmt::Import(i) => self.top(&i.expr),
            Stmt::FromImport(i) => self.top(&i.expr),
            Stmt::Extends(e) => self.top(&e.name),
            Stmt::Include(i) => self.top(&i.name),
            Stmt::Macro(m) => {
                m.defaults.iter().for_each(|d| self.top(d));
                self.stmts(&m.body);
            }
            Stmt::CallBlock(c) => {
                self.call(c.call.span(), &c.call.expr, &c.call.args);
                c.macro_decl.defaults.iter().for_each(|d| self.top(d));
                self.stmts(&c.macro_decl.body);
            }
            Stmt::Do(d) => self.call(d.call.span(), &d.call.expr, &d.call.args),
        }
    }

    /// A call in a statement (`{% do .. %}`, `{% call .. %}`).
    fn call(&mut self, span: Span, callee: &Expr<'_>, args: &[CallArg<'_>]) {
        let children = call_children(callee, args);
        let (start, end) = children
            .iter()
            .map(|c| extent(self.src, c))
            .fold(range(span), |(s, t), (a, b)| (s.min(a), t.max(b)));
        if let Some(new) = self.splice((start, end), &children) {
            self.out.push((start, end, new));
        }
    }

    /// The text of `e` with its lookups rewritten; `None` when nothing in it changes.
    fn expr(&self, e: &Expr<'_>) -> Option<String> {
        match e {
            Expr::GetAttr(g) => Some(format!(
                "__ferry_attr({}, '{}')",
                self.text(&g.expr),
                g.name
            )),
            Expr::GetItem(g) => Some(format!(
                "__ferry_item({}, {})",
                self.text(&g.expr),
                self.text(&g.subscript_expr)
            )),
            Expr::Call(c) => self.splice(extent(self.src, e), &call_children(&c.expr, &c.args)),
            Expr::Filter(f) => match &f.expr {
                Some(input) if !takes_undefined(f.name) => {
                    let args: Vec<&Expr<'_>> = f.args.iter().map(arg).collect();
                    let mut changes = self.changes(&args);
                    let checked = format!("__ferry_defined({})", self.text(input));
                    changes.push((extent(self.src, input), checked));
                    Some(self.splice_with(extent(self.src, e), changes))
                }
                _ => self.splice(extent(self.src, e), &children(e)),
            },
            other => self.splice(extent(self.src, other), &children(other)),
        }
    }

    fn text(&self, e: &Expr<'_>) -> Cow<'s, str> {
        match self.expr(e) {
            Some(new) => Cow::Owned(new),
            None => {
                let (start, end) = extent(self.src, e);
                Cow::Borrowed(&self.src[start..end])
            }
        }
    }

    /// The source of `(start, end)` with the children that change replaced; `None` if none
    /// does.
    fn splice(&self, range: (usize, usize), children: &[&Expr<'_>]) -> Option<String> {
        let changed = self.changes(children);
        match changed.is_empty() {
            true => None,
            false => Some(self.splice_with(range, changed)),
        }
    }

    /// The children that change, with their new text.
    fn changes(&self, children: &[&Expr<'_>]) -> Vec<((usize, usize), String)> {
        children
            .iter()
            .filter_map(|c| self.expr(c).map(|new| (extent(self.src, c), new)))
            .collect()
    }

    /// The source of `(start, end)` with `changed` applied.
    fn splice_with(
        &self,
        (start, end): (usize, usize),
        mut changed: Vec<((usize, usize), String)>,
    ) -> String {
        changed.sort_by_key(|((start, _), _)| *start);
        let mut text = String::new();
        let mut done = start;
        for ((from, to), new) in changed {
            text.push_str(&self.src[done..from]);
            text.push_str(&new);
            done = to;
        }
        text.push_str(&self.src[done..end]);
        text
    }
}

/// A call's sub-expressions: a method call's receiver (its `.name(` stays), or the callee,
/// then the arguments.
fn call_children<'a, 'e>(callee: &'a Expr<'e>, args: &'a [CallArg<'e>]) -> Vec<&'a Expr<'e>> {
    let head = match callee {
        Expr::GetAttr(method) => &method.expr,
        other => other,
    };
    std::iter::once(head).chain(args.iter().map(arg)).collect()
}

fn arg<'a, 'e>(a: &'a CallArg<'e>) -> &'a Expr<'e> {
    match a {
        CallArg::Pos(e) | CallArg::Kwarg(_, e) | CallArg::PosSplat(e) | CallArg::KwargSplat(e) => e,
    }
}

/// The direct sub-expressions of an expression that is not a lookup or a call.
fn children<'a, 'e>(e: &'a Expr<'e>) -> Vec<&'a Expr<'e>> {
    match e {
        Expr::Var(_) | Expr::Const(_) | Expr::GetAttr(_) | Expr::GetItem(_) | Expr::Call(_) => {
            Vec::new()
        }
        Expr::Slice(s) => std::iter::once(&s.expr)
            .chain(s.start.iter())
            .chain(s.stop.iter())
            .chain(s.step.iter())
            .collect(),
        Expr::UnaryOp(u) => vec![&u.expr],
        Expr::BinOp(b) => vec![&b.left, &b.right],
        Expr::Compare(c) => std::iter::once(&c.expr)
            .chain(c.ops.iter().map(|op| &op.expr))
            .collect(),
        Expr::IfExpr(i) => std::iter::once(&i.test_expr)
            .chain(std::iter::once(&i.true_expr))
            .chain(i.false_expr.iter())
            .collect(),
        Expr::Filter(f) => f.expr.iter().chain(f.args.iter().map(arg)).collect(),
        Expr::Test(t) => std::iter::once(&t.expr)
            .chain(t.args.iter().map(arg))
            .collect(),
        Expr::List(l) => l.items.iter().collect(),
        Expr::Tuple(t) => t.items.iter().collect(),
        Expr::Map(m) => m.keys.iter().chain(m.values.iter()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expr(source: &str) -> String {
        chainable(source, false, SyntaxConfig::default()).into_owned()
    }

    fn text(source: &str) -> String {
        chainable(source, true, SyntaxConfig::default()).into_owned()
    }

    #[test]
    fn lookups_become_chainable_calls() {
        let cases = [
            ("a", "a"),
            ("a.b", "__ferry_attr(a, 'b')"),
            (
                "a.b.c | default('x')",
                "__ferry_attr(__ferry_attr(a, 'b'), 'c') | default('x')",
            ),
            (
                "a | upper | d('x') | lower",
                "__ferry_defined(__ferry_defined(a) | upper | d('x')) | lower",
            ),
            (
                "x.y | to_json(indent=i.j)",
                "__ferry_defined(__ferry_attr(x, 'y')) | to_json(indent=__ferry_attr(i, 'j'))",
            ),
            (
                "a['k'][i.j]",
                "__ferry_item(__ferry_item(a, 'k'), __ferry_attr(i, 'j'))",
            ),
            ("d.items()", "d.items()"),
            ("x.y.split(',')", "__ferry_attr(x, 'y').split(',')"),
            ("'a' ~ (b.c)", "'a' ~ (__ferry_attr(b, 'c'))"),
            (
                "f(a.b, k=c[0])",
                "f(__ferry_attr(a, 'b'), k=__ferry_item(c, 0))",
            ),
            ("x[1:] ~ y.z", "x[1:] ~ __ferry_attr(y, 'z')"),
            (
                "{'k': v.w, 'l': [m.n]}",
                "{'k': __ferry_attr(v, 'w'), 'l': [__ferry_attr(m, 'n')]}",
            ),
            (
                "'a' if p.q else r.s",
                "'a' if __ferry_attr(p, 'q') else __ferry_attr(r, 's')",
            ),
            ("1.5 + 2", "1.5 + 2"),
            // Spans that minijinja starts at the token before (comparisons, conditionals).
            (
                "hostvars['localhost' if c else ih].ansible_facts",
                "__ferry_attr(__ferry_item(hostvars, 'localhost' if c else ih), 'ansible_facts')",
            ),
            ("(a if b else c).d", "__ferry_attr(a if b else c, 'd')"),
            ("(a == b).x", "__ferry_attr(a == b, 'x')"),
            (
                "x[a not in b].y",
                "__ferry_attr(__ferry_item(x, a not in b), 'y')",
            ),
            (
                "(a if b else c) | f",
                "(__ferry_defined(a if b else c)) | f",
            ),
            ("not a.b", "not __ferry_attr(a, 'b')"),
            ("x[-1].y", "__ferry_attr(__ferry_item(x, -1), 'y')"),
        ];
        for (source, want) in cases {
            assert_eq!(expr(source), want, "{source}");
        }
    }

    #[test]
    fn templates_keep_targets_and_raw_text() {
        let cases = [
            ("{{ a.b }}.{{ c }}", "{{ __ferry_attr(a, 'b') }}.{{ c }}"),
            ("{% filter upper %}x{% endfilter %}", "{% filter upper %}x{% endfilter %}"),
            (
                "{% set ns.x = v.w %}{% for k in d.keys() if k.n %}{{ loop.index }}{% endfor %}",
                "{% set ns.x = __ferry_attr(v, 'w') %}{% for k in d.keys() if __ferry_attr(k, 'n') %}{{ __ferry_attr(loop, 'index') }}{% endfor %}",
            ),
            ("{% raw %}{{ a.b }}{% endraw %}", "{% raw %}{{ a.b }}{% endraw %}"),
            ("a.b plain text", "a.b plain text"),
            ("{{ é.x }}", "{{ é.x }}"),
        ];
        for (source, want) in cases {
            assert_eq!(text(source), want, "{source}");
        }
    }
}

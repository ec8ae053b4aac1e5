//! The canonical text of a `jsonpath`, as PostgreSQL's `jsonpath_out` prints it.
//!
//! Keys and strings are quoted and escaped (`$."a"`), numbers print in `numeric`'s
//! plain form and in parentheses when an accessor follows (`(1.2)."e"`), filters
//! print as `?(...)`, and operators are parenthesised by priority: a child is
//! bracketed when its priority is not above its parent's, and the whole expression
//! always is (`($ + 1)`). One deliberate difference: an operator followed by
//! accessors is always bracketed (`(($."a" * 2)."c" + 1)`), where PostgreSQL 15 prints
//! `($."a" * 2."c" + 1)`, which does not parse again.

use std::fmt;

use super::ast::{Accessor, BinaryOp, JsonPath, Node, ANY_LAST};
use crate::text::json::write_string;
use crate::text::numeric::format_decimal;

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        if self.strict {
            out.push_str("strict ");
        }
        print(&mut out, &self.expr, true, false);
        f.write_str(&out)
    }
}

/// PostgreSQL's operation priority: lower binds looser.
fn priority(n: &Node) -> u8 {
    match n {
        Node::Binary(op, ..) => match op {
            BinaryOp::Or => 0,
            BinaryOp::And => 1,
            BinaryOp::Add | BinaryOp::Sub => 3,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => 4,
            _ => 2,
        },
        Node::Sign(..) => 5,
        Node::Chain(base, _) => priority(base),
        _ => 6,
    }
}

fn print_child(out: &mut String, child: &Node, parent: &Node) {
    print(out, child, priority(child) <= priority(parent), false);
}

fn print(out: &mut String, n: &Node, brackets: bool, has_next: bool) {
    match n {
        Node::Null => out.push_str("null"),
        Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Node::Number(d) => {
            if has_next {
                out.push('(');
            }
            out.push_str(&format_decimal(d));
            if has_next {
                out.push(')');
            }
        }
        Node::String(s) => write_string(out, s),
        Node::Variable(v) => {
            out.push('$');
            write_string(out, v);
        }
        Node::Root => out.push('$'),
        Node::Current => out.push('@'),
        Node::Last => out.push_str("last"),
        Node::Binary(op, a, b) => {
            if brackets {
                out.push('(');
            }
            print_child(out, a, n);
            out.push(' ');
            out.push_str(op.symbol());
            out.push(' ');
            print_child(out, b, n);
            if brackets {
                out.push(')');
            }
        }
        Node::LikeRegex { expr, pattern, flags } => {
            if brackets {
                out.push('(');
            }
            print_child(out, expr, n);
            out.push_str(" like_regex ");
            write_string(out, pattern);
            let mut letters = String::new();
            for (on, c) in [
                (flags.icase, 'i'),
                (flags.dotall, 's'),
                (flags.multiline, 'm'),
                (flags.expanded, 'x'),
                (flags.quote, 'q'),
            ] {
                if on {
                    letters.push(c);
                }
            }
            if !letters.is_empty() {
                out.push_str(" flag \"");
                out.push_str(&letters);
                out.push('"');
            }
            if brackets {
                out.push(')');
            }
        }
        Node::Sign(plus, a) => {
            if brackets {
                out.push('(');
            }
            out.push(if *plus { '+' } else { '-' });
            print_child(out, a, n);
            if brackets {
                out.push(')');
            }
        }
        Node::Not(a) => {
            out.push_str("!(");
            print(out, a, false, false);
            out.push(')');
        }
        Node::IsUnknown(a) => {
            out.push('(');
            print(out, a, false, false);
            out.push_str(") is unknown");
        }
        Node::Exists(a) => {
            out.push_str("exists (");
            print(out, a, false, false);
            out.push(')');
        }
        Node::Chain(base, accessors) => {
            // An operator followed by accessors is always bracketed: PostgreSQL 15
            // drops the brackets when the priority rule says so (`2."c"`), printing
            // text that does not parse again, and ours must, as it is what we store.
            let operator =
                matches!(**base, Node::Binary(..) | Node::Sign(..) | Node::LikeRegex { .. });
            print(out, base, brackets || operator, true);
            for a in accessors {
                print_accessor(out, a);
            }
        }
    }
}

fn print_accessor(out: &mut String, a: &Accessor) {
    match a {
        Accessor::Key(k) => {
            out.push('.');
            write_string(out, k);
        }
        Accessor::AnyKey => out.push_str(".*"),
        Accessor::AnyArray => out.push_str("[*]"),
        Accessor::Index(subs) => {
            out.push('[');
            for (i, (from, to)) in subs.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                print(out, from, false, false);
                if let Some(to) = to {
                    out.push_str(" to ");
                    print(out, to, false, false);
                }
            }
            out.push(']');
        }
        Accessor::Any { first, last } => {
            out.push_str(".**");
            let level = |l: u32| if l == ANY_LAST { "last".to_string() } else { l.to_string() };
            if first == last {
                out.push_str(&format!("{{{}}}", level(*first)));
            } else if !(*first == 0 && *last == ANY_LAST) {
                out.push_str(&format!("{{{} to {}}}", level(*first), level(*last)));
            }
        }
        Accessor::Method(m) => {
            out.push('.');
            out.push_str(m.name());
            out.push_str("()");
        }
        Accessor::Datetime(template) => {
            out.push_str(".datetime(");
            if let Some(t) = template {
                write_string(out, t);
            }
            out.push(')');
        }
        Accessor::Filter(p) => {
            out.push_str("?(");
            print(out, p, false, false);
            out.push(')');
        }
    }
}

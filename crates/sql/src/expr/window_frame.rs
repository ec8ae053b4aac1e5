//! The frame of a bound window call: units, bounds and the frame exclusion.
//!
//! sqlparser's `WindowFrame` has no exclusion; the parser carries `EXCLUDE ...` as a
//! marker sort key (`crate::parser::FRAME_EXCLUDE_MARKER`) at the end of the window's
//! ORDER BY, which [`split_window_spec`] takes out again. The offsets stay as written
//! (constant expressions); the executor evaluates and checks them against the ORDER BY
//! key type (`crate::exec::window_frame`).

use helios_common::{Error, Result, SqlState};
use sqlparser::ast;

use crate::expr::Expr;
use crate::parser::FRAME_EXCLUDE_MARKER;

/// One end of a frame.
#[derive(Clone, Debug, PartialEq)]
pub enum FrameBound {
    /// `UNBOUNDED PRECEDING`
    UnboundedPreceding,
    /// `offset PRECEDING`
    Preceding(Box<Expr>),
    /// `CURRENT ROW`
    CurrentRow,
    /// `offset FOLLOWING`
    Following(Box<Expr>),
    /// `UNBOUNDED FOLLOWING`
    UnboundedFollowing,
}

impl FrameBound {
    /// The offset expression, if the bound has one.
    pub fn offset(&self) -> Option<&Expr> {
        match self {
            FrameBound::Preceding(e) | FrameBound::Following(e) => Some(e),
            _ => None,
        }
    }

    /// The offset expression, if the bound has one, for rewriting.
    pub fn offset_mut(&mut self) -> Option<&mut Expr> {
        match self {
            FrameBound::Preceding(e) | FrameBound::Following(e) => Some(e),
            _ => None,
        }
    }
}

/// Which rows of the frame `EXCLUDE` leaves out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum FrameExclusion {
    /// `EXCLUDE NO OTHERS` (the default): none.
    #[default]
    NoOthers,
    /// `EXCLUDE CURRENT ROW`: the current row.
    CurrentRow,
    /// `EXCLUDE GROUP`: the current row and its peers.
    Group,
    /// `EXCLUDE TIES`: the current row's peers, but not the row itself.
    Ties,
}

/// A window frame clause: `ROWS | RANGE | GROUPS BETWEEN start AND end [EXCLUDE ...]`.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowFrame {
    /// ROWS, RANGE or GROUPS.
    pub units: ast::WindowFrameUnits,
    /// The frame start.
    pub start: FrameBound,
    /// The frame end (`CURRENT ROW` when only a start is written).
    pub end: FrameBound,
    /// The frame exclusion.
    pub exclude: FrameExclusion,
}

/// A window specification's ORDER BY without the exclusion marker, and its frame with
/// the offsets bound by `bind`; the frame's bounds are checked as PostgreSQL's grammar
/// does (42P20), offsets must not read columns (42P10).
pub fn split_window_spec(
    order_by: &[ast::OrderByExpr],
    frame: Option<&ast::WindowFrame>,
    bind: &mut dyn FnMut(&ast::Expr) -> Result<Expr>,
) -> Result<(Vec<ast::OrderByExpr>, Option<WindowFrame>)> {
    let mut exclude = FrameExclusion::NoOthers;
    let mut order = Vec::with_capacity(order_by.len());
    for o in order_by {
        match exclusion_marker(&o.expr) {
            Some(kind) => exclude = kind,
            None => order.push(o.clone()),
        }
    }
    let Some(f) = frame else { return Ok((order, None)) };
    let end = f.end_bound.clone().unwrap_or(ast::WindowFrameBound::CurrentRow);
    let error = |msg: &str| Err(Error::new(SqlState::from_code("42P20"), msg.to_string()));
    use ast::WindowFrameBound as B;
    match (&f.start_bound, &end) {
        (B::Following(None), _) => return error("frame start cannot be UNBOUNDED FOLLOWING"),
        (_, B::Preceding(None)) => return error("frame end cannot be UNBOUNDED PRECEDING"),
        (B::CurrentRow, B::Preceding(Some(_))) => {
            return error("frame starting from current row cannot have preceding rows")
        }
        (B::Following(Some(_)), B::Preceding(Some(_)) | B::CurrentRow) => {
            return error("frame starting from following row cannot have preceding rows")
        }
        _ => {}
    }
    let units = match f.units {
        ast::WindowFrameUnits::Rows => "ROWS",
        ast::WindowFrameUnits::Range => "RANGE",
        ast::WindowFrameUnits::Groups => "GROUPS",
    };
    let mut bind_bound = |b: &ast::WindowFrameBound| -> Result<FrameBound> {
        let offset = |e: &ast::Expr, bind: &mut dyn FnMut(&ast::Expr) -> Result<Expr>| {
            let e = bind(&untyped_string(e))?;
            let mut columns = false;
            e.walk(&mut |n| columns |= matches!(n, Expr::Column(..)));
            if columns {
                return Err(Error::new(
                    SqlState::from_code("42P10"),
                    format!("argument of {units} must not contain variables"),
                ));
            }
            Ok(Box::new(e))
        };
        Ok(match b {
            B::CurrentRow => FrameBound::CurrentRow,
            B::Preceding(None) => FrameBound::UnboundedPreceding,
            B::Following(None) => FrameBound::UnboundedFollowing,
            B::Preceding(Some(e)) => FrameBound::Preceding(offset(e, bind)?),
            B::Following(Some(e)) => FrameBound::Following(offset(e, bind)?),
        })
    };
    let start = bind_bound(&f.start_bound)?;
    let end = bind_bound(&end)?;
    Ok((order, Some(WindowFrame { units: f.units, start, end, exclude })))
}

/// sqlparser reads a bare string offset (`'1 day' PRECEDING`) as an interval literal;
/// it is an untyped constant, taken as the offset type the ORDER BY key asks for.
fn untyped_string(e: &ast::Expr) -> ast::Expr {
    if let ast::Expr::Interval(iv) = e {
        if iv.leading_field.is_none() && iv.last_field.is_none() {
            if let ast::Expr::Value(v) = iv.value.as_ref() {
                if matches!(v.value, ast::Value::SingleQuotedString(_)) {
                    return ast::Expr::Value(v.clone());
                }
            }
        }
    }
    e.clone()
}

/// The exclusion a marker sort key stands for; `None` for any other expression.
fn exclusion_marker(e: &ast::Expr) -> Option<FrameExclusion> {
    match crate::parser::marker_string(e, FRAME_EXCLUDE_MARKER)? {
        "current row" => Some(FrameExclusion::CurrentRow),
        "group" => Some(FrameExclusion::Group),
        "ties" => Some(FrameExclusion::Ties),
        _ => None,
    }
}

//! pgvector's operators and functions on `vector` values: the distance operators
//! `<->` (L2), `<=>` (cosine distance), `<#>` (negative inner product) and the functions
//! `l2_distance`, `cosine_distance`, `inner_product`, `vector_dims`, `vector_norm`,
//! `l2_normalize`. Errors use pgvector's wording and SQLSTATEs
//! (`different vector dimensions 3 and 2`, 22000).
//!
//! Distances accumulate in `f32` and finish in `f64`, norms and averages accumulate in
//! `f64`, as pgvector does, so results match pgvector's printed digits.

use std::sync::Arc;

use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Value};

use crate::expr::BinaryOp;
use crate::functions::registry::{p, Registry, ReturnType};

/// `<->` (L2), `<=>` (cosine distance), `<#>` (negative inner product).
pub fn distance(op: BinaryOp, l: &Value, r: &Value) -> Result<Value> {
    let (a, b) = pair(l, r)?;
    Ok(Value::Float8(match op {
        BinaryOp::L2Distance => l2(a, b),
        BinaryOp::NegInnerProduct => -dot(a, b),
        _ => cosine(a, b),
    }))
}

/// Both operands as slices of equal length, or pgvector's dimension error.
fn pair<'a>(l: &'a Value, r: &'a Value) -> Result<(&'a [f32], &'a [f32])> {
    let (Value::Vector(a), Value::Vector(b)) = (l, r) else {
        return Err(Error::internal("vector function on non-vector values"));
    };
    if a.len() != b.len() {
        return Err(dimension_mismatch(a.len(), b.len()));
    }
    Ok((a, b))
}

/// pgvector's error for operands of different dimensions.
pub fn dimension_mismatch(a: usize, b: usize) -> Error {
    Error::new(SqlState::DATA_EXCEPTION, format!("different vector dimensions {a} and {b}"))
}

/// Euclidean distance: squares summed in `f32` like pgvector, root in `f64`.
pub fn l2(a: &[f32], b: &[f32]) -> f64 {
    let mut sum = 0f32;
    for (x, y) in a.iter().zip(b) {
        let d = x - y;
        sum += d * d;
    }
    f64::from(sum).sqrt()
}

/// Inner product, summed in `f32` like pgvector.
pub fn dot(a: &[f32], b: &[f32]) -> f64 {
    let mut sum = 0f32;
    for (x, y) in a.iter().zip(b) {
        sum += x * y;
    }
    f64::from(sum)
}

/// Cosine distance as pgvector computes it (`f32` sums, `f64` quotient); NaN when
/// either vector is zero.
pub fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let (mut d, mut na, mut nb) = (0f32, 0f32, 0f32);
    for (x, y) in a.iter().zip(b) {
        d += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0.0 || nb == 0.0 {
        return f64::NAN;
    }
    // Rounding can push the cosine just outside [-1, 1].
    1.0 - (f64::from(d) / (f64::from(na) * f64::from(nb)).sqrt()).clamp(-1.0, 1.0)
}

fn vec_arg(v: &Value) -> Result<&[f32]> {
    match v {
        Value::Vector(x) => Ok(x),
        _ => Err(Error::internal("vector function on a non-vector value")),
    }
}

fn norm(a: &[f32]) -> f64 {
    a.iter().map(|x| f64::from(*x) * f64::from(*x)).sum::<f64>().sqrt()
}

/// Registers the vector functions.
pub(crate) fn register(r: &mut Registry) {
    let v = || p(DataType::Vector(None));
    let f8 = || ReturnType::Exact(DataType::Float8);
    r.add("l2_distance", vec![v(), v()], f8(), |a, _| distance(BinaryOp::L2Distance, &a[0], &a[1]));
    r.add("cosine_distance", vec![v(), v()], f8(), |a, _| {
        distance(BinaryOp::CosineDistance, &a[0], &a[1])
    });
    r.add("inner_product", vec![v(), v()], f8(), |a, _| {
        let (x, y) = pair(&a[0], &a[1])?;
        Ok(Value::Float8(dot(x, y)))
    });
    r.add("vector_dims", vec![v()], ReturnType::Exact(DataType::Int4), |a, _| {
        Ok(Value::Int4(i32::try_from(vec_arg(&a[0])?.len()).unwrap_or(i32::MAX)))
    });
    r.add("vector_norm", vec![v()], f8(), |a, _| Ok(Value::Float8(norm(vec_arg(&a[0])?))));
    r.add("l2_normalize", vec![v()], ReturnType::Exact(DataType::Vector(None)), |a, _| {
        let x = vec_arg(&a[0])?;
        let n = norm(x);
        if n == 0.0 {
            return Ok(Value::Vector(Arc::from(x)));
        }
        Ok(Value::Vector(x.iter().map(|c| (f64::from(*c) / n) as f32).collect()))
    });
}

/// The running state of `avg(vector)` / `sum(vector)`: per-dimension sums in `f64`.
#[derive(Debug, Clone, Default)]
pub struct VectorSum {
    sums: Vec<f64>,
    count: u64,
}

impl VectorSum {
    /// Adds one vector; NULLs are skipped by the caller.
    pub fn add(&mut self, v: &Value) -> Result<()> {
        let x = vec_arg(v)?;
        if self.count == 0 {
            self.sums = vec![0.0; x.len()];
        } else if self.sums.len() != x.len() {
            return Err(dimension_mismatch(self.sums.len(), x.len()));
        }
        for (s, c) in self.sums.iter_mut().zip(x) {
            *s += f64::from(*c);
        }
        self.count += 1;
        Ok(())
    }

    /// The sum, or NULL when no vector was added.
    pub fn sum(&self) -> Result<Value> {
        self.finish(1.0)
    }

    /// The average, or NULL when no vector was added.
    pub fn avg(&self) -> Result<Value> {
        self.finish(self.count as f64)
    }

    fn finish(&self, divisor: f64) -> Result<Value> {
        if self.count == 0 {
            return Ok(Value::Null);
        }
        let mut out = Vec::with_capacity(self.sums.len());
        for s in &self.sums {
            let v = (s / divisor) as f32;
            if v.is_infinite() {
                return Err(Error::new(SqlState::DATA_EXCEPTION, "value out of range: overflow"));
            }
            out.push(v);
        }
        Ok(Value::Vector(out.into()))
    }
}

/// `sum(vector)` and `avg(vector)` as an aggregate state.
#[derive(Debug, Clone)]
pub struct VectorAgg {
    state: VectorSum,
    avg: bool,
}

impl VectorAgg {
    /// A fresh state; `avg` selects the average, otherwise the sum.
    pub fn new(avg: bool) -> VectorAgg {
        VectorAgg { state: VectorSum::default(), avg }
    }
}

impl crate::functions::accumulator::Aggregate for VectorAgg {
    fn accumulate(&mut self, args: &[Value]) -> Result<()> {
        match args.first() {
            Some(v) if !v.is_null() => self.state.add(v),
            _ => Ok(()),
        }
    }
    fn merge(&mut self, o: &dyn crate::functions::accumulator::Aggregate) -> Result<()> {
        let theirs = o
            .as_any()
            .downcast_ref::<VectorAgg>()
            .ok_or_else(|| Error::internal("merging a vector aggregate with another aggregate"))?;
        if theirs.state.count == 0 {
            return Ok(());
        }
        if self.state.count == 0 {
            self.state = theirs.state.clone();
            return Ok(());
        }
        if self.state.sums.len() != theirs.state.sums.len() {
            return Err(dimension_mismatch(self.state.sums.len(), theirs.state.sums.len()));
        }
        for (a, b) in self.state.sums.iter_mut().zip(&theirs.state.sums) {
            *a += b;
        }
        self.state.count += theirs.state.count;
        Ok(())
    }
    fn finalize(&self) -> Result<Value> {
        if self.avg {
            self.state.avg()
        } else {
            self.state.sum()
        }
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// `helios_vector_index_stats(index_name text)`: one row describing an HNSW index on
/// the statement's branch: `index_name`, `table_name`, `opclass`, `dimensions`, `m`,
/// `ef_construction`, `quantization`, `entries` (graph nodes, row versions included),
/// `deleted`, `layers`, `memory_bytes`, `vector_bytes`, `loaded_from` (`built`,
/// `records` or `table`).
#[derive(Debug)]
struct IndexStatsFn {
    columns: Vec<(String, DataType)>,
}

/// Binds `helios_vector_index_stats(name)`.
pub fn bind_index_stats(
    args: Vec<crate::expr::Expr>,
    scope: &mut dyn crate::expr::ExprScope,
) -> Result<crate::functions::table::BoundTableFunction> {
    if args.len() != 1 {
        return Err(Error::new(
            SqlState::UNDEFINED_FUNCTION,
            "function helios_vector_index_stats requires one argument (the index name)",
        ));
    }
    let args = args
        .into_iter()
        .map(|a| {
            crate::expr::coerce_expr(a, &DataType::Text, crate::expr::CoercionKind::Implicit, scope)
        })
        .collect::<Result<Vec<_>>>()?;
    let t = DataType::Text;
    let i = DataType::Int8;
    let columns = [
        ("index_name", t.clone()),
        ("table_name", t.clone()),
        ("opclass", t.clone()),
        ("dimensions", i.clone()),
        ("m", i.clone()),
        ("ef_construction", i.clone()),
        ("quantization", t),
        ("entries", i.clone()),
        ("deleted", i.clone()),
        ("layers", i.clone()),
        ("memory_bytes", i.clone()),
        ("vector_bytes", i),
        ("loaded_from", DataType::Text),
    ]
    .into_iter()
    .map(|(n, t)| (n.to_string(), t))
    .collect();
    Ok(crate::functions::table::BoundTableFunction {
        func: Arc::new(IndexStatsFn { columns }),
        args,
    })
}

impl crate::functions::table::TableFunction for IndexStatsFn {
    fn name(&self) -> &str {
        "helios_vector_index_stats"
    }

    fn columns(&self) -> &[(String, DataType)] {
        &self.columns
    }

    fn call(
        &self,
        args: &[Value],
        ctx: &dyn crate::expr::EvalContext,
    ) -> Result<crate::functions::table::RowIter> {
        let Some(Value::Text(name)) = args.first() else {
            return Ok(Box::new(std::iter::empty()));
        };
        let txn = ctx
            .transaction()
            .ok_or_else(|| Error::unsupported("helios_vector_index_stats outside a query"))?;
        let vectors =
            ctx.session().vectors.0.clone().ok_or_else(|| {
                Error::unsupported("helios_vector_index_stats without a database")
            })?;
        let catalog = crate::catalog::CatalogStore::load(txn)?;
        let (schema, rel) = match name.split_once('.') {
            Some((s, n)) => (Some(s), n),
            None => (None, name.as_str()),
        };
        let not_found =
            || Error::new(SqlState::UNDEFINED_TABLE, format!("relation \"{name}\" does not exist"));
        let Some((_, crate::catalog::Relation::Index(t, i))) =
            catalog.resolve(schema, rel, &ctx.session().search_path)
        else {
            return Err(not_found());
        };
        let table = catalog.table(t).ok_or_else(not_found)?;
        let index = table.indexes.iter().find(|x| x.id == i).ok_or_else(not_found)?;
        let Some(def) = &index.vector else {
            return Err(Error::new(
                SqlState::WRONG_OBJECT_TYPE,
                format!("\"{}\" is not an hnsw index", index.name),
            ));
        };
        let s = crate::exec::vector_index::stats(&vectors, txn, table, index)?;
        let n = |x: usize| Value::Int8(i64::try_from(x).unwrap_or(i64::MAX));
        let row = vec![
            Value::Text(index.name.clone()),
            Value::Text(table.name.clone()),
            Value::Text(def.opclass.clone()),
            Value::Int8(i64::from(def.dim)),
            Value::Int8(i64::from(def.m)),
            Value::Int8(i64::from(def.ef_construction)),
            Value::Text(s.quantization),
            n(s.live),
            n(s.deleted),
            n(s.layers),
            n(s.memory_bytes),
            n(s.vector_bytes),
            Value::Text(s.origin.to_string()),
        ];
        Ok(Box::new(std::iter::once(Ok(row))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(x: &[f32]) -> Value {
        Value::Vector(Arc::from(x))
    }

    #[test]
    fn distances() {
        let a = v(&[1.0, 0.0]);
        let b = v(&[0.0, 1.0]);
        assert_eq!(distance(BinaryOp::L2Distance, &a, &b).ok(), Some(Value::Float8(2f64.sqrt())));
        assert_eq!(distance(BinaryOp::CosineDistance, &a, &b).ok(), Some(Value::Float8(1.0)));
        assert_eq!(distance(BinaryOp::NegInnerProduct, &a, &a).ok(), Some(Value::Float8(-1.0)));
        let e = distance(BinaryOp::L2Distance, &v(&[1.0, 2.0, 3.0]), &a).expect_err("dims");
        assert_eq!(e.to_string(), "different vector dimensions 3 and 2");
    }

    #[test]
    fn sums_and_averages() {
        let mut s = VectorSum::default();
        assert_eq!(s.avg().ok(), Some(Value::Null));
        s.add(&v(&[1.0, 2.0])).expect("add");
        s.add(&v(&[3.0, 6.0])).expect("add");
        assert_eq!(s.avg().ok(), Some(v(&[2.0, 4.0])));
        assert_eq!(s.sum().ok(), Some(v(&[4.0, 8.0])));
        assert!(s.add(&v(&[1.0])).is_err());
    }
}

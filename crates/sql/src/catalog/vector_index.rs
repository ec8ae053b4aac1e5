//! The catalog record of an HNSW vector index (`CREATE INDEX ... USING hnsw`): operator
//! class and build options, parsed from the statement with pgvector's names, defaults,
//! bounds and messages.

use helios_common::{Error, Result, SqlState};
use helios_vector::{HnswParams, Metric, Quantization};
use serde::{Deserialize, Serialize};
use sqlparser::ast;

/// How the graph compresses vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum VectorQuantization {
    /// Full float32 vectors.
    None,
    /// Product quantization with `pq_m` sub-vectors of 8-bit codes.
    Pq {
        /// Sub-vectors per vector.
        pq_m: u32,
    },
    /// 8-bit scalar quantization.
    Sq8,
}

/// The options of an HNSW index; stored inside its [`crate::catalog::IndexDef`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VectorIndexDef {
    /// Operator class: `vector_l2_ops`, `vector_cosine_ops` or `vector_ip_ops`.
    pub opclass: String,
    /// Dimensions of the indexed column.
    pub dim: u32,
    /// Links per node (`m`).
    pub m: u32,
    /// Candidate list size while building (`ef_construction`).
    pub ef_construction: u32,
    /// Vector compression.
    pub quantization: VectorQuantization,
    /// A value unique to this index instance, so an in-memory graph built for an index
    /// that was dropped (or whose creation rolled back) is never reused for a new index
    /// that got the same id.
    pub instance: u64,
}

impl VectorIndexDef {
    /// The distance metric of the operator class.
    pub fn metric(&self) -> Metric {
        Metric::from_opclass(&self.opclass).unwrap_or(Metric::L2)
    }

    /// The library parameters (`ef_search` is set per query).
    pub fn params(&self) -> HnswParams {
        let mut p = HnswParams::new(self.dim as usize, self.metric());
        p.m = self.m as usize;
        p.ef_construction = self.ef_construction as usize;
        p.quantization = match self.quantization {
            VectorQuantization::None => Quantization::None,
            VectorQuantization::Pq { pq_m } => {
                Quantization::Pq(helios_vector::pq::PqConfig::new(pq_m as usize))
            }
            VectorQuantization::Sq8 => Quantization::Sq8,
        };
        p
    }

    /// The pgvector operator of the opclass: `<->`, `<=>` or `<#>`.
    pub fn operator(&self) -> &'static str {
        match self.metric() {
            Metric::L2 => "<->",
            Metric::Cosine => "<=>",
            Metric::InnerProduct => "<#>",
        }
    }

    /// Parses the operator class and `WITH (...)` options of `CREATE INDEX ... USING hnsw`
    /// on a column of `dim` dimensions (`None`: the column has no declared dimension).
    pub fn parse(
        opclass: Option<&ast::ObjectName>,
        dim: Option<u32>,
        with: &[ast::Expr],
        instance: u64,
    ) -> Result<VectorIndexDef> {
        let opclass = match opclass {
            None => {
                return Err(Error::new(
                    SqlState::UNDEFINED_OBJECT,
                    "data type vector has no default operator class for access method \"hnsw\"",
                )
                .with_hint(
                    "You must specify an operator class for the index or define a default \
                     operator class for the data type.",
                ))
            }
            Some(n) => n.to_string().to_lowercase(),
        };
        if Metric::from_opclass(&opclass).is_none() {
            return Err(Error::new(
                SqlState::UNDEFINED_OBJECT,
                format!("operator class \"{opclass}\" does not exist for access method \"hnsw\""),
            ));
        }
        let Some(dim) = dim else {
            return Err(Error::new(SqlState::DATA_EXCEPTION, "column does not have dimensions"));
        };
        let mut def = VectorIndexDef {
            opclass,
            dim,
            m: 16,
            ef_construction: 64,
            quantization: VectorQuantization::None,
            instance,
        };
        let (mut quant, mut pq_m, mut pq_bits) = (None::<String>, None::<u32>, 8u32);
        for opt in with {
            let ast::Expr::BinaryOp { left, op: ast::BinaryOperator::Eq, right } = opt else {
                return Err(Error::new(
                    SqlState::SYNTAX_ERROR,
                    format!("invalid option \"{opt}\""),
                ));
            };
            let name = left.to_string().to_lowercase();
            let text = match right.as_ref() {
                ast::Expr::Value(v) => match &v.value {
                    ast::Value::SingleQuotedString(s) => s.clone(),
                    other => other.to_string(),
                },
                other => other.to_string(),
            };
            let int = || -> Result<u32> {
                text.parse::<u32>().map_err(|_| {
                    Error::new(
                        SqlState::INVALID_PARAMETER_VALUE,
                        format!("invalid value for integer option \"{name}\": {text}"),
                    )
                })
            };
            match name.as_str() {
                "m" => def.m = int()?,
                "ef_construction" => def.ef_construction = int()?,
                "quantization" => quant = Some(text.to_lowercase()),
                "pq_m" => pq_m = Some(int()?),
                "pq_bits" => pq_bits = int()?,
                _ => {
                    return Err(Error::new(
                        SqlState::INVALID_PARAMETER_VALUE,
                        format!("unrecognized parameter \"{name}\""),
                    ))
                }
            }
        }
        def.quantization = match quant.as_deref() {
            None | Some("none") => {
                if pq_m.is_some() {
                    return Err(invalid("pq_m requires quantization = 'pq'"));
                }
                VectorQuantization::None
            }
            Some("sq8") => VectorQuantization::Sq8,
            Some("pq") => {
                if pq_bits != 8 {
                    return Err(invalid(&format!("pq_bits must be 8, got {pq_bits}")));
                }
                // Default: 8 dimensions per sub-vector where that divides evenly.
                let m = pq_m.unwrap_or_else(|| {
                    (1..=dim).rev().find(|m| dim % m == 0 && dim / m >= 8).unwrap_or(1)
                });
                VectorQuantization::Pq { pq_m: m }
            }
            Some(other) => {
                return Err(invalid(&format!(
                "invalid value for option \"quantization\": \"{other}\" (expected 'pq' or 'sq8')"
            )))
            }
        };
        def.params().validate()?;
        Ok(def)
    }
}

fn invalid(msg: &str) -> Error {
    Error::new(SqlState::INVALID_PARAMETER_VALUE, msg.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::parser::Parser;

    fn parse(sql: &str, dim: u32) -> Result<VectorIndexDef> {
        let stmts = Parser::parse_sql(&PostgreSqlDialect {}, sql).expect("parse");
        let ast::Statement::CreateIndex(ci) = &stmts[0] else { panic!("not create index") };
        VectorIndexDef::parse(ci.columns[0].operator_class.as_ref(), Some(dim), &ci.with, 1)
    }

    #[test]
    fn options() {
        let d = parse(
            "CREATE INDEX i ON t USING hnsw (e vector_cosine_ops) WITH (m = 8, ef_construction = 32, quantization = 'pq', pq_m = 4)",
            16,
        )
        .expect("valid");
        assert_eq!((d.m, d.ef_construction, d.metric()), (8, 32, Metric::Cosine));
        assert_eq!(d.quantization, VectorQuantization::Pq { pq_m: 4 });
        let e = parse("CREATE INDEX i ON t USING hnsw (e vector_l2_ops) WITH (m = 1)", 3)
            .expect_err("m too small");
        assert!(e.to_string().starts_with("value 1 out of bounds for option \"m\""));
        assert!(parse("CREATE INDEX i ON t USING hnsw (e vector_foo_ops)", 3).is_err());
        assert!(parse("CREATE INDEX i ON t USING hnsw (e)", 3).is_err());
    }
}

//! Privilege checks and row-level security, applied as statements bind.
//!
//! Every relation a statement reads or writes is checked against the privileges of the
//! role the statement runs as; inside a view, against the view's owner (PostgreSQL's
//! rule: a view reads its tables with its owner's rights). Superusers skip every check.
//!
//! Row-level security adds the policies of a table to the plan: their `USING`
//! expressions filter the rows a scan (or an UPDATE / DELETE) sees, and their
//! `WITH CHECK` expressions become a check on every row INSERT or UPDATE writes.
//! Permissive policies are OR-ed, restrictive ones AND-ed with the result, and with no
//! permissive policy nothing is visible or writable, as in PostgreSQL.

use helios_common::{Error, Result, SqlState};
use helios_types::{DataType, Value};

use super::Binder;
use crate::catalog::access::{permission_denied, AuthId, PolicyCommand};
use crate::catalog::{ObjectAccess, Privileges, SequenceDef, TableDef, ViewDef};
use crate::expr::Expr;
use crate::planner::{Field, Plan};

impl Binder<'_> {
    /// The role checks are made for: the owner of the innermost view being expanded,
    /// else the role the statement runs as.
    pub(super) fn checker(&self) -> &AuthId {
        match self.view_owners.last() {
            Some(owner) => owner,
            None => self.auth.get_or_init(|| self.catalog.auth(&self.session.current_user)),
        }
    }

    fn require(&self, access: &ObjectAccess, all: Privileges, want: Privileges) -> bool {
        let auth = self.checker();
        auth.superuser || access.privileges_of(auth, all).contains(want)
    }

    /// Requires `want` on a table (a materialized view is one too).
    pub(super) fn require_table(&self, table: &TableDef, want: Privileges) -> Result<()> {
        self.require_schema_usage(&table.schema)?;
        if self.require(&table.access, Privileges::TABLE_ALL, want) {
            return Ok(());
        }
        let kind = if table.matview.is_some() { "materialized view" } else { "table" };
        Err(permission_denied(kind, &table.name))
    }

    /// Requires `want` on a view.
    pub(super) fn require_view(&self, view: &ViewDef, want: Privileges) -> Result<()> {
        self.require_schema_usage(&view.schema)?;
        if self.require(&view.access, Privileges::TABLE_ALL, want) {
            return Ok(());
        }
        Err(permission_denied("view", &view.name))
    }

    /// Requires one of `want` on a sequence.
    pub(super) fn require_sequence(&self, seq: &SequenceDef, want: Privileges) -> Result<()> {
        let auth = self.checker();
        if auth.superuser {
            return Ok(());
        }
        self.require_schema_usage(&seq.schema)?;
        let held = seq.access.privileges_of(auth, Privileges::SEQUENCE_ALL);
        if want.names().any(|(p, _)| held.contains(p)) {
            return Ok(());
        }
        Err(permission_denied("sequence", &seq.name))
    }

    /// Requires USAGE on a schema (`public` grants it to everyone unless changed).
    pub(super) fn require_schema_usage(&self, schema: &str) -> Result<()> {
        let auth = self.checker();
        if auth.superuser {
            return Ok(());
        }
        let Some(s) = self.catalog.schemas.get(schema) else { return Ok(()) };
        if crate::session::is_temp_schema(schema)
            || s.privileges_of(auth).contains(Privileges::USAGE)
        {
            return Ok(());
        }
        Err(permission_denied("schema", schema))
    }

    /// Enters a view owned by `owner`: what it reads is checked for the owner.
    pub(super) fn enter_view(&mut self, owner: u32) {
        if self.probe {
            self.view_owners.push(crate::catalog::access::AuthId::unchecked());
            return;
        }
        let login = &self.session.session_user;
        let name = self.catalog.role_name(owner, login);
        let auth = self.catalog.auth(&name);
        self.view_owners.push(auth);
    }

    /// Leaves the view entered last.
    pub(super) fn leave_view(&mut self) {
        self.view_owners.pop();
    }

    /// Whether row-level security applies to `table` for the checking role. With the
    /// `row_security` setting off, a query it would apply to fails instead (42501), as
    /// in PostgreSQL: pg_dump sets it so that a dump never silently misses rows.
    fn row_security_applies(&self, table: &TableDef) -> Result<bool> {
        let rs = &table.row_security;
        if !rs.enabled {
            return Ok(false);
        }
        let auth = self.checker();
        let applies = !auth.bypass_rls && (rs.forced || !auth.owns(table.access.owner));
        if applies && self.session.settings.get("row_security").is_some_and(|v| v == "off") {
            return Err(Error::new(
                SqlState::INSUFFICIENT_PRIVILEGE,
                format!(
                    "query would be affected by row-level security policy for table \"{}\"",
                    table.name
                ),
            ));
        }
        Ok(applies)
    }

    /// The combined `USING` condition of `table`'s policies for `command`, bound over
    /// the table's columns (`None` when row-level security does not apply).
    pub(super) fn policy_using(
        &mut self,
        table: &TableDef,
        command: PolicyCommand,
    ) -> Result<Option<Expr>> {
        if !self.row_security_applies(table)? {
            return Ok(None);
        }
        self.combine_policies(table, command, |p| p.using.as_deref()).map(Some)
    }

    /// The combined `WITH CHECK` condition for rows written by `command` (a policy
    /// without WITH CHECK checks with its USING expression).
    pub(super) fn policy_check(
        &mut self,
        table: &TableDef,
        command: PolicyCommand,
    ) -> Result<Option<Expr>> {
        if !self.row_security_applies(table)? {
            return Ok(None);
        }
        self.combine_policies(table, command, |p| p.check.as_deref().or(p.using.as_deref()))
            .map(Some)
    }

    fn combine_policies(
        &mut self,
        table: &TableDef,
        command: PolicyCommand,
        text: impl Fn(&crate::catalog::PolicyDef) -> Option<&str>,
    ) -> Result<Expr> {
        let fields = super::table_row_fields(table);
        // A policy that reads its own table (directly or through a view) would expand
        // forever: PostgreSQL refuses it the same way.
        if self.expanding_policies.contains(&table.id) {
            return Err(Error::new(
                SqlState::from_code("42P17"),
                format!("infinite recursion detected in policy for relation \"{}\"", table.name),
            ));
        }
        self.expanding_policies.push(table.id);
        let out = self.bind_policies(table, command, &fields, text);
        self.expanding_policies.pop();
        out
    }

    fn bind_policies(
        &mut self,
        table: &TableDef,
        command: PolicyCommand,
        fields: &[Field],
        text: impl Fn(&crate::catalog::PolicyDef) -> Option<&str>,
    ) -> Result<Expr> {
        let auth = self.checker().clone();
        let mut permissive: Option<Expr> = None;
        let mut restrictive: Vec<Expr> = Vec::new();
        for p in &table.row_security.policies {
            if !(p.command == PolicyCommand::All || p.command == command) || !p.applies_to(&auth) {
                continue;
            }
            let Some(sql) = text(p) else { continue };
            let parsed = crate::parser::parse_expr(sql)?;
            // A policy reads its table as the statement does, without further policies
            // on the columns it names: bind with no enclosing query in scope.
            let saved_outer = std::mem::take(&mut self.outer);
            let saved_corr = std::mem::take(&mut self.correlated);
            let saved_aggs = std::mem::take(&mut self.outer_aggs);
            let bound = self.bind_condition(&parsed, fields, "POLICY", false);
            self.outer = saved_outer;
            self.correlated = saved_corr;
            self.outer_aggs = saved_aggs;
            let bound = bound?;
            if p.permissive {
                permissive = Some(match permissive {
                    Some(e) => or(e, bound),
                    None => bound,
                });
            } else {
                restrictive.push(bound);
            }
        }
        // No permissive policy: nothing passes.
        let mut out = permissive.unwrap_or(Expr::Literal(Value::Bool(false), DataType::Bool));
        for r in restrictive {
            out = super::from::and(out, r);
        }
        Ok(out)
    }

    /// `plan` (a scan of `table` whose first columns are the table's) filtered by the
    /// table's `USING` policies for `command`.
    pub(super) fn with_policy_filter(
        &mut self,
        plan: Plan,
        table: &TableDef,
        command: PolicyCommand,
    ) -> Result<Plan> {
        Ok(match self.policy_using(table, command)? {
            Some(predicate) => Plan::Filter { input: Box::new(plan), predicate },
            None => plan,
        })
    }
}

fn or(a: Expr, b: Expr) -> Expr {
    Expr::Binary {
        op: crate::expr::BinaryOp::Or,
        left: Box::new(a),
        right: Box::new(b),
        ty: DataType::Bool,
    }
}

/// `new row violates row-level security policy for table "t"` (42501).
pub fn policy_violation(table: &str) -> Error {
    Error::new(
        SqlState::INSUFFICIENT_PRIVILEGE,
        format!("new row violates row-level security policy for table \"{table}\""),
    )
}

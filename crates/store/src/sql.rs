//! The generic statements every table shares (insert, read, update, soft delete, list), written once
//! for both dialects. Table and column names come only from [`TableDef`]s, never from input; every value
//! is a bound parameter. Tenant scoping is added here, so no backend can forget it.

use austa_domain::{EntityId, TenantScope};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::{StoreError, StoreResult};
use crate::table::{ColumnDef, Mutability, TableDef};
use crate::value::{Kind, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    fn placeholder(self, n: usize) -> String {
        match self {
            Dialect::Sqlite => format!("?{n}"),
            Dialect::Postgres => format!("${n}"),
        }
    }
}

/// A statement with its parameters, each with the kind of the column it is compared with.
#[derive(Debug)]
pub struct Statement {
    pub sql: String,
    pub binds: Vec<(Kind, Value)>,
}

/// A comparison of a column with a value in a list filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    fn sql(self) -> &'static str {
        match self {
            Cmp::Lt => "<",
            Cmp::Le => "<=",
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
        }
    }
}

/// Filters and a cursor for listing rows in creation (id) order, oldest or newest first.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// At most this many rows (1 to [`ListQuery::MAX_LIMIT`]).
    pub limit: u32,
    /// Only rows whose id comes after this one in the listing order.
    pub after: Option<Uuid>,
    /// `column = value` (or `IS NULL` for [`Value::Null`]).
    pub filters: Vec<(String, Value)>,
    /// `column <op> value`.
    pub comparisons: Vec<(String, Cmp, Value)>,
    /// `column IN (values)`; an empty list matches nothing.
    pub any_of: Vec<(String, Vec<Value>)>,
    /// Newest first.
    pub descending: bool,
    /// Lock the rows returned, skipping rows another transaction holds (PostgreSQL
    /// `FOR UPDATE SKIP LOCKED`; a SQLite write transaction is already exclusive). For job queues.
    pub skip_locked: bool,
}

impl ListQuery {
    pub const MAX_LIMIT: u32 = 500;
    pub const DEFAULT_LIMIT: u32 = 50;

    pub fn first(limit: u32) -> Self {
        Self {
            limit,
            ..Self::default()
        }
    }

    pub fn filter(mut self, column: &str, value: Value) -> Self {
        self.filters.push((column.to_owned(), value));
        self
    }

    pub fn compare(mut self, column: &str, cmp: Cmp, value: Value) -> Self {
        self.comparisons.push((column.to_owned(), cmp, value));
        self
    }

    pub fn any_of(mut self, column: &str, values: Vec<Value>) -> Self {
        self.any_of.push((column.to_owned(), values));
        self
    }

    pub fn skip_locked(mut self) -> Self {
        self.skip_locked = true;
        self
    }

    pub fn newest_first(mut self) -> Self {
        self.descending = true;
        self
    }

    pub fn after(mut self, cursor: Option<Uuid>) -> Self {
        self.after = cursor;
        self
    }
}

/// One page of a list and the cursor of the next, if there is more.
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Uuid>,
}

struct Builder {
    dialect: Dialect,
    binds: Vec<(Kind, Value)>,
}

impl Builder {
    fn new(dialect: Dialect) -> Self {
        Self {
            dialect,
            binds: Vec::new(),
        }
    }

    fn bind(&mut self, kind: Kind, value: Value) -> String {
        self.binds.push((kind, value));
        self.dialect.placeholder(self.binds.len())
    }

    /// `AND <tenant> = ?` for an organization scope; nothing for the system scope.
    fn tenant_condition(&mut self, table: &TableDef, scope: &TenantScope) -> String {
        match scope.organization() {
            Some(org) => {
                let p = self.bind(Kind::Uuid, Value::Uuid(org.as_uuid()));
                format!(" AND {} = {p}", table.tenant_column())
            }
            None => String::new(),
        }
    }

    fn finish(self, sql: String) -> Statement {
        Statement {
            sql,
            binds: self.binds,
        }
    }
}

fn column_list(table: &TableDef) -> String {
    table
        .columns
        .iter()
        .map(|c| c.name)
        .collect::<Vec<_>>()
        .join(", ")
}

fn live_condition(table: &TableDef) -> &'static str {
    if table.soft_deletes() {
        " AND deleted_at IS NULL"
    } else {
        ""
    }
}

fn check_row(table: &TableDef, row: &[Value]) -> StoreResult<()> {
    crate::entity::check_arity(table, row)?;
    for (col, value) in table.columns.iter().zip(row) {
        if !value_fits(col, value) {
            return Err(StoreError::Decode(format!(
                "{}.{} expects {:?}",
                table.name, col.name, col.kind
            )));
        }
    }
    Ok(())
}

fn value_fits(col: &ColumnDef, value: &Value) -> bool {
    matches!(
        (col.kind, value),
        (_, Value::Null)
            | (Kind::Bool, Value::Bool(_))
            | (Kind::Int, Value::Int(_))
            | (Kind::Float, Value::Float(_))
            | (Kind::Text, Value::Text(_))
            | (Kind::Uuid, Value::Uuid(_))
            | (Kind::Time, Value::Time(_))
            | (Kind::Date, Value::Date(_))
            | (Kind::Json, Value::Json(_))
            | (Kind::Bytes, Value::Bytes(_))
    )
}

/// A row may only be written inside the caller's organization.
fn check_tenant(table: &TableDef, scope: &TenantScope, row: &[Value]) -> StoreResult<()> {
    let Some(org) = scope.organization() else {
        return Ok(());
    };
    let (index, _) = table
        .column(table.tenant_column())
        .ok_or(StoreError::UnknownColumn {
            table: table.name,
            column: table.tenant_column().into(),
        })?;
    match row.get(index) {
        Some(Value::Uuid(u)) if *u == org.as_uuid() => Ok(()),
        _ => Err(StoreError::TenantMismatch),
    }
}

fn row_id(row: &[Value]) -> StoreResult<Uuid> {
    match row.first() {
        Some(Value::Uuid(id)) => Ok(*id),
        _ => Err(StoreError::Decode("row has no id".into())),
    }
}

pub fn insert(
    dialect: Dialect,
    table: &TableDef,
    scope: &TenantScope,
    row: Vec<Value>,
) -> StoreResult<Statement> {
    insert_rows(dialect, table, scope, vec![row], true)
}

/// Rows inserted by one statement (a batch): `INSERT … VALUES (…), (…) RETURNING …`.
pub fn insert_many(
    dialect: Dialect,
    table: &TableDef,
    scope: &TenantScope,
    rows: Vec<Vec<Value>>,
) -> StoreResult<Statement> {
    insert_rows(dialect, table, scope, rows, true)
}

/// [`insert_many`] without reading the rows back, for rows that are complete as given (append-only
/// logs). Reading back costs: SQLite buffers `RETURNING` rows in a temporary table.
pub fn append_many(
    dialect: Dialect,
    table: &TableDef,
    scope: &TenantScope,
    rows: Vec<Vec<Value>>,
) -> StoreResult<Statement> {
    insert_rows(dialect, table, scope, rows, false)
}

fn insert_rows(
    dialect: Dialect,
    table: &TableDef,
    scope: &TenantScope,
    rows: Vec<Vec<Value>>,
    returning: bool,
) -> StoreResult<Statement> {
    if rows.is_empty() {
        return Err(StoreError::Decode("an insert needs at least one row".into()));
    }
    if rows.len() > MAX_BATCH_ROWS {
        return Err(StoreError::Decode(format!(
            "at most {MAX_BATCH_ROWS} rows per insert"
        )));
    }
    let mut b = Builder::new(dialect);
    let mut tuples = Vec::with_capacity(rows.len());
    for row in rows {
        check_row(table, &row)?;
        check_tenant(table, scope, &row)?;
        let placeholders: Vec<String> = table
            .columns
            .iter()
            .zip(row)
            .map(|(c, v)| b.bind(c.kind, v))
            .collect();
        tuples.push(format!("({})", placeholders.join(", ")));
    }
    let mut sql = format!(
        "INSERT INTO {} ({}) VALUES {}",
        table.name,
        column_list(table),
        tuples.join(", "),
    );
    if returning {
        sql.push_str(" RETURNING ");
        sql.push_str(&column_list(table));
    }
    Ok(b.finish(sql))
}

/// Rows per batch insert: keeps the bound parameters (rows × columns) under SQLite's limit of 32766.
pub const MAX_BATCH_ROWS: usize = 500;

pub fn select_by_id(dialect: Dialect, table: &TableDef, scope: &TenantScope, id: Uuid) -> Statement {
    let mut b = Builder::new(dialect);
    let p = b.bind(Kind::Uuid, Value::Uuid(id));
    let tenant = b.tenant_condition(table, scope);
    let sql = format!(
        "SELECT {} FROM {} WHERE id = {p}{tenant}{}",
        column_list(table),
        table.name,
        live_condition(table)
    );
    b.finish(sql)
}

/// [`select_by_id`] that also locks the row until the transaction ends. PostgreSQL needs
/// `FOR UPDATE`; a SQLite write transaction already holds the database's only write lock.
pub fn select_by_id_for_update(
    dialect: Dialect,
    table: &TableDef,
    scope: &TenantScope,
    id: Uuid,
) -> Statement {
    let mut stmt = select_by_id(dialect, table, scope, id);
    if dialect == Dialect::Postgres {
        stmt.sql.push_str(" FOR UPDATE");
    }
    stmt
}

/// Rewrites every updatable column from `row`; identity, tenant and creation time never change.
pub fn update(
    dialect: Dialect,
    table: &TableDef,
    scope: &TenantScope,
    row: Vec<Value>,
) -> StoreResult<Statement> {
    if table.mutability == Mutability::AppendOnly {
        return Err(StoreError::AppendOnly { table: table.name });
    }
    check_row(table, &row)?;
    check_tenant(table, scope, &row)?;
    let id = row_id(&row)?;
    let mut b = Builder::new(dialect);
    let updatable: Vec<usize> = table.updatable_columns().map(|(i, _)| i).collect();
    let mut assignments = Vec::new();
    for (i, value) in row.into_iter().enumerate() {
        if let (true, Some(col)) = (updatable.contains(&i), table.columns.get(i)) {
            let p = b.bind(col.kind, value);
            assignments.push(format!("{} = {p}", col.name));
        }
    }
    let p_id = b.bind(Kind::Uuid, Value::Uuid(id));
    let tenant = b.tenant_condition(table, scope);
    let sql = format!(
        "UPDATE {} SET {} WHERE id = {p_id}{tenant}{} RETURNING {}",
        table.name,
        assignments.join(", "),
        live_condition(table),
        column_list(table)
    );
    Ok(b.finish(sql))
}

pub fn soft_delete(
    dialect: Dialect,
    table: &TableDef,
    scope: &TenantScope,
    id: Uuid,
    at: OffsetDateTime,
) -> StoreResult<Statement> {
    if !table.soft_deletes() {
        return Err(StoreError::AppendOnly { table: table.name });
    }
    let at = crate::value::to_stored_precision(at);
    let mut b = Builder::new(dialect);
    let p_at = b.bind(Kind::Time, Value::Time(at));
    let p_up = b.bind(Kind::Time, Value::Time(at));
    let p_id = b.bind(Kind::Uuid, Value::Uuid(id));
    let tenant = b.tenant_condition(table, scope);
    let sql = format!(
        "UPDATE {} SET deleted_at = {p_at}, updated_at = {p_up} WHERE id = {p_id}{tenant} AND deleted_at IS NULL",
        table.name
    );
    Ok(b.finish(sql))
}

/// Removes for good up to `limit` rows whose `column` (a time) is before `before`, oldest first:
/// `DELETE … WHERE id IN (SELECT id … LIMIT n)`, so a purge runs in short transactions. Only
/// mutable tables: append-only ones (ledgers, the audit log) are never purged.
pub fn purge(
    dialect: Dialect,
    table: &TableDef,
    scope: &TenantScope,
    column: &str,
    before: OffsetDateTime,
    limit: u32,
) -> StoreResult<Statement> {
    if table.mutability != Mutability::Mutable {
        return Err(StoreError::AppendOnly { table: table.name });
    }
    let column = match table.column(column) {
        Some((_, c)) if c.kind == Kind::Time => c.name,
        _ => {
            return Err(StoreError::UnknownColumn {
                table: table.name,
                column: column.into(),
            });
        }
    };
    let mut b = Builder::new(dialect);
    let p_before = b.bind(Kind::Time, Value::Time(crate::value::to_stored_precision(before)));
    let tenant = b.tenant_condition(table, scope);
    let p_limit = b.bind(
        Kind::Int,
        Value::Int(i64::from(limit.clamp(1, ListQuery::MAX_LIMIT))),
    );
    let sql = format!(
        "DELETE FROM {t} WHERE id IN (SELECT id FROM {t} WHERE {column} < {p_before}{tenant} ORDER BY {column} LIMIT {p_limit})",
        t = table.name
    );
    Ok(b.finish(sql))
}

/// Selects `limit + 1` rows so the caller knows whether a next page exists.
pub fn list(
    dialect: Dialect,
    table: &TableDef,
    scope: &TenantScope,
    query: &ListQuery,
) -> StoreResult<Statement> {
    let limit = query.limit.clamp(1, ListQuery::MAX_LIMIT);
    let mut b = Builder::new(dialect);
    let mut sql = format!("SELECT {} FROM {} WHERE 1 = 1", column_list(table), table.name);
    sql.push_str(&b.tenant_condition(table, scope));
    sql.push_str(live_condition(table));
    for (name, value) in &query.filters {
        let col = filter_column(table, name, value)?;
        if *value == Value::Null {
            sql.push_str(&format!(" AND {} IS NULL", col.name));
        } else {
            let p = b.bind(col.kind, value.clone());
            sql.push_str(&format!(" AND {} = {p}", col.name));
        }
    }
    for (name, cmp, value) in &query.comparisons {
        let col = filter_column(table, name, value)?;
        if *value == Value::Null {
            return Err(StoreError::Decode(format!(
                "{} cannot be compared with null",
                col.name
            )));
        }
        let p = b.bind(col.kind, value.clone());
        sql.push_str(&format!(" AND {} {} {p}", col.name, cmp.sql()));
    }
    for (name, values) in &query.any_of {
        if values.is_empty() {
            sql.push_str(" AND 1 = 0");
            continue;
        }
        let mut placeholders = Vec::with_capacity(values.len());
        for value in values {
            let col = filter_column(table, name, value)?;
            placeholders.push(b.bind(col.kind, value.clone()));
        }
        sql.push_str(&format!(" AND {name} IN ({})", placeholders.join(", ")));
    }
    let (cursor_op, order) = if query.descending {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    if let Some(after) = query.after {
        let p = b.bind(Kind::Uuid, Value::Uuid(after));
        sql.push_str(&format!(" AND id {cursor_op} {p}"));
    }
    sql.push_str(&format!(" ORDER BY id {order} LIMIT {}", limit + 1));
    if query.skip_locked && dialect == Dialect::Postgres {
        sql.push_str(" FOR UPDATE SKIP LOCKED");
    }
    Ok(b.finish(sql))
}

/// The column a filter names, checked against the table (names never come from input unchecked).
fn filter_column<'t>(table: &'t TableDef, name: &str, value: &Value) -> StoreResult<&'t ColumnDef> {
    let (_, col) = table.column(name).ok_or_else(|| StoreError::UnknownColumn {
        table: table.name,
        column: name.to_owned(),
    })?;
    if !value_fits(col, value) {
        return Err(StoreError::Decode(format!(
            "filter on {} expects {:?}",
            col.name, col.kind
        )));
    }
    Ok(col)
}

/// Cuts the `limit + 1` rows of [`list`] into a page.
pub fn paginate(mut rows: Vec<Vec<Value>>, query: &ListQuery) -> StoreResult<Page<Vec<Value>>> {
    let limit = query.limit.clamp(1, ListQuery::MAX_LIMIT) as usize;
    let next = if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(|r| row_id(r)).transpose()?
    } else {
        None
    };
    Ok(Page { items: rows, next })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::Entity;
    use crate::model::{AuditLog, User};
    use austa_domain::Principal;
    use austa_domain::enums::Role;
    use austa_domain::ids::OrganizationId;
    use austa_domain::scope::Subject;

    fn org_scope() -> (OrganizationId, TenantScope) {
        let org = OrganizationId::generate();
        (
            org,
            Principal::member(org, Role::Admin, Subject::Internal).scope(),
        )
    }

    #[test]
    fn reads_are_scoped_to_the_tenant_and_hide_deleted_rows() {
        let (org, scope) = org_scope();
        let s = select_by_id(Dialect::Postgres, User::TABLE, &scope, Uuid::nil());
        assert!(
            s.sql
                .ends_with("WHERE id = $1 AND organization_id = $2 AND deleted_at IS NULL"),
            "{}",
            s.sql
        );
        assert_eq!(s.binds[1].1, Value::Uuid(org.as_uuid()));
        let sys = select_by_id(
            Dialect::Sqlite,
            User::TABLE,
            &Principal::system().scope(),
            Uuid::nil(),
        );
        assert!(
            sys.sql.ends_with("WHERE id = ?1 AND deleted_at IS NULL"),
            "{}",
            sys.sql
        );
    }

    #[test]
    fn writes_outside_the_scope_are_refused_before_reaching_the_database() {
        let (_, scope) = org_scope();
        let other = OrganizationId::generate();
        let mut row = vec![Value::Null; User::TABLE.columns.len()];
        row[0] = Value::Uuid(Uuid::now_v7());
        row[1] = Value::Uuid(other.as_uuid());
        assert!(matches!(
            insert(Dialect::Sqlite, User::TABLE, &scope, row),
            Err(StoreError::TenantMismatch)
        ));
    }

    #[test]
    fn append_only_tables_refuse_updates_and_deletes() {
        let scope = Principal::system().scope();
        let row = vec![Value::Null; AuditLog::TABLE.columns.len()];
        assert!(matches!(
            update(Dialect::Sqlite, AuditLog::TABLE, &scope, row),
            Err(StoreError::AppendOnly { .. })
        ));
        let del = soft_delete(
            Dialect::Sqlite,
            AuditLog::TABLE,
            &scope,
            Uuid::nil(),
            OffsetDateTime::UNIX_EPOCH,
        );
        assert!(matches!(del, Err(StoreError::AppendOnly { .. })));
    }

    #[test]
    fn purges_are_scoped_bounded_and_only_by_a_time_column() {
        let (org, scope) = org_scope();
        let at = OffsetDateTime::UNIX_EPOCH;
        let s = purge(Dialect::Postgres, User::TABLE, &scope, "created_at", at, 10_000).unwrap();
        assert_eq!(
            s.sql,
            "DELETE FROM users WHERE id IN (SELECT id FROM users WHERE created_at < $1 \
             AND organization_id = $2 ORDER BY created_at LIMIT $3)"
        );
        assert_eq!(s.binds[1].1, Value::Uuid(org.as_uuid()));
        assert_eq!(
            s.binds[2].1,
            Value::Int(i64::from(ListQuery::MAX_LIMIT)),
            "at most a page per call"
        );
        for column in ["email", "created_at; DROP TABLE users"] {
            assert!(matches!(
                purge(Dialect::Sqlite, User::TABLE, &scope, column, at, 10),
                Err(StoreError::UnknownColumn { .. })
            ));
        }
        assert!(matches!(
            purge(Dialect::Sqlite, AuditLog::TABLE, &scope, "occurred_at", at, 10),
            Err(StoreError::AppendOnly { .. })
        ));
    }

    #[test]
    fn list_filters_only_known_columns_and_fetches_one_extra_row() {
        let scope = Principal::system().scope();
        let q = ListQuery::first(10).filter("role", Value::Text("patient".into()));
        let s = list(Dialect::Postgres, User::TABLE, &scope, &q).unwrap();
        assert!(s.sql.contains("AND role = $1"));
        assert!(s.sql.ends_with("ORDER BY id ASC LIMIT 11"));
        let bad = ListQuery::first(10).filter("role; DROP TABLE users", Value::Null);
        assert!(matches!(
            list(Dialect::Postgres, User::TABLE, &scope, &bad),
            Err(StoreError::UnknownColumn { .. })
        ));
    }

    #[test]
    fn update_never_rewrites_identity_tenant_or_creation_time() {
        let (org, scope) = org_scope();
        let mut row = vec![Value::Null; User::TABLE.columns.len()];
        row[0] = Value::Uuid(Uuid::now_v7());
        row[1] = Value::Uuid(org.as_uuid());
        let s = update(Dialect::Postgres, User::TABLE, &scope, row).unwrap();
        let set = s.sql.split(" WHERE ").next().unwrap();
        for forbidden in ["id =", "organization_id =", "created_at =", "deleted_at ="] {
            assert!(
                !set.contains(&format!(" {forbidden}")) && !set.contains(&format!(", {forbidden}")),
                "{set}"
            );
        }
        assert!(set.contains("updated_at ="));
    }
}

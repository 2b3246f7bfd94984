//! What the store knows about each table: its columns, how it is scoped to a tenant, whether rows may
//! change, and its unique constraints (so both backends report a violation under the same name).

use crate::value::Kind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnDef {
    pub name: &'static str,
    pub kind: Kind,
    pub nullable: bool,
    /// For enumerations: the accepted texts.
    pub vocabulary: Option<&'static [&'static str]>,
}

/// How a table's rows belong to an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tenancy {
    /// The row carries `organization_id`.
    OrganizationColumn,
    /// The row *is* an organization: its `id` is the tenant.
    IsOrganization,
}

/// Which writes a table accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    /// Rows are updated in place and soft-deleted (`deleted_at`).
    Mutable,
    /// Rows are only ever inserted (ledgers, logs); the databases reject updates and deletes.
    AppendOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UniqueDef {
    pub name: &'static str,
    pub columns: &'static [&'static str],
}

#[derive(Debug, PartialEq, Eq)]
pub struct TableDef {
    pub name: &'static str,
    pub tenancy: Tenancy,
    pub mutability: Mutability,
    /// All columns, `id` first, in the order entities convert to and from rows.
    pub columns: &'static [ColumnDef],
    pub unique: &'static [UniqueDef],
}

impl TableDef {
    pub fn column(&self, name: &str) -> Option<(usize, &ColumnDef)> {
        self.columns.iter().enumerate().find(|(_, c)| c.name == name)
    }

    pub fn has_column(&self, name: &str) -> bool {
        self.column(name).is_some()
    }

    /// The column that decides which organization a row belongs to.
    pub fn tenant_column(&self) -> &'static str {
        match self.tenancy {
            Tenancy::OrganizationColumn => "organization_id",
            Tenancy::IsOrganization => "id",
        }
    }

    pub fn soft_deletes(&self) -> bool {
        self.mutability == Mutability::Mutable && self.has_column("deleted_at")
    }

    /// Columns an update may change: not the identity, the tenant or the creation time.
    pub fn updatable_columns(&self) -> impl Iterator<Item = (usize, &ColumnDef)> {
        self.columns
            .iter()
            .enumerate()
            .filter(|(_, c)| !matches!(c.name, "id" | "organization_id" | "created_at" | "deleted_at"))
    }

    /// The constraint name for a unique violation on these columns (SQLite reports only columns).
    pub fn unique_by_columns(&self, columns: &[&str]) -> Option<&'static str> {
        // A repeated id also repeats (organization_id, id), the key children reference; SQLite may
        // report either: both mean the primary key.
        if columns == ["id"] || columns == ["organization_id", "id"] {
            return Some(self.primary_key_name());
        }
        self.unique.iter().find(|u| u.columns == columns).map(|u| u.name)
    }

    pub fn primary_key_name(&self) -> &'static str {
        // Names follow PostgreSQL's default `<table>_pkey`, which both migration trees use.
        crate::model::primary_key_name(self.name)
    }
}

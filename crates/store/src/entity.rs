//! Typed rows: each table's struct, its [`TableDef`], and the conversion to and from values, declared
//! once by [`entity!`].

use austa_domain::EntityId;

use crate::error::StoreError;
use crate::table::TableDef;
use crate::value::Value;

/// A row of one table.
pub trait Entity: Sized + Clone + PartialEq + std::fmt::Debug + Send + Sync + 'static {
    type Id: EntityId;
    const TABLE: &'static TableDef;
    fn id(&self) -> Self::Id;
    fn to_row(&self) -> Vec<Value>;
    fn from_row(row: Vec<Value>) -> Result<Self, StoreError>;
}

/// Declares an entity: the struct (with a `Debug` that shows only its id, since rows hold personal
/// data), its table definition and its row conversions. Column order is field order, `id` first.
#[macro_export]
macro_rules! entity {
    (
        $(#[$meta:meta])*
        $name:ident in $table:literal {
            id: $idty:ty,
            tenancy: $tenancy:ident,
            mutability: $mutability:ident,
            unique: [$($uname:literal => [$($ucol:literal),+ $(,)?]),* $(,)?],
            fields: {
                $($(#[$fmeta:meta])* $field:ident : $fty:ty),+ $(,)?
            }
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq)]
        pub struct $name {
            pub id: $idty,
            $($(#[$fmeta])* pub $field: $fty),+
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(stringify!($name)).field("id", &self.id).finish_non_exhaustive()
            }
        }

        impl $crate::entity::Entity for $name {
            type Id = $idty;
            const TABLE: &'static $crate::table::TableDef = &$crate::table::TableDef {
                name: $table,
                tenancy: $crate::table::Tenancy::$tenancy,
                mutability: $crate::table::Mutability::$mutability,
                columns: &[
                    $crate::table::ColumnDef {
                        name: "id",
                        kind: <$idty as $crate::value::Column>::KIND,
                        nullable: false,
                        vocabulary: None,
                    },
                    $($crate::table::ColumnDef {
                        name: stringify!($field),
                        kind: <$fty as $crate::value::Column>::KIND,
                        nullable: <$fty as $crate::value::Column>::NULLABLE,
                        vocabulary: <$fty as $crate::value::Column>::VOCABULARY,
                    }),+
                ],
                unique: &[$($crate::table::UniqueDef { name: $uname, columns: &[$($ucol),+] }),*],
            };

            fn id(&self) -> $idty {
                self.id
            }

            fn to_row(&self) -> Vec<$crate::value::Value> {
                vec![
                    $crate::value::Column::to_value(&self.id),
                    $($crate::value::Column::to_value(&self.$field)),+
                ]
            }

            fn from_row(row: Vec<$crate::value::Value>) -> Result<Self, $crate::error::StoreError> {
                let expected = <Self as $crate::entity::Entity>::TABLE.columns.len();
                if row.len() != expected {
                    return Err($crate::error::StoreError::Decode(format!(
                        "{} row has {} values, expected {}", $table, row.len(), expected
                    )));
                }
                let mut values = row.into_iter();
                let mut next = || values.next().unwrap_or($crate::value::Value::Null);
                Ok(Self {
                    id: $crate::value::Column::from_value(next())?,
                    $($field: $crate::value::Column::from_value(next())?),+
                })
            }
        }
    };
}

/// Rows produced by the backend always have the table's arity; this checks a hand-built one.
pub fn check_arity(table: &TableDef, row: &[Value]) -> Result<(), StoreError> {
    if row.len() == table.columns.len() {
        Ok(())
    } else {
        Err(StoreError::Decode(format!(
            "{} row has {} values, expected {}",
            table.name,
            row.len(),
            table.columns.len()
        )))
    }
}

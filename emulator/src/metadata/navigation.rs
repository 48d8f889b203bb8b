//! Navigation properties: how `@odata.bind`, `$ref` and navigation paths find the
//! relationship behind a name such as `parentcustomerid_account` or `contact_customer_accounts`.

use super::{EntityDef, ManyToMany, Metadata, Relationship};

/// A single-valued navigation property: a lookup column on this table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SingleValued {
    /// The navigation property name as the client wrote it.
    pub nav: String,
    /// The lookup column it sets (`parentcustomerid`).
    pub attribute: String,
    /// The one table this property points at (`account` for `parentcustomerid_account`),
    /// or `None` for a property over a virtual base type (`ownerid` → systemuser or team).
    pub target: Option<String>,
}

/// What a navigation property name resolves to.
#[derive(Debug, Clone)]
pub enum Navigation<'a> {
    /// A lookup on this table.
    Single(SingleValued),
    /// Child records of a 1:N relationship where this table is the parent.
    OneToMany(&'a Relationship),
    /// The other side of an N:N relationship.
    ManyToMany {
        /// The relationship.
        rel: &'a ManyToMany,
        /// The table on the other side.
        other: &'a str,
    },
}

impl EntityDef {
    /// Resolves a navigation property by its (case-sensitive) name.
    pub fn navigation<'a>(&'a self, metadata: &Metadata, name: &str) -> Option<Navigation<'a>> {
        if let Some(r) = self.many_to_one.iter().find(|r| r.referencing_nav.as_deref() == Some(name)) {
            let target = metadata.entity(&r.referenced_entity).map(|e| e.logical_name.clone());
            return Some(Navigation::Single(SingleValued {
                nav: name.to_string(),
                attribute: r.referencing_attribute.clone(),
                target,
            }));
        }
        if let Some(r) = self.one_to_many.iter().find(|r| r.referenced_nav.as_deref() == Some(name)) {
            return Some(Navigation::OneToMany(r));
        }
        for r in &self.many_to_many {
            if r.entity1 == self.logical_name && r.entity1_nav == name {
                return Some(Navigation::ManyToMany { rel: r, other: &r.entity2 });
            }
            if r.entity2 == self.logical_name && r.entity2_nav == name {
                return Some(Navigation::ManyToMany { rel: r, other: &r.entity1 });
            }
        }
        // Owner columns are bound as `ownerid@odata.bind` to systemusers or teams on every
        // user-owned table, whatever the per-table relationship's navigation name is.
        let attr = self.attribute(name)?;
        (attr.kind == super::AttributeType::Owner).then(|| {
            Navigation::Single(SingleValued { nav: name.to_string(), attribute: attr.logical_name.clone(), target: None })
        })
    }

    /// The navigation property name Dataverse reports in
    /// `Microsoft.Dynamics.CRM.associatednavigationproperty` for a lookup value pointing at `target`.
    pub fn associated_navigation(&self, attribute: &str, target: &str) -> String {
        self.many_to_one
            .iter()
            .filter(|r| r.referencing_attribute == attribute)
            .find(|r| r.referenced_entity == target)
            .or_else(|| self.many_to_one.iter().find(|r| r.referencing_attribute == attribute))
            .and_then(|r| r.referencing_nav.clone())
            .unwrap_or_else(|| attribute.to_string())
    }
}

//! Names of custom components: the publisher prefix every schema name carries, and the
//! entity set name Dataverse derives from a table's logical name.

use crate::error::{Code, Error, Result};

/// Checks `schema_name` (`new_BankAccount`, `cr123_Code`): a publisher prefix of two to
/// eight letters and digits starting with a letter (not the reserved `mscrm`), an
/// underscore, then letters, digits and underscores. `component` names the kind in the
/// message (`Entity`, `Attribute`, …).
pub(super) fn check_schema_name(schema_name: &str, component: &str) -> Result<()> {
    let invalid = || {
        Error::new(
            Code::ExportKeyAttributeInvalidPrefix,
            format!("Export key attribute SchemaName for component {component} must start with a valid customization prefix. '{schema_name}' does not."),
        )
    };
    let (prefix, rest) = schema_name.split_once('_').ok_or_else(invalid)?;
    let prefix_ok = (2..=8).contains(&prefix.len())
        && prefix.starts_with(|c: char| c.is_ascii_alphabetic())
        && prefix.chars().all(|c| c.is_ascii_alphanumeric())
        && !prefix.eq_ignore_ascii_case("mscrm");
    let rest_ok = !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if prefix_ok && rest_ok && schema_name.len() <= 50 {
        Ok(())
    } else {
        Err(invalid())
    }
}


/// The plural Dataverse gives a table's logical name for its entity set (English rules:
/// `…y` after a consonant → `…ies`; `…s`, `…x`, `…z`, `…ch`, `…sh` → `…es`; else `…s`).
pub(super) fn pluralize(name: &str) -> String {
    let vowel_before_y = name.strip_suffix('y').and_then(|s| s.chars().last()).is_some_and(|c| "aeiou".contains(c));
    if name.ends_with('y') && !vowel_before_y {
        format!("{}ies", &name[..name.len() - 1])
    } else if ["s", "x", "z", "ch", "sh"].iter().any(|e| name.ends_with(e)) {
        format!("{name}es")
    } else {
        format!("{name}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals_follow_english_rules() {
        assert_eq!(pluralize("new_bankaccount"), "new_bankaccounts");
        assert_eq!(pluralize("new_category"), "new_categories");
        assert_eq!(pluralize("new_day"), "new_days");
        assert_eq!(pluralize("new_box"), "new_boxes");
        assert_eq!(pluralize("new_address"), "new_addresses");
        assert_eq!(pluralize("new_batch"), "new_batches");
    }

    #[test]
    fn schema_names_need_a_publisher_prefix() {
        assert!(check_schema_name("new_BankAccount", "Entity").is_ok());
        assert!(check_schema_name("cr123_Code", "Attribute").is_ok());
        for bad in ["BankAccount", "_Bank", "n_Bank", "1ab_Bank", "new_", "mscrm_Bank", "new_Bank-Account"] {
            assert!(check_schema_name(bad, "Entity").is_err(), "{bad}");
        }
    }
}

//! Global choices (`GlobalOptionSetDefinitions`): option sets defined once for the org and
//! shared by any number of Picklist and MultiSelectPicklist columns.

use super::OptionDef;

/// A global choice.
#[derive(Debug, Clone)]
pub struct OptionSetDef {
    /// `new_colors`; unique in the org (case-insensitively), prefixed like every custom name.
    pub name: String,
    /// Display label.
    pub display_name: Option<String>,
    /// Description label.
    pub description: Option<String>,
    /// The options, in display order (`OrderOption` changes it).
    pub options: Vec<OptionDef>,
    /// Created over the API (`IsCustomOptionSet`); only these can be deleted.
    pub is_custom: bool,
}

impl OptionSetDef {
    /// An option by value.
    pub fn option(&self, value: i32) -> Option<&OptionDef> {
        self.options.iter().find(|o| o.value == value)
    }
}

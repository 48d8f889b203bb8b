//! Column definitions and their Dataverse types.

/// Dataverse attribute types (`AttributeTypeCode`), as named in metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributeType {
    /// Single line of text.
    String,
    /// Multiple lines of text.
    Memo,
    /// Whole number (Edm.Int32).
    Integer,
    /// Edm.Int64 (versionnumber and friends).
    BigInt,
    /// Edm.Decimal with column precision.
    Decimal,
    /// Edm.Double.
    Double,
    /// Currency (Edm.Decimal, scale 4 on the wire).
    Money,
    /// Two options.
    Boolean,
    /// Date and time, or date-only.
    DateTime,
    /// Choice.
    Picklist,
    /// Choices: several options of one option set (`MultiSelectPicklistType`), sent and
    /// returned as comma-separated values (`"727000000,727000002"`).
    MultiSelectPicklist,
    /// Status (statecode).
    State,
    /// Status reason (statuscode).
    Status,
    /// Lookup to one or more tables.
    Lookup,
    /// Account-or-contact lookup.
    Customer,
    /// Systemuser-or-team lookup.
    Owner,
    /// Edm.Guid.
    Uniqueidentifier,
    /// Activity parties (to, from, …); not an OData property.
    PartyList,
    /// A table name (objecttypecode, activitytypecode, …), Edm.String.
    EntityName,
    /// Image column (Edm.Binary): the record holds the thumbnail, the org's file store the
    /// full-size image.
    Image,
    /// File column: the record holds the file's id (Edm.Guid), the org's file store its bytes.
    File,
    /// Managed property (a complex type); read-only here.
    ManagedProperty,
    /// Anything else the fixtures may name; treated as read-only text.
    Virtual,
}

impl AttributeType {
    /// Parses the metadata name.
    pub fn from_name(s: &str) -> AttributeType {
        match s {
            "String" => Self::String,
            "Memo" => Self::Memo,
            "Integer" => Self::Integer,
            "BigInt" => Self::BigInt,
            "Decimal" => Self::Decimal,
            "Double" => Self::Double,
            "Money" => Self::Money,
            "Boolean" => Self::Boolean,
            "DateTime" => Self::DateTime,
            "Picklist" => Self::Picklist,
            "MultiSelectPicklist" => Self::MultiSelectPicklist,
            "State" => Self::State,
            "Status" => Self::Status,
            "Lookup" => Self::Lookup,
            "Customer" => Self::Customer,
            "Owner" => Self::Owner,
            "Uniqueidentifier" => Self::Uniqueidentifier,
            "PartyList" => Self::PartyList,
            "EntityName" => Self::EntityName,
            "Image" => Self::Image,
            "File" => Self::File,
            "ManagedProperty" => Self::ManagedProperty,
            _ => Self::Virtual,
        }
    }

    /// Lookup-like columns are exposed as `_x_value` and bound through navigation properties.
    pub fn is_lookup(self) -> bool {
        matches!(self, Self::Lookup | Self::Customer | Self::Owner)
    }

    /// Choice-like columns hold an option value.
    pub fn is_choice(self) -> bool {
        matches!(self, Self::Picklist | Self::State | Self::Status)
    }

    /// The Edm type name used in messages and `$metadata`.
    pub fn edm_type(self) -> &'static str {
        match self {
            Self::String | Self::Memo | Self::EntityName | Self::MultiSelectPicklist | Self::Virtual => "Edm.String",
            Self::Integer | Self::Picklist | Self::State | Self::Status => "Edm.Int32",
            Self::BigInt => "Edm.Int64",
            Self::Decimal | Self::Money => "Edm.Decimal",
            Self::Double => "Edm.Double",
            Self::Boolean => "Edm.Boolean",
            Self::DateTime => "Edm.DateTimeOffset",
            Self::Lookup | Self::Customer | Self::Owner | Self::Uniqueidentifier | Self::File => "Edm.Guid",
            Self::Image => "Edm.Binary",
            Self::PartyList | Self::ManagedProperty => "Edm.Untyped",
        }
    }
}

/// How a DateTime column stores and shows its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateTimeKind {
    /// Format DateAndTime: a UTC instant, `2024-05-01T10:20:30Z`.
    DateAndTime,
    /// Format DateOnly with UserLocal behaviour: an instant shown as a date in the UI.
    DateOnlyUserLocal,
    /// DateOnly behaviour: an Edm.Date, `2024-05-01`.
    DateOnly,
}

/// One choice option.
#[derive(Debug, Clone)]
pub struct OptionDef {
    /// The stored value.
    pub value: i32,
    /// The English label.
    pub label: String,
    /// For statuscode options: the statecode they belong to.
    pub state: Option<i32>,
    /// For statecode options: the default statuscode.
    pub default_status: Option<i32>,
    /// For statecode options: the language-independent name (`Active`), reported by metadata.
    pub invariant_name: Option<String>,
}

/// A column definition.
#[derive(Debug, Clone)]
pub struct AttributeDef {
    /// `name`, `primarycontactid`, …
    pub logical_name: String,
    /// `Name`, `PrimaryContactId`, …
    pub schema_name: String,
    /// The Dataverse type.
    pub kind: AttributeType,
    /// Display label.
    pub display_name: Option<String>,
    /// `None`, `ApplicationRequired`, `SystemRequired`, `Recommended`.
    pub required_level: String,
    /// Accepts a value on create.
    pub valid_for_create: bool,
    /// Accepts a value on update.
    pub valid_for_update: bool,
    /// Readable.
    pub valid_for_read: bool,
    /// String/Memo maximum length.
    pub max_length: Option<usize>,
    /// Numeric lower bound.
    pub min_value: Option<f64>,
    /// Numeric upper bound.
    pub max_value: Option<f64>,
    /// Decimal places for Decimal/Double/Money.
    pub precision: Option<u32>,
    /// DateTime behaviour.
    pub date_kind: Option<DateTimeKind>,
    /// Choice options (Boolean columns list 1 then 0). A column over a global choice keeps
    /// a copy of the global set's options, refreshed whenever the set changes.
    pub options: Vec<OptionDef>,
    /// The global choice (`GlobalOptionSetDefinitions(Name=…)`) the column's options come from.
    pub global_option_set: Option<String>,
    /// Lookup target tables.
    pub targets: Vec<String>,
    /// Default value from metadata (Boolean and Picklist columns).
    pub default_value: Option<serde_json::Value>,
    /// Not an OData property: a `…name`/`…yominame`/`…type` companion of a lookup, or a party list.
    pub hidden: bool,
    /// For a lookup companion (`createdbyname`), the lookup it belongs to (metadata's `AttributeOf`).
    pub attribute_of: Option<String>,
    /// Metadata `Format` as the fixture gives it (`TextArea`, `DateOnly`, `None`, …); only reported.
    pub format: Option<String>,
    /// Metadata `FormatName` of text columns (`Text`, `Email`, `Url`, …); only reported.
    pub format_name: Option<String>,
    /// Metadata `DateTimeBehavior` (`UserLocal`, `DateOnly`, `TimeZoneIndependent`); `date_kind`
    /// is what the store uses, this keeps the third behaviour visible to metadata readers.
    pub date_time_behavior: Option<String>,
    /// Money columns: where the precision comes from (0 column, 1 org, 2 currency).
    pub precision_source: Option<i32>,
    /// Image columns: the table's primary image.
    pub is_primary_image: bool,
    /// Image columns: maximum height and width in pixels.
    pub max_image_size: Option<(u32, u32)>,
    /// File and image columns: the largest file accepted, in KB (`MaxSizeInKB`).
    pub max_size_kb: Option<u32>,
    /// Image columns: whether the full-size image is kept besides the thumbnail.
    pub can_store_full_image: bool,
    /// Created over the API (`IsCustomAttribute`); fixture columns are the system's own.
    pub is_custom: bool,
    /// The column's description, if it has one.
    pub description: Option<String>,
    /// The JSON property name, computed once at load (see [`AttributeDef::property_name`]).
    pub property: String,
}

impl AttributeDef {
    /// Whether the column appears in OData payloads at all.
    pub fn is_odata_property(&self) -> bool {
        !self.hidden && self.valid_for_read && self.kind != AttributeType::PartyList
    }

    /// Whether a request body may carry the column: every OData property, plus write-only
    /// columns (valid for create or update but not for read, such as
    /// `serviceendpoint.authvalue`), which are accepted and never returned.
    pub fn is_writable_property(&self) -> bool {
        self.is_odata_property() || (!self.hidden && (self.valid_for_create || self.valid_for_update) && self.kind != AttributeType::PartyList)
    }

    /// The JSON property name: `_primarycontactid_value` for lookups, the logical name otherwise.
    pub fn property_name(&self) -> &str {
        &self.property
    }

    /// The label of an option value, if it exists.
    pub fn option(&self, value: i32) -> Option<&OptionDef> {
        self.options.iter().find(|o| o.value == value)
    }
}

//! JSON Schemas of plan parameters, generated from Rust types.
//!
//! A plan publishes the schema of the `parameters` its provision, update and bind
//! requests take (section «Schemas Object» of the specification). The section «Input
//! Parameters Schema Object» says platforms MUST support at least JSON Schema draft-04
//! and only SHOULD be prepared for later drafts, that the `$schema` key MUST be present,
//! that schemas MUST NOT contain external references and MUST NOT be larger than 64 kB.
//! A broker that wants every platform to understand its schemas therefore publishes
//! draft-04.
//!
//! [`parameters_schema`] derives that schema from the type the broker deserializes its
//! parameters into, so the published schema and the code cannot drift apart:
//!
//! ```
//! use osb::schema::parameters_schema;
//! use schemars::JsonSchema;
//! use serde::Deserialize;
//!
//! /// Settings of a database instance.
//! #[derive(Deserialize, JsonSchema)]
//! #[serde(deny_unknown_fields)]
//! struct DatabaseParams {
//!     /// Disk size in megabytes.
//!     #[schemars(range(min = 1, max = 1024))]
//!     size_mb: u32,
//! }
//!
//! let schema = parameters_schema::<DatabaseParams>();
//! assert_eq!(schema["$schema"], "http://json-schema.org/draft-04/schema#");
//! assert_eq!(schema["properties"]["size_mb"]["maximum"], 1024);
//! let plan = osb::catalog::Plan::new("plan-id", "small", "A small database.").provision_schema(schema);
//! # let _ = plan;
//! ```
//!
//! # From draft-07 to draft-04
//!
//! schemars generates draft-07 at the oldest; [`parameters_schema`] rewrites the result
//! so the draft-04 meta-schema accepts it and a draft-04 validator accepts the same
//! instances a draft-07 validator accepted wherever draft-04 can express it. Keyword by
//! keyword:
//!
//! | draft-06+ keyword | what happens | why |
//! | --- | --- | --- |
//! | `$schema` | set to draft-04 at the root, removed elsewhere | the spec requires the key; draft-04 reads it at the root only |
//! | `$defs` | moved under `definitions`, `$ref`s rewritten | `definitions` is the draft-04 name (draft-04 §5.5.7) |
//! | `$ref` with siblings | the `$ref` moves into `allOf` | draft-04 ignores every sibling of `$ref` |
//! | `const: x` | `enum: [x]` | same meaning |
//! | numeric `exclusiveMinimum: n` | `minimum: n, exclusiveMinimum: true` (the stricter of the two bounds if `minimum` is also set) | draft-04's `exclusiveMinimum` is a boolean modifier of `minimum`; same for the maximum |
//! | `true` / `false` as a schema | `{}` / `{"not": {}}` | draft-04 schemas are objects; as the value of `additionalProperties` or `additionalItems` a boolean is draft-04 and stays |
//! | `if`/`then`/`else` | `anyOf` of `allOf: [if, then]` and `allOf: [{not: if}, else]` | same meaning; a `then` or `else` without `if` has no effect and is dropped |
//! | `dependentRequired`, `dependentSchemas` | merged into `dependencies` | draft-04 `dependencies` holds both forms |
//! | `contains: s` | `not: {type: array, items: {not: s}}` | same meaning; `minContains`/`maxContains` cannot be expressed and are dropped (a `minContains: 0` drops `contains` too) |
//! | `format` | kept for date-time, email, hostname, ipv4, ipv6, uri; `ip` becomes `anyOf` ipv4/ipv6; any other (schemars' `uint32`, `int64`, `double`, `uuid`, `date`, …) dropped | the formats draft-04 §7.3 defines; `minimum`/`maximum` already carry the integer ranges |
//! | `examples`, `deprecated`, `readOnly`, `writeOnly`, `$comment` | dropped | annotations only, unknown to draft-04; dropping one never changes which instances are valid, and strict draft-04 tooling rejects unknown keywords |
//! | `contentEncoding`, `contentMediaType`, `contentSchema` | dropped | annotations in 2019-09+ and no draft-04 equivalent; the string is still typed |
//! | `propertyNames`, `unevaluatedProperties`, `unevaluatedItems` | dropped | no draft-04 equivalent (schemars already turns `unevaluatedProperties` into `additionalProperties`) |
//! | `$id`, `id`, `$anchor`, `$dynamicAnchor`, `$recursiveAnchor`, `$dynamicRef`, `$recursiveRef`, `$vocabulary` | dropped | an `id` changes the base URI `$ref`s resolve against, which could turn internal `#/definitions/…` references into external ones (the spec forbids those); the others are not draft-04 |
//! | empty `required` / `enum`, repeated values in them | an empty `required` is removed, an empty `enum` becomes `not: {}`, repeats are removed | draft-04 requires both non-empty (§5.4.3, §5.5.1) and unique; draft-06 relaxed that |
//!
//! Dropping a keyword that constrains (`propertyNames`, `maxContains`, a non-draft-04
//! `format`, …) makes the published schema accept more than the type does, never less;
//! deserializing into the type still rejects what the type rejects.
//!
//! `title`: schemars names the root schema after the Rust type (`"title":
//! "DatabaseParams"`). That name is an implementation detail, so it is removed; a title
//! written on purpose (`#[schemars(title = "…")]` or a `# Heading` doc comment) stays,
//! unless it is exactly the type's name. Doc comments become `description`s: the
//! type's on the root, each field's on its property.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BTreeMap;

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value, json};

/// The `$schema` URI of JSON Schema draft-04, the version every platform supports
/// («Input Parameters Schema Object»).
const DRAFT_04: &str = "http://json-schema.org/draft-04/schema#";

/// The `format` values JSON Schema Validation draft-04 §7.3 defines.
const DRAFT_04_FORMATS: [&str; 6] = ["date-time", "email", "hostname", "ipv4", "ipv6", "uri"];

/// Keywords removed wherever they appear as a schema keyword; the table in the module
/// documentation gives the reason for each.
const DROPPED: [&str; 20] = [
    "$schema",
    "$id",
    "id",
    "$anchor",
    "$dynamicAnchor",
    "$recursiveAnchor",
    "$dynamicRef",
    "$recursiveRef",
    "$vocabulary",
    "$comment",
    "examples",
    "deprecated",
    "readOnly",
    "writeOnly",
    "contentEncoding",
    "contentMediaType",
    "contentSchema",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
];

/// The JSON Schema (draft-04) of the parameters type `T`, ready for
/// [`Plan::provision_schema`](crate::catalog::Plan::provision_schema),
/// [`update_schema`](crate::catalog::Plan::update_schema) or
/// [`bind_schema`](crate::catalog::Plan::bind_schema).
///
/// The schema is generated by schemars for JSON Schema draft-07 (the oldest it offers),
/// with the contract of `Deserialize`, then rewritten to draft-04 as the
/// [module documentation](self) details: `$schema` is draft-04, sub-schemas live under
/// `definitions` and every later-draft keyword schemars can produce is converted or
/// dropped. Keywords no draft defines (`x-…` extensions) pass through; draft-04
/// validators ignore them. A `$ref` to another document, which only a hand-written
/// [`JsonSchema`] impl could produce, is left alone for
/// [`Catalog::validate`](crate::catalog::Catalog::validate) to report (the spec forbids
/// external references).
///
/// The specification expects parameters to be a JSON object, one property per
/// parameter, so `T` should be a struct (or a map); use [`NoParams`] for a plan that
/// takes none.
pub fn parameters_schema<T: JsonSchema>() -> Value {
    let mut schema = SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value();
    if let Value::Object(root) = &mut schema {
        // schemars titles the root after the Rust type when nothing else did; that name
        // means nothing to a platform's user.
        if root.get("title").and_then(Value::as_str) == Some(T::schema_name().as_ref()) {
            root.remove("title");
        }
    }
    to_draft04(&mut schema);
    schema
}

/// The JSON Schema (draft-04) of a plan that takes no parameters: an object with no
/// properties, `{"$schema": "http://json-schema.org/draft-04/schema#", "type": "object",
/// "properties": {}, "additionalProperties": false}`.
///
/// A platform that reads it rejects any parameter before calling the broker, and the
/// router's own validation answers 400 to a request that sends one anyway. It equals
/// `parameters_schema::<NoParams>()`.
pub fn no_parameters_schema() -> Value {
    // An empty `properties` makes validators name the unexpected property
    // ("Additional properties are not allowed ('size' was unexpected)").
    json!({
        "$schema": DRAFT_04,
        "type": "object",
        "properties": {},
        "additionalProperties": false,
    })
}

/// The parameters of a plan that takes none.
///
/// It deserializes from `{}` only: any property is refused with serde's usual "unknown
/// field … there are no fields", and an array or any other JSON value is an error. It
/// serializes to `{}`. Its
/// [`JsonSchema`] is an object without properties that forbids additional ones, so
/// [`parameters_schema::<NoParams>()`](parameters_schema) equals
/// [`no_parameters_schema()`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
// `deny_unknown_fields` alone is not enough: serde's derived visitor for a struct also
// accepts a sequence, so `[]` would deserialize. Going through a map accepts objects
// only, and `EmptyObject` denies unknown fields with serde's own message.
#[serde(try_from = "EmptyObject")]
pub struct NoParams {}

/// What [`NoParams`] deserializes through: any JSON object, checked to be empty.
#[derive(Deserialize)]
struct EmptyObject(BTreeMap<String, IgnoredAny>);

impl TryFrom<EmptyObject> for NoParams {
    type Error = String;

    fn try_from(EmptyObject(fields): EmptyObject) -> Result<Self, Self::Error> {
        match fields.keys().next() {
            None => Ok(NoParams {}),
            Some(field) => Err(format!("unknown field `{field}`, there are no fields")),
        }
    }
}

impl JsonSchema for NoParams {
    fn inline_schema() -> bool {
        // Two keywords: inside another type, a `definitions` entry and a `$ref` to it
        // would only make the schema longer.
        true
    }

    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("NoParams")
    }

    fn schema_id() -> Cow<'static, str> {
        Cow::Borrowed(concat!(module_path!(), "::NoParams"))
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "object",
            "properties": {},
            "additionalProperties": false,
        })
    }
}

/// Rewrites a draft-06+ schema document to draft-04 in place.
fn to_draft04(schema: &mut Value) {
    convert(schema);
    if let Value::Object(root) = schema {
        // «Input Parameters Schema Object»: the `$schema` key MUST be present.
        root.insert("$schema".to_owned(), DRAFT_04.into());
    }
}

/// The draft-04 form of a boolean schema: `true` accepts everything, `false` nothing.
fn bool_schema(accept: bool) -> Value {
    if accept {
        json!({})
    } else {
        json!({"not": {}})
    }
}

/// Rewrites one schema and, recursively, its sub-schemas.
fn convert(schema: &mut Value) {
    if let Value::Bool(accept) = *schema {
        *schema = bool_schema(accept);
        return;
    }
    let Value::Object(object) = schema else {
        return;
    };
    rewrite_keywords(object);
    // After `rewrite_keywords` every sub-schema sits under a draft-04 keyword, including
    // the ones it moved (the `if` of an `if`/`then`/`else` now lives in `allOf`).
    convert_subschemas(object);
    isolate_ref(object);
}

/// Converts the sub-schemas of a schema: only values in schema position, never
/// instance data such as `enum` members or a `default`.
fn convert_subschemas(object: &mut Map<String, Value>) {
    for (keyword, value) in object.iter_mut() {
        match keyword.as_str() {
            "not" => convert(value),
            // A boolean here is draft-04 (§5.4.4, §5.3.1): keep it.
            "additionalProperties" | "additionalItems" if !value.is_boolean() => convert(value),
            "items" => match value {
                Value::Array(schemas) => schemas.iter_mut().for_each(convert),
                _ => convert(value),
            },
            "allOf" | "anyOf" | "oneOf" => {
                if let Value::Array(schemas) = value {
                    schemas.iter_mut().for_each(convert);
                }
            }
            "properties" | "patternProperties" | "definitions" => {
                if let Value::Object(schemas) = value {
                    schemas.values_mut().for_each(convert);
                }
            }
            "dependencies" => {
                if let Value::Object(dependencies) = value {
                    // Arrays are property dependencies, everything else a schema.
                    dependencies
                        .values_mut()
                        .filter(|dependency| !dependency.is_array())
                        .for_each(convert);
                }
            }
            _ => {}
        }
    }
}

/// Rewrites the keywords of one schema object (not its sub-schemas) to draft-04.
fn rewrite_keywords(object: &mut Map<String, Value>) {
    for keyword in DROPPED {
        object.remove(keyword);
    }
    move_defs(object);
    if let Some(Value::String(reference)) = object.get_mut("$ref")
        && let Some(rewritten) = draft04_pointer(reference)
    {
        *reference = rewritten;
    }
    if let Some(value) = object.remove("const") {
        add_constraint(object, "enum", json!([value]));
    }
    exclusive_bound(object, "exclusiveMinimum", "minimum", Ordering::Greater);
    exclusive_bound(object, "exclusiveMaximum", "maximum", Ordering::Less);
    conditional(object);
    dependent(object);
    contains(object);
    format(object);
    non_empty_arrays(object);
}

/// Moves `$defs` (2019-09) into `definitions` (draft-04 §5.5.7).
fn move_defs(object: &mut Map<String, Value>) {
    let Some(Value::Object(defs)) = object.remove("$defs") else {
        return;
    };
    let definitions = object
        .entry("definitions")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(definitions) = definitions {
        for (name, schema) in defs {
            definitions.entry(name).or_insert(schema);
        }
    }
}

/// The draft-04 spelling of an internal reference (`#/$defs/A` → `#/definitions/A`),
/// or `None` when it needs no change. Only keyword segments are renamed: a property
/// called `$defs` keeps its name.
fn draft04_pointer(reference: &str) -> Option<String> {
    let path = reference.strip_prefix("#/")?;
    let mut segments = path.split('/').peekable();
    let mut rewritten = Vec::new();
    while let Some(keyword) = segments.next() {
        rewritten.push(match keyword {
            "$defs" => "definitions",
            "dependentSchemas" => "dependencies",
            "prefixItems" => "items",
            other => other,
        });
        // These keywords are followed by a property name or an array index.
        let named = matches!(
            keyword,
            "properties"
                | "patternProperties"
                | "definitions"
                | "$defs"
                | "dependencies"
                | "dependentSchemas"
                | "allOf"
                | "anyOf"
                | "oneOf"
                | "prefixItems"
        ) || (keyword == "items"
            && segments
                .peek()
                .is_some_and(|index| index.bytes().all(|b| b.is_ascii_digit())));
        if named && let Some(name) = segments.next() {
            rewritten.push(name);
        }
    }
    let rewritten = format!("#/{}", rewritten.join("/"));
    (rewritten != reference).then_some(rewritten)
}

/// Adds `keyword: value` to the schema; when the keyword is already taken the new
/// constraint goes into `allOf`, so both apply.
fn add_constraint(object: &mut Map<String, Value>, keyword: &str, value: Value) {
    if object.contains_key(keyword) {
        let mut constraint = Map::new();
        constraint.insert(keyword.to_owned(), value);
        push_all_of(object, Value::Object(constraint));
    } else {
        object.insert(keyword.to_owned(), value);
    }
}

/// Appends a schema to `allOf`.
fn push_all_of(object: &mut Map<String, Value>, schema: Value) {
    match object.get_mut("allOf") {
        Some(Value::Array(all_of)) => all_of.push(schema),
        _ => {
            object.insert("allOf".to_owned(), Value::Array(vec![schema]));
        }
    }
}

/// Makes the schema reject every instance.
fn unsatisfiable(object: &mut Map<String, Value>) {
    add_constraint(object, "not", json!({}));
}

/// Draft-06 made `exclusiveMinimum` a number of its own; in draft-04 it is a boolean
/// that makes `minimum` exclusive (§5.1.3). Both may be set in draft-06, so the stricter
/// bound wins. `stricter` is how an inclusive bound compares to the exclusive one when
/// the inclusive one is the stricter (greater for a minimum, less for a maximum).
fn exclusive_bound(
    object: &mut Map<String, Value>,
    exclusive: &str,
    inclusive: &str,
    stricter: Ordering,
) {
    let Some(Value::Number(limit)) = object.get(exclusive) else {
        return;
    };
    let limit = limit.clone();
    let inclusive_is_stricter = matches!(
        object.get(inclusive),
        Some(Value::Number(bound)) if compare(bound, &limit) == Some(stricter)
    );
    if inclusive_is_stricter {
        object.remove(exclusive);
    } else {
        object.insert(inclusive.to_owned(), Value::Number(limit));
        object.insert(exclusive.to_owned(), Value::Bool(true));
    }
}

/// Compares two JSON numbers, exactly when both are integers.
fn compare(a: &Number, b: &Number) -> Option<Ordering> {
    fn integer(n: &Number) -> Option<i128> {
        n.as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
    }
    match (integer(a), integer(b)) {
        (Some(a), Some(b)) => Some(a.cmp(&b)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

/// `if`/`then`/`else` (draft-07 §6.6) as draft-04 combinators:
/// `(if ∧ then) ∨ (¬if ∧ else)`, where a missing branch accepts everything.
fn conditional(object: &mut Map<String, Value>) {
    let condition = object.remove("if");
    let then = object.remove("then");
    let otherwise = object.remove("else");
    // Without `if`, `then` and `else` have no effect (draft-07 §6.6.2, §6.6.3).
    let Some(condition) = condition else {
        return;
    };
    let rule = match (then, otherwise) {
        (None, None) => return,
        (Some(then), None) => json!({"anyOf": [{"not": condition}, then]}),
        (None, Some(otherwise)) => json!({"anyOf": [condition, otherwise]}),
        (Some(then), Some(otherwise)) => json!({"anyOf": [
            {"allOf": [condition.clone(), then]},
            {"allOf": [{"not": condition}, otherwise]},
        ]}),
    };
    push_all_of(object, rule);
}

/// `dependentRequired` and `dependentSchemas` (2019-09 split of `dependencies`) merged
/// back into draft-04 `dependencies` (§5.4.5).
fn dependent(object: &mut Map<String, Value>) {
    let required = object.remove("dependentRequired");
    let schemas = object.remove("dependentSchemas");
    for dependency in [required, schemas].into_iter().flatten() {
        let Value::Object(dependency) = dependency else {
            continue;
        };
        for (property, needs) in dependency {
            add_dependency(object, property, needs);
        }
    }
    if let Some(Value::Object(dependencies)) = object.get_mut("dependencies") {
        for needs in dependencies.values_mut() {
            if let Value::Array(names) = needs {
                dedupe(names);
            }
        }
        // Draft-04 wants at least one name in a property dependency; none means no
        // constraint.
        dependencies.retain(|_, needs| needs.as_array().is_none_or(|names| !names.is_empty()));
        if dependencies.is_empty() {
            object.remove("dependencies");
        }
    }
}

/// Adds one dependency; two for the same property become an `allOf`.
fn add_dependency(object: &mut Map<String, Value>, property: String, needs: Value) {
    fn as_schema(needs: Value) -> Value {
        match needs {
            Value::Array(names) => json!({"required": names}),
            schema => schema,
        }
    }
    let dependencies = object
        .entry("dependencies")
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(dependencies) = dependencies else {
        return;
    };
    match dependencies.remove(&property) {
        None => {
            dependencies.insert(property, needs);
        }
        Some(existing) => {
            let both = json!({"allOf": [as_schema(existing), as_schema(needs)]});
            dependencies.insert(property, both);
        }
    }
}

/// `contains` (draft-06): some item matches, which draft-04 says as "it is not an
/// array whose items all fail".
fn contains(object: &mut Map<String, Value>) {
    let min_contains = object.remove("minContains");
    object.remove("maxContains");
    let Some(schema) = object.remove("contains") else {
        return;
    };
    // `minContains: 0` (2019-09) makes `contains` always succeed.
    if min_contains.as_ref().and_then(Value::as_u64) == Some(0) {
        return;
    }
    push_all_of(
        object,
        json!({"not": {"type": "array", "items": {"not": schema}}}),
    );
}

/// Keeps the `format`s draft-04 §7.3 defines.
fn format(object: &mut Map<String, Value>) {
    let Some(Value::String(format)) = object.get("format") else {
        return;
    };
    if DRAFT_04_FORMATS.contains(&format.as_str()) {
        return;
    }
    // schemars' `ip` (std::net::IpAddr) is exactly "ipv4 or ipv6".
    let ip = format == "ip";
    object.remove("format");
    if ip {
        add_constraint(
            object,
            "anyOf",
            json!([{"format": "ipv4"}, {"format": "ipv6"}]),
        );
    }
}

/// The draft-04 meta-schema requires `required` and `enum` to be non-empty arrays of
/// unique values (§5.4.3, §5.5.1); draft-06 allows them empty and drops the uniqueness
/// of `enum`, and schemars' merging of flattened types can repeat a `required` name.
fn non_empty_arrays(object: &mut Map<String, Value>) {
    if let Some(Value::Array(names)) = object.get_mut("required") {
        dedupe(names);
        if names.is_empty() {
            // No required property: no constraint.
            object.remove("required");
        }
    }
    if let Some(Value::Array(values)) = object.get_mut("enum") {
        dedupe(values);
        if values.is_empty() {
            // No allowed value: nothing is valid.
            object.remove("enum");
            unsatisfiable(object);
        }
    }
}

/// Removes repeated values, keeping the first of each.
fn dedupe(values: &mut Vec<Value>) {
    let mut seen: Vec<Value> = Vec::with_capacity(values.len());
    values.retain(|value| {
        if seen.contains(value) {
            false
        } else {
            seen.push(value.clone());
            true
        }
    });
}

/// Draft-04 ignores everything next to a `$ref` (JSON Reference: "any members other
/// than $ref … SHALL be ignored"), so a `$ref` with siblings moves into `allOf` where
/// both apply. schemars' draft-07 settings already do this; the rewrites above must not
/// undo it.
fn isolate_ref(object: &mut Map<String, Value>) {
    if object.len() > 1
        && let Some(reference) = object.remove("$ref")
    {
        push_all_of(object, json!({"$ref": reference}));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, HashMap};
    use std::net::IpAddr;
    use std::num::{NonZeroI32, NonZeroU64};

    /// Settings of a database instance.
    #[derive(Debug, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Database {
        /// Disk size in megabytes.
        #[serde(default = "default_size_mb")]
        #[schemars(range(min = 1, max = 1024))]
        size_mb: u32,
        /// Where the instance runs.
        region: Region,
        /// Read replicas; the service picks when absent.
        replicas: Option<u32>,
        /// Labels.
        #[serde(default)]
        tags: Vec<String>,
        backup: Backup,
    }

    fn default_size_mb() -> u32 {
        256
    }

    /// A region.
    #[derive(Debug, Deserialize, Serialize, JsonSchema)]
    #[serde(rename_all = "kebab-case")]
    enum Region {
        EuWest,
        UsEast,
    }

    #[derive(Debug, Deserialize, JsonSchema)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Backup {
        enabled: bool,
        /// First hour of the backup window, after midnight.
        #[schemars(extend("exclusiveMinimum" = 0, "examples" = [3]))]
        start_hour: Option<u8>,
    }

    /// Where data lives.
    #[derive(Deserialize, JsonSchema)]
    #[serde(tag = "kind", rename_all = "snake_case")]
    #[allow(dead_code)]
    enum Storage {
        Local {
            path: String,
        },
        ObjectStore {
            bucket: String,
            #[schemars(url)]
            endpoint: String,
        },
        Nowhere,
    }

    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    enum Mixed {
        Plain,
        Sized(NonZeroI32),
        Any(serde_json::Value),
    }

    /// A tree of names.
    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Node {
        name: String,
        children: Vec<Node>,
    }

    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Forest {
        trees: Vec<Node>,
        extra: HashMap<String, serde_json::Value>,
        anything: Vec<serde_json::Value>,
        address: IpAddr,
        pair: (u8, String),
        #[serde(flatten)]
        backup: Backup,
    }

    #[derive(Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Flat {
        name: String,
        #[serde(flatten)]
        storage: Storage,
    }

    /// Every schema the tests generate, with a name for failure messages.
    fn generated() -> Vec<(&'static str, Value)> {
        vec![
            ("Database", parameters_schema::<Database>()),
            ("Region", parameters_schema::<Region>()),
            ("Backup", parameters_schema::<Backup>()),
            ("Storage", parameters_schema::<Storage>()),
            ("Mixed", parameters_schema::<Mixed>()),
            ("Node", parameters_schema::<Node>()),
            ("Forest", parameters_schema::<Forest>()),
            ("Flat", parameters_schema::<Flat>()),
            ("NoParams", parameters_schema::<NoParams>()),
            ("no_parameters_schema", no_parameters_schema()),
            ("Option<u32>", parameters_schema::<Option<u32>>()),
            ("Vec<String>", parameters_schema::<Vec<String>>()),
            ("NonZeroU64", parameters_schema::<NonZeroU64>()),
            (
                "BTreeMap<String, Region>",
                parameters_schema::<BTreeMap<String, Region>>(),
            ),
            (
                "serde_json::Value",
                parameters_schema::<serde_json::Value>(),
            ),
            ("later drafts", converted_later_drafts()),
        ]
    }

    #[test]
    fn database_schema() {
        assert_eq!(
            parameters_schema::<Database>(),
            json!({
                "$schema": "http://json-schema.org/draft-04/schema#",
                "description": "Settings of a database instance.",
                "type": "object",
                "properties": {
                    "size_mb": {
                        "description": "Disk size in megabytes.",
                        "type": "integer",
                        "minimum": 1,
                        "maximum": 1024,
                        "default": 256
                    },
                    "region": {
                        "description": "Where the instance runs.",
                        "allOf": [{"$ref": "#/definitions/Region"}]
                    },
                    "replicas": {
                        "description": "Read replicas; the service picks when absent.",
                        "type": ["integer", "null"],
                        "minimum": 0
                    },
                    "tags": {
                        "description": "Labels.",
                        "type": "array",
                        "items": {"type": "string"},
                        "default": []
                    },
                    "backup": {"$ref": "#/definitions/Backup"}
                },
                "required": ["region", "backup"],
                "additionalProperties": false,
                "definitions": {
                    "Region": {
                        "description": "A region.",
                        "type": "string",
                        "enum": ["eu-west", "us-east"]
                    },
                    "Backup": {
                        "type": "object",
                        "properties": {
                            "enabled": {"type": "boolean"},
                            "startHour": {
                                "description": "First hour of the backup window, after midnight.",
                                "type": ["integer", "null"],
                                "minimum": 0,
                                "exclusiveMinimum": true,
                                "maximum": 255
                            }
                        },
                        "required": ["enabled"]
                    }
                }
            })
        );
    }

    #[test]
    fn recursive_schema() {
        // The root refers to itself with `#`, a nested use through `definitions`.
        assert_eq!(
            parameters_schema::<Node>(),
            json!({
                "$schema": "http://json-schema.org/draft-04/schema#",
                "description": "A tree of names.",
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "children": {"type": "array", "items": {"$ref": "#"}}
                },
                "required": ["name", "children"]
            })
        );
        let forest = parameters_schema::<Forest>();
        assert_eq!(
            forest["properties"]["trees"]["items"],
            json!({"$ref": "#/definitions/Node"})
        );
        assert_eq!(
            forest["definitions"]["Node"]["properties"]["children"]["items"],
            json!({"$ref": "#/definitions/Node"})
        );
    }

    #[test]
    fn tagged_enum_schema() {
        // `const` of the tags became one-value `enum`s.
        assert_eq!(
            parameters_schema::<Storage>(),
            json!({
                "$schema": "http://json-schema.org/draft-04/schema#",
                "description": "Where data lives.",
                "oneOf": [
                    {
                        "type": "object",
                        "properties": {
                            "kind": {"type": "string", "enum": ["local"]},
                            "path": {"type": "string"}
                        },
                        "required": ["kind", "path"]
                    },
                    {
                        "type": "object",
                        "properties": {
                            "kind": {"type": "string", "enum": ["object_store"]},
                            "bucket": {"type": "string"},
                            "endpoint": {"type": "string", "format": "uri"}
                        },
                        "required": ["kind", "bucket", "endpoint"]
                    },
                    {
                        "type": "object",
                        "properties": {"kind": {"type": "string", "enum": ["nowhere"]}},
                        "required": ["kind"]
                    }
                ]
            })
        );
    }

    #[test]
    fn keywords_schemars_emits_for_std_types() {
        let forest = parameters_schema::<Forest>();
        let properties = &forest["properties"];
        // `items: true` and a `true` property schema become `{}`.
        assert_eq!(
            properties["anything"],
            json!({"type": "array", "items": {}})
        );
        // A boolean `additionalProperties` is draft-04 and stays.
        assert_eq!(
            properties["extra"],
            json!({"type": "object", "additionalProperties": true})
        );
        // `format: ip` is not draft-04 but means "ipv4 or ipv6".
        assert_eq!(
            properties["address"],
            json!({"type": "string", "anyOf": [{"format": "ipv4"}, {"format": "ipv6"}]})
        );
        // schemars' `prefixItems` became positional `items`; `format: uint8` is gone.
        assert_eq!(
            properties["pair"]["items"][0],
            json!({"type": "integer", "minimum": 0, "maximum": 255})
        );
        // `Mixed::Sized` holds a `NonZeroI32`: `not: {const: 0}` → `not: {enum: [0]}`.
        let mixed = parameters_schema::<Mixed>();
        assert_eq!(
            mixed["oneOf"][1]["properties"]["Sized"],
            json!({"type": "integer", "not": {"enum": [0]}})
        );
        assert_eq!(mixed["oneOf"][2]["properties"]["Any"], json!({}));
        // A flattened enum under `deny_unknown_fields`: schemars lists the variants'
        // properties as `true` schemas, now `{}`.
        let flat = parameters_schema::<Flat>();
        assert_eq!(flat["properties"]["bucket"], json!({}));
        assert_eq!(flat["additionalProperties"], json!(false));
        // A root boolean schema (`serde_json::Value` is `true`) becomes an object.
        assert_eq!(
            parameters_schema::<serde_json::Value>(),
            json!({"$schema": "http://json-schema.org/draft-04/schema#"})
        );
    }

    #[test]
    fn explicit_titles_stay() {
        /// # Disk size
        /// How much to store.
        #[derive(Deserialize, JsonSchema)]
        #[allow(dead_code)]
        struct Disk {
            size_gb: u16,
        }
        let schema = parameters_schema::<Disk>();
        assert_eq!(schema["title"], "Disk size");
        assert_eq!(schema["description"], "How much to store.");
        assert!(parameters_schema::<Database>().get("title").is_none());
    }

    #[test]
    fn no_params() {
        let schema = no_parameters_schema();
        assert_eq!(
            schema,
            json!({
                "$schema": "http://json-schema.org/draft-04/schema#",
                "type": "object",
                "properties": {},
                "additionalProperties": false
            })
        );
        assert_eq!(parameters_schema::<NoParams>(), schema);

        assert_eq!(serde_json::from_str::<NoParams>("{}").unwrap(), NoParams {});
        assert_eq!(
            serde_json::from_value::<NoParams>(json!({})).unwrap(),
            NoParams::default()
        );
        let unknown = serde_json::from_value::<NoParams>(json!({"size": 1})).unwrap_err();
        assert_eq!(
            unknown.to_string(),
            "unknown field `size`, there are no fields"
        );
        for not_an_object in [json!([]), json!(null), json!(""), json!(0)] {
            assert!(
                serde_json::from_value::<NoParams>(not_an_object.clone()).is_err(),
                "{not_an_object}"
            );
        }
        assert_eq!(serde_json::to_value(NoParams {}).unwrap(), json!({}));

        // NoParams nested in another type stays inline.
        #[derive(Deserialize, JsonSchema)]
        #[allow(dead_code)]
        struct Outer {
            inner: NoParams,
        }
        let outer = parameters_schema::<Outer>();
        assert_eq!(
            outer["properties"]["inner"],
            json!({"type": "object", "properties": {}, "additionalProperties": false})
        );
        assert!(outer.get("definitions").is_none());

        let validator = jsonschema::draft4::new(&schema).unwrap();
        assert!(validator.is_valid(&json!({})));
        let unknown = json!({"size": 1});
        assert_eq!(
            validator.validate(&unknown).unwrap_err().to_string(),
            "Additional properties are not allowed ('size' was unexpected)"
        );
    }

    #[test]
    fn every_schema_is_valid_draft04() {
        for (name, schema) in generated() {
            if let Err(error) = jsonschema::draft4::meta::validate(&schema) {
                panic!("{name}: not a valid draft-04 schema: {error}\n{schema:#}");
            }
            // The generic entry point, as the catalog check uses it, picks draft-04 from
            // `$schema`.
            assert!(jsonschema::meta::is_valid(&schema), "{name}");
            assert!(jsonschema::draft4::new(&schema).is_ok(), "{name}");
            // «Input Parameters Schema Object»: at most 64 kB.
            assert!(
                serde_json::to_vec(&schema).unwrap().len() <= 64 * 1024,
                "{name}"
            );
        }
    }

    #[test]
    fn catalog_accepts_the_schemas() {
        let plan = crate::catalog::Plan::new("plan-id", "small", "A small database.")
            .provision_schema(parameters_schema::<Database>())
            .update_schema(parameters_schema::<NoParams>())
            .bind_schema(no_parameters_schema());
        let service = crate::catalog::ServiceOffering::new("service-id", "db", "Databases.")
            .bindable(true)
            .plan(plan);
        assert!(crate::catalog::Catalog::new([service]).validate().is_ok());
    }

    #[test]
    fn no_later_draft_keyword_remains() {
        for (name, schema) in generated() {
            assert_eq!(schema["$schema"], DRAFT_04, "{name}");
            let visited = check_draft04_shape(&schema, &schema, "#", true)
                .unwrap_or_else(|problem| panic!("{name}: {problem}\n{schema:#}"));
            assert!(visited >= 1, "{name}");
        }
        // The walk does look everywhere: the recursive types have many sub-schemas.
        let forest = parameters_schema::<Forest>();
        assert!(check_draft04_shape(&forest, &forest, "#", true).unwrap() > 10);
    }

    /// Walks every sub-schema of `schema` (the node at `at`) and fails on anything
    /// draft-04 lacks. Returns how many schemas it visited.
    fn check_draft04_shape(
        root: &Value,
        schema: &Value,
        at: &str,
        is_root: bool,
    ) -> Result<usize, String> {
        let Value::Object(object) = schema else {
            return Err(format!("{at} is not an object schema: {schema}"));
        };
        for keyword in [
            "$defs",
            "const",
            "examples",
            "if",
            "then",
            "else",
            "contains",
            "dependentRequired",
            "dependentSchemas",
            "propertyNames",
            "prefixItems",
            "unevaluatedProperties",
            "unevaluatedItems",
            "$id",
            "$comment",
            "contentEncoding",
            "contentMediaType",
            "deprecated",
            "readOnly",
            "writeOnly",
        ] {
            if object.contains_key(keyword) {
                return Err(format!("{at} has `{keyword}`"));
            }
        }
        if !is_root && object.contains_key("$schema") {
            return Err(format!("{at} has a nested `$schema`"));
        }
        for keyword in ["exclusiveMinimum", "exclusiveMaximum"] {
            if object.get(keyword).is_some_and(|value| !value.is_boolean()) {
                return Err(format!("{at} has a numeric `{keyword}`"));
            }
        }
        if let Some(format) = object.get("format")
            && !format
                .as_str()
                .is_some_and(|format| DRAFT_04_FORMATS.contains(&format))
        {
            return Err(format!("{at} has the non-draft-04 format {format}"));
        }
        if let Some(reference) = object.get("$ref") {
            let reference = reference
                .as_str()
                .ok_or(format!("{at}: `$ref` is not a string"))?;
            if object.len() > 1 {
                return Err(format!("{at}: `$ref` has siblings, which draft-04 ignores"));
            }
            let target = match reference {
                "#" => Some(root),
                _ => reference
                    .strip_prefix("#/definitions/")
                    .and_then(|name| root["definitions"].get(name)),
            };
            if target.is_none() {
                return Err(format!(
                    "{at}: `$ref` {reference} does not point into #/definitions"
                ));
            }
        }

        let mut visited = 1;
        let mut visit =
            |value: &Value, path: String, boolean_allowed: bool| -> Result<(), String> {
                if boolean_allowed && value.is_boolean() {
                    return Ok(());
                }
                if value.is_boolean() {
                    return Err(format!("{path} is a boolean schema"));
                }
                visited += check_draft04_shape(root, value, &path, false)?;
                Ok(())
            };
        for (keyword, value) in object {
            let here = format!("{at}/{keyword}");
            match keyword.as_str() {
                "not" => visit(value, here, false)?,
                "additionalProperties" | "additionalItems" => visit(value, here, true)?,
                "items" => match value {
                    Value::Array(schemas) => {
                        for (index, schema) in schemas.iter().enumerate() {
                            visit(schema, format!("{here}/{index}"), false)?;
                        }
                    }
                    schema => visit(schema, here, false)?,
                },
                "allOf" | "anyOf" | "oneOf" => {
                    for (index, schema) in value.as_array().into_iter().flatten().enumerate() {
                        visit(schema, format!("{here}/{index}"), false)?;
                    }
                }
                "properties" | "patternProperties" | "definitions" => {
                    for (name, schema) in value.as_object().into_iter().flatten() {
                        visit(schema, format!("{here}/{name}"), false)?;
                    }
                }
                "dependencies" => {
                    for (name, dependency) in value.as_object().into_iter().flatten() {
                        if !dependency.is_array() {
                            visit(dependency, format!("{here}/{name}"), false)?;
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(visited)
    }

    #[test]
    fn draft04_validator_applies_the_constraints() {
        let database = jsonschema::draft4::new(&parameters_schema::<Database>()).unwrap();
        let valid = json!({
            "size_mb": 1024,
            "region": "eu-west",
            "replicas": null,
            "tags": ["a"],
            "backup": {"enabled": true, "startHour": 1}
        });
        assert!(database.is_valid(&valid));
        // The same document deserializes.
        assert!(serde_json::from_value::<Database>(valid.clone()).is_ok());
        assert!(database.is_valid(&json!({"region": "us-east", "backup": {"enabled": false}})));

        let error = |instance: Value| -> String {
            database
                .validate(&instance)
                .map(|()| panic!("{instance} is valid"))
                .unwrap_err()
                .to_string()
        };
        let with = |pointer: &str, value: Value| {
            let mut instance = valid.clone();
            *instance.pointer_mut(pointer).unwrap() = value;
            instance
        };
        assert_eq!(
            error(with("/size_mb", json!(5000))),
            "5000 is greater than the maximum of 1024"
        );
        assert_eq!(
            error(with("/size_mb", json!(0))),
            "0 is less than the minimum of 1"
        );
        assert_eq!(
            error(with("/size_mb", json!(1.5))),
            r#"1.5 is not of type "integer""#
        );
        assert_eq!(
            error(with("/replicas", json!(-1))),
            "-1 is less than the minimum of 0"
        );
        assert_eq!(
            error(with("/region", json!("mars"))),
            r#""mars" is not one of "eu-west" or "us-east""#
        );
        assert_eq!(
            error(with("/backup/startHour", json!(0))),
            "0 is less than or equal to the minimum of 0"
        );
        assert_eq!(
            error(with("/tags/0", json!(1))),
            r#"1 is not of type "string""#
        );
        assert_eq!(
            error(json!({"region": "eu-west"})),
            r#""backup" is a required property"#
        );
        let mut unknown = valid.clone();
        unknown["size"] = json!(1);
        assert_eq!(
            error(unknown),
            "Additional properties are not allowed ('size' was unexpected)"
        );

        // A violation deep in the recursive type is found through `$ref: "#"`.
        let node = jsonschema::draft4::new(&parameters_schema::<Node>()).unwrap();
        let tree = json!({"name": "a", "children": [{"name": "b", "children": []}]});
        assert!(node.is_valid(&tree));
        let broken = json!({"name": "a", "children": [{"name": "b", "children": [{"name": 1}]}]});
        let broken_errors: Vec<String> = node.iter_errors(&broken).map(|e| e.to_string()).collect();
        assert!(
            broken_errors.contains(&r#"1 is not of type "string""#.to_owned()),
            "{broken_errors:?}"
        );
        assert!(
            broken_errors.contains(&r#""children" is a required property"#.to_owned()),
            "{broken_errors:?}"
        );

        let storage = jsonschema::draft4::new(&parameters_schema::<Storage>()).unwrap();
        assert!(storage.is_valid(&json!({"kind": "local", "path": "/data"})));
        assert!(storage.is_valid(&json!({"kind": "nowhere"})));
        assert!(!storage.is_valid(&json!({"kind": "local"})));
        assert!(!storage.is_valid(&json!({"kind": "tape"})));
    }

    /// A schema using the draft-06, draft-07 and 2019-09 keywords schemars does not emit
    /// with its draft-07 settings but a hand-written `JsonSchema` impl could.
    fn later_drafts() -> Value {
        json!({
            "$schema": "https://json-schema.org/draft/2019-09/schema",
            "$id": "https://broker.example/parameters",
            "$comment": "not for platforms",
            "type": "object",
            "properties": {
                "mode": {"enum": ["fast", "slow"], "examples": ["fast"]},
                "version": {"enum": [1, 2, 2, 3], "const": 2},
                "settings": {"type": "object", "required": []},
                "nothing": {"enum": []},
                "ratio": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1, "maximum": 0.5},
                "weight": {"type": "integer", "exclusiveMaximum": 10, "maximum": 20},
                "id": {"type": "string", "format": "uuid", "deprecated": true},
                "blob": {"type": "string", "contentEncoding": "base64", "contentMediaType": "image/png"},
                "hosts": {
                    "type": "array",
                    "items": {"$ref": "#/$defs/host"},
                    "contains": {"const": "localhost"},
                    "minContains": 1
                },
                "any": true,
                "never": false,
                "$defs": {"type": "integer"}
            },
            "required": ["mode"],
            "dependentRequired": {"tls_cert": ["tls_key"], "empty": []},
            "dependentSchemas": {"tls_key": {"required": ["tls_cert"]}},
            "if": {"properties": {"mode": {"const": "fast"}}, "required": ["mode"]},
            "then": {"properties": {"ratio": {"maximum": 0.25}}},
            "else": {"required": ["ratio"]},
            "$defs": {"host": {"type": "string", "format": "hostname", "minLength": 1}}
        })
    }

    fn converted_later_drafts() -> Value {
        let mut schema = later_drafts();
        to_draft04(&mut schema);
        schema
    }

    #[test]
    fn converts_later_draft_keywords() {
        assert_eq!(
            converted_later_drafts(),
            json!({
                "$schema": "http://json-schema.org/draft-04/schema#",
                "type": "object",
                "properties": {
                    "mode": {"enum": ["fast", "slow"]},
                    "version": {"enum": [1, 2, 3], "allOf": [{"enum": [2]}]},
                    "settings": {"type": "object"},
                    "nothing": {"not": {}},
                    "ratio": {
                        "type": "number",
                        "minimum": 0,
                        "exclusiveMinimum": true,
                        "maximum": 0.5
                    },
                    "weight": {"type": "integer", "maximum": 10, "exclusiveMaximum": true},
                    "id": {"type": "string"},
                    "blob": {"type": "string"},
                    "hosts": {
                        "type": "array",
                        "items": {"$ref": "#/definitions/host"},
                        "allOf": [{"not": {"type": "array", "items": {"not": {"enum": ["localhost"]}}}}]
                    },
                    "any": {},
                    "never": {"not": {}},
                    "$defs": {"type": "integer"}
                },
                "required": ["mode"],
                "dependencies": {
                    "tls_cert": ["tls_key"],
                    "tls_key": {"required": ["tls_cert"]}
                },
                "allOf": [{"anyOf": [
                    {"allOf": [
                        {"properties": {"mode": {"enum": ["fast"]}}, "required": ["mode"]},
                        {"properties": {"ratio": {"maximum": 0.25}}}
                    ]},
                    {"allOf": [
                        {"not": {"properties": {"mode": {"enum": ["fast"]}}, "required": ["mode"]}},
                        {"required": ["ratio"]}
                    ]}
                ]}],
                "definitions": {"host": {"type": "string", "format": "hostname", "minLength": 1}}
            })
        );
    }

    #[test]
    fn converted_keywords_keep_their_meaning() {
        // The conversions are exact for everything these instances exercise (the dropped
        // `format: uuid` and annotations are not exercised), so a 2019-09 validator of
        // the original and a draft-04 validator of the result must agree.
        let original = jsonschema::draft201909::new(&later_drafts()).unwrap();
        let converted = jsonschema::draft4::new(&converted_later_drafts()).unwrap();
        let base = json!({"mode": "slow", "ratio": 0.5});
        let cases = [
            (json!({"mode": "fast"}), true),
            (json!({"mode": "fast", "ratio": 0.25}), true),
            (json!({"mode": "fast", "ratio": 0.3}), false),
            (json!({"mode": "fast", "ratio": 0}), false),
            (base.clone(), true),
            (json!({"mode": "slow", "ratio": 0.6}), false),
            (json!({"mode": "slow", "ratio": 1}), false),
            (json!({"mode": "slow"}), false),
            (json!({"mode": "other"}), false),
            (json!({"mode": "fast", "version": 2}), true),
            (json!({"mode": "fast", "version": 3}), false),
            (json!({"mode": "fast", "settings": {}}), true),
            (json!({"mode": "fast", "settings": 1}), false),
            (json!({"mode": "fast", "nothing": null}), false),
            (json!({"mode": "fast", "weight": 9}), true),
            (json!({"mode": "fast", "weight": 10}), false),
            (json!({"mode": "fast", "hosts": ["a", "localhost"]}), true),
            (json!({"mode": "fast", "hosts": ["a"]}), false),
            (json!({"mode": "fast", "hosts": []}), false),
            (json!({"mode": "fast", "hosts": ["", "localhost"]}), false),
            (json!({"mode": "fast", "any": {"x": [1]}}), true),
            (json!({"mode": "fast", "never": null}), false),
            (json!({"mode": "fast", "tls_cert": "c"}), false),
            (json!({"mode": "fast", "tls_key": "k"}), false),
            (
                json!({"mode": "fast", "tls_cert": "c", "tls_key": "k"}),
                true,
            ),
            (json!({"mode": "fast", "empty": 1}), true),
            (json!({"mode": "fast", "$defs": 1}), true),
            (json!({"mode": "fast", "$defs": "x"}), false),
            (json!({}), false),
            (json!([]), false),
        ];
        for (instance, expected) in cases {
            assert_eq!(
                original.is_valid(&instance),
                expected,
                "original, {instance}"
            );
            assert_eq!(
                converted.is_valid(&instance),
                expected,
                "converted, {instance}"
            );
        }
    }

    #[test]
    fn small_rewrites() {
        let rewrite = |mut schema: Value| {
            to_draft04(&mut schema);
            schema.as_object_mut().unwrap().remove("$schema");
            schema
        };
        // Flattening can repeat a required name; draft-04 wants them unique.
        assert_eq!(
            rewrite(json!({"required": ["a", "b", "a"]})),
            json!({"required": ["a", "b"]})
        );
        // An inclusive bound stricter than the exclusive one wins.
        assert_eq!(
            rewrite(json!({"exclusiveMinimum": 1, "minimum": 2})),
            json!({"minimum": 2})
        );
        assert_eq!(
            rewrite(json!({"exclusiveMinimum": 2, "minimum": 1})),
            json!({"minimum": 2, "exclusiveMinimum": true})
        );
        // Draft-04's own boolean form is left alone.
        assert_eq!(
            rewrite(json!({"maximum": 2, "exclusiveMaximum": true})),
            json!({"maximum": 2, "exclusiveMaximum": true})
        );
        // `if` without a branch, or branches without `if`, constrain nothing.
        assert_eq!(rewrite(json!({"if": {"required": ["a"]}})), json!({}));
        assert_eq!(rewrite(json!({"then": false, "else": false})), json!({}));
        assert_eq!(
            rewrite(json!({"if": {"required": ["a"]}, "then": {"required": ["b"]}})),
            json!({"allOf": [{"anyOf": [{"not": {"required": ["a"]}}, {"required": ["b"]}]}]})
        );
        assert_eq!(
            rewrite(json!({"if": {"required": ["a"]}, "else": {"required": ["b"]}})),
            json!({"allOf": [{"anyOf": [{"required": ["a"]}, {"required": ["b"]}]}]})
        );
        // Both forms of a dependency on the same property must hold.
        assert_eq!(
            rewrite(json!({
                "dependencies": {"a": ["b"]},
                "dependentSchemas": {"a": {"required": ["c"]}}
            })),
            json!({"dependencies": {"a": {"allOf": [{"required": ["b"]}, {"required": ["c"]}]}}})
        );
        // `minContains: 0` makes `contains` vacuous; `maxContains` cannot be said.
        assert_eq!(
            rewrite(json!({"contains": {"type": "string"}, "minContains": 0})),
            json!({})
        );
        // A `$ref` left with siblings moves into `allOf`.
        assert_eq!(
            rewrite(json!({"$ref": "#/$defs/a", "const": 1, "$defs": {"a": {}}})),
            json!({"enum": [1], "allOf": [{"$ref": "#/definitions/a"}], "definitions": {"a": {}}})
        );
        // Instance data is never rewritten: a default that looks like a schema stays.
        assert_eq!(
            rewrite(json!({"default": {"const": 1, "if": true}, "enum": [{"const": 1}]})),
            json!({"default": {"const": 1, "if": true}, "enum": [{"const": 1}]})
        );
    }

    #[test]
    fn pointers_rename_keywords_only() {
        assert_eq!(
            draft04_pointer("#/$defs/a"),
            Some("#/definitions/a".to_owned())
        );
        assert_eq!(
            draft04_pointer("#/$defs/a/properties/$defs/$defs/b"),
            Some("#/definitions/a/properties/$defs/definitions/b".to_owned())
        );
        assert_eq!(
            draft04_pointer("#/prefixItems/0/dependentSchemas/x"),
            Some("#/items/0/dependencies/x".to_owned())
        );
        assert_eq!(draft04_pointer("#/definitions/a"), None);
        assert_eq!(draft04_pointer("#"), None);
        assert_eq!(draft04_pointer("other.json#/$defs/a"), None);
    }
}

//! The table the structural parser reads: one [`KindInfo`] per registered kind, built by
//! the list macro in `kinds/mod.rs`.

use super::{KINDS, TaskBody};
use crate::problem::SpecProblem;
use serde_json::{Map, Value};

/// What the structural pass needs to know about one kind, without knowing its type.
#[derive(Debug)]
pub struct KindInfo {
    /// The `kind` string.
    pub name: &'static str,
    /// Fields the kind accepts besides the common ones.
    pub fields: &'static [&'static str],
    /// The kind's shorthand rewrites, applied to the raw body before typing.
    pub normalize: fn(&mut Map<String, Value>, &str, &mut Vec<SpecProblem>),
    /// Types the raw body (already normalized), reporting problems under `prefix`.
    pub typed: fn(Value, &str, &mut Vec<SpecProblem>) -> Option<TaskBody>,
}

/// The registered kind called `name`, or `None` for a kind this build does not have.
pub fn find_kind(name: &str) -> Option<&'static KindInfo> {
    KINDS.iter().find(|k| k.name == name)
}

/// Deserializes one part of a spec, turning serde's message into a problem at the right
/// path (`prefix` is the part's own path followed by a dot, or empty for the document).
pub(crate) fn typed<T: serde::de::DeserializeOwned>(
    value: Value,
    prefix: &str,
    problems: &mut Vec<SpecProblem>,
) -> Option<T> {
    match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(v) => Some(v),
        Err(err) => {
            let inner = err.path().to_string();
            let path = match (prefix.trim_end_matches('.'), inner.as_str()) {
                ("", ".") => "$".to_string(),
                ("", p) => p.to_string(),
                (pre, ".") => pre.to_string(),
                (pre, p) => format!("{pre}.{p}"),
            };
            problems.push(SpecProblem::new(path, err.into_inner().to_string()));
            None
        }
    }
}

/// A kind's schema with the `kind` tag added as a required one-value property, so each
/// variant of the `TaskBody` union is one plain object.
pub(crate) fn with_kind(
    schema: utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
    name: &'static str,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, Schema, Type};
    let tag = ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some([name]))
        .description(Some(format!("`{name}`")));
    match schema {
        RefOr::T(Schema::Object(mut object)) => {
            object.properties.insert("kind".to_string(), tag.into());
            object.required.insert(0, "kind".to_string());
            object.title = Some(format!("{}{}", name[..1].to_uppercase(), &name[1..]) + "TaskBody");
            RefOr::T(Schema::Object(object))
        }
        other => AllOfBuilder::new()
            .item(other)
            .item(ObjectBuilder::new().property("kind", tag).required("kind"))
            .into(),
    }
}

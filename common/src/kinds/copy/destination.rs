//! A copy's destination and how it is delivered: with the task (`sync`), or afterwards
//! by a durable delivery that outlives the run (`async`), so a cluster that is down does
//! not fail the import.

use crate::location::Location;
use crate::values::HumanDuration;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};

/// How long an async delivery keeps retrying a destination that refuses it, unless the
/// spec says `deliver_within`.
pub const DEFAULT_DELIVER_WITHIN: HumanDuration = HumanDuration::from_secs(7 * 24 * 3600);

/// When a destination receives the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryMode {
    /// Written by the task itself: the task succeeds only once it holds the data.
    #[default]
    Sync,
    /// Written after the task succeeded, from its first sync destination, by a delivery
    /// any worker carries out and retries until `deliver_within`.
    Async,
}

/// One destination of a copy. Written as a location (`"s3://b/p/"` or `{url,
/// connection}`), optionally with `delivery` and `deliver_within`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub location: Location,
    pub delivery: DeliveryMode,
    /// For an async destination: how long its delivery may keep retrying before it fails.
    pub deliver_within: Option<HumanDuration>,
}

impl Destination {
    /// A sync destination at `location`.
    pub fn sync(location: Location) -> Self {
        Self { location, delivery: DeliveryMode::Sync, deliver_within: None }
    }

    /// Whether the task itself writes this destination.
    pub fn is_sync(&self) -> bool {
        self.delivery == DeliveryMode::Sync
    }

    /// How long an async delivery to it may retry.
    pub fn retry_window(&self) -> HumanDuration {
        self.deliver_within.unwrap_or(DEFAULT_DELIVER_WITHIN)
    }
}

impl From<Location> for Destination {
    fn from(location: Location) -> Self {
        Self::sync(location)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Full {
    url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    connection: Option<String>,
    #[serde(default, skip_serializing_if = "is_sync")]
    delivery: DeliveryMode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    deliver_within: Option<HumanDuration>,
}

fn is_sync(mode: &DeliveryMode) -> bool {
    *mode == DeliveryMode::Sync
}

impl Serialize for Destination {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.is_sync() && self.deliver_within.is_none() {
            return self.location.serialize(s);
        }
        Full {
            url: self.location.url.clone(),
            connection: self.location.connection.clone(),
            delivery: self.delivery,
            deliver_within: self.deliver_within,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Destination {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        if let serde_json::Value::String(url) = value {
            return Ok(Destination::sync(Location::url(url)));
        }
        let full = Full::deserialize(value).map_err(|e| {
            serde::de::Error::custom(format!(
                "expected a URL string or {{url, connection, delivery, deliver_within}} ({e})"
            ))
        })?;
        Ok(Destination {
            location: Location { url: full.url, connection: full.connection },
            delivery: full.delivery,
            deliver_within: full.deliver_within,
        })
    }
}

impl utoipa::PartialSchema for Destination {
    fn schema() -> RefOr<Schema> {
        let text = || ObjectBuilder::new().schema_type(Type::String);
        OneOfBuilder::new()
            .description(Some("A destination: a URL or absolute path (delivered with the task), or `{url, connection, delivery, deliver_within}`."))
            .item(text().description(Some("The destination's URL or absolute path.")))
            .item(
                ObjectBuilder::new()
                    .property("url", text())
                    .property("connection", text().description(Some("A stored connection holding the credentials.")))
                    .property(
                        "delivery",
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .enum_values(Some(["sync", "async"]))
                            .description(Some("`sync` (default): the task writes it; `async`: a delivery does, after the task succeeded, from its first sync destination.")),
                    )
                    .property("deliver_within", text().description(Some("How long an async delivery retries a refusing destination before it fails (default 7d).")))
                    .required("url"),
            )
            .into()
    }
}

impl utoipa::ToSchema for Destination {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_sync_destinations_serialise_as_locations() {
        let plain: Destination = serde_json::from_value(serde_json::json!("/lake/")).unwrap();
        assert!(plain.is_sync());
        assert_eq!(serde_json::to_value(&plain).unwrap(), serde_json::json!("/lake/"));
        let full: Destination = serde_json::from_value(serde_json::json!({"url": "s3://b/o/", "connection": "b", "delivery": "async", "deliver_within": "24h"})).unwrap();
        assert_eq!(full.delivery, DeliveryMode::Async);
        assert_eq!(full.retry_window().0.as_secs(), 24 * 3600);
        let back = serde_json::to_value(&full).unwrap();
        assert_eq!(back["delivery"], "async");
        assert_eq!(back["deliver_within"], "1day");
        let err = serde_json::from_value::<Destination>(serde_json::json!({"url": "/x/", "delivry": "async"})).unwrap_err();
        assert!(err.to_string().contains("delivry"), "{err}");
    }
}

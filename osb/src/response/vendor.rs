//! Vendor extension fields on responses.

use serde::de::{Deserialize, Deserializer};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

/// Fields a broker adds to a response beyond the specification's own («Vendor
/// Extension Fields»: senders MAY include additional fields and SHOULD give them a
/// unique prefix). Set them with the `vendor_field` method of a response type.
///
/// A name the specification defines for that response is left out (with a warning in
/// the log), so an answer never carries a key twice.
///
/// With a state store, a binding's vendor fields are stored with it and answered again
/// by an identical re-bind and by fetching it from the store. The other answers the
/// framework makes from the store alone (the `200` of an identical re-provision, fetch
/// instance and `last_operation` when the broker has no handler for them) carry the
/// specification's fields only: vendor fields belong to the answer that set them.
///
/// ```
/// use osb::{Binding, InstanceDetails};
/// let details = InstanceDetails::new("svc", "plan").vendor_field("x-acme-region", "eu-1");
/// assert_eq!(
///     serde_json::to_value(&details).unwrap(),
///     serde_json::json!({"service_id": "svc", "plan_id": "plan", "x-acme-region": "eu-1"}),
/// );
/// let binding = Binding::new().vendor_field("credentials", 1); // a spec field: left out
/// assert!(binding.vendor_fields().is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VendorFields(Option<Box<Map<String, Value>>>);

impl VendorFields {
    /// None at all.
    pub(crate) const fn none() -> Self {
        Self(None)
    }

    /// Adds `name` unless the response defines it (`reserved`).
    pub(crate) fn insert(&mut self, reserved: &[&str], name: String, value: Value) {
        if reserved.contains(&name.as_str()) {
            tracing::warn!(
                field = %name,
                "a vendor field cannot use a name the specification defines for this response: left out"
            );
            return;
        }
        self.0.get_or_insert_with(Box::default).insert(name, value);
    }

    /// The field called `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.as_ref()?.get(name)
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.0.as_ref().is_none_or(|fields| fields.is_empty())
    }

    /// The fields, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.0.iter().flat_map(|fields| fields.iter())
    }
}

impl Serialize for VendorFields {
    /// As the entries of a map: response types flatten it into their own object.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let fields = self.0.as_deref();
        let mut map = serializer.serialize_map(Some(fields.map_or(0, Map::len)))?;
        for (name, value) in self.iter() {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for VendorFields {
    /// The fields of a flattened object that no other field took (a stored binding).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let fields = Map::<String, Value>::deserialize(deserializer)?;
        Ok(Self((!fields.is_empty()).then(|| Box::new(fields))))
    }
}

//! The keys records are stored under.

use std::fmt;

/// A resource with an operation to resume or fail.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ResourceKey {
    /// An instance.
    Instance(String),
    /// A binding of an instance.
    Binding(String, String),
}

impl fmt::Display for ResourceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResourceKey::Instance(id) => write!(f, "instance {id}"),
            ResourceKey::Binding(instance, binding) => {
                write!(f, "binding {binding} of instance {instance}")
            }
        }
    }
}

/// The resource an operation runs on, borrowed: a handler call finishes in its first
/// poll as a rule, so the owned [`ResourceKey`] is built only when it is needed (a
/// heartbeat, a panic to log).
#[derive(Clone, Copy)]
pub(crate) enum KeyRef<'a> {
    /// An instance.
    Instance(&'a str),
    /// A binding: instance id, binding id.
    Binding(&'a str, &'a str),
}

impl<'a> From<&'a ResourceKey> for KeyRef<'a> {
    fn from(key: &'a ResourceKey) -> Self {
        match key {
            ResourceKey::Instance(id) => KeyRef::Instance(id),
            ResourceKey::Binding(instance, binding) => KeyRef::Binding(instance, binding),
        }
    }
}

impl<'a> KeyRef<'a> {
    /// The instance, or the binding's instance.
    pub(crate) fn instance_id(self) -> &'a str {
        match self {
            KeyRef::Instance(id) | KeyRef::Binding(id, _) => id,
        }
    }

    /// The binding, for a binding.
    pub(crate) fn binding_id(self) -> Option<&'a str> {
        match self {
            KeyRef::Instance(_) => None,
            KeyRef::Binding(_, id) => Some(id),
        }
    }

    /// The owned key.
    pub(crate) fn to_owned(self) -> ResourceKey {
        match self {
            KeyRef::Instance(id) => ResourceKey::Instance(id.to_owned()),
            KeyRef::Binding(instance, binding) => {
                ResourceKey::Binding(instance.to_owned(), binding.to_owned())
            }
        }
    }
}

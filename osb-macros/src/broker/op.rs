//! The handler operations (the nine of the API, and `resume`): one table of helper-attribute names, request and
//! response types and the runtime items that check them.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{Ident, Path};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Provision,
    Update,
    Deprovision,
    FetchInstance,
    LastOperation,
    Bind,
    Unbind,
    FetchBinding,
    BindingLastOperation,
    /// Interrupted work after a restart (state store only).
    Resume,
}

/// Which plans a handler names in its attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plans {
    /// `#[provision(Small, Large)]`: the parameter type is checked per plan.
    Required,
    /// `#[deprovision]` (every plan) or `#[deprovision(Small)]`.
    Optional,
    /// `#[fetch_instance]`: the request has no plan.
    None,
}

impl Op {
    pub(crate) const ALL: [Op; 10] = [
        Op::Provision,
        Op::Update,
        Op::Deprovision,
        Op::FetchInstance,
        Op::LastOperation,
        Op::Bind,
        Op::Unbind,
        Op::FetchBinding,
        Op::BindingLastOperation,
        Op::Resume,
    ];

    /// The helper attribute, which is also the `Broker` method's name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Op::Provision => "provision",
            Op::Update => "update",
            Op::Deprovision => "deprovision",
            Op::FetchInstance => "fetch_instance",
            Op::LastOperation => "last_operation",
            Op::Bind => "bind",
            Op::Unbind => "unbind",
            Op::FetchBinding => "fetch_binding",
            Op::BindingLastOperation => "binding_last_operation",
            Op::Resume => "resume",
        }
    }

    /// The operation of a helper attribute: `#[provision]` or `#[osb::dsl::provision]`.
    pub(crate) fn from_path(path: &syn::Path) -> Option<Op> {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        let name = match segments.as_slice() {
            [name] => name,
            // `osb::dsl::provision`, or the crate under another name.
            [_, module, name] if module == "dsl" => name,
            _ => return None,
        };
        Op::ALL.into_iter().find(|op| op.name() == name)
    }

    pub(crate) fn plans(self) -> Plans {
        match self {
            Op::Provision | Op::Update | Op::Bind => Plans::Required,
            Op::Deprovision | Op::Unbind => Plans::Optional,
            Op::FetchInstance
            | Op::LastOperation
            | Op::FetchBinding
            | Op::BindingLastOperation
            | Op::Resume => Plans::None,
        }
    }

    pub(crate) fn method(self) -> Ident {
        Ident::new(self.name(), Span::call_site())
    }

    fn type_name(self) -> &'static str {
        match self {
            Op::Provision => "Provision",
            Op::Update => "Update",
            Op::Deprovision => "Deprovision",
            Op::FetchInstance => "FetchInstance",
            Op::LastOperation => "LastOperation",
            Op::Bind => "Bind",
            Op::Unbind => "Unbind",
            Op::FetchBinding => "FetchBinding",
            Op::BindingLastOperation => "BindingLastOperation",
            Op::Resume => "Resume",
        }
    }

    /// The raw request type the `Broker` method takes.
    pub(crate) fn request(self, krate: &Path) -> TokenStream {
        if self == Op::Resume {
            return quote!(#krate::request::Interrupted);
        }
        let ty = Ident::new(self.type_name(), Span::call_site());
        quote!(#krate::#ty)
    }

    /// The success type the `Broker` method returns.
    pub(crate) fn ok_type(self, krate: &Path) -> TokenStream {
        let ty = match self {
            Op::Provision => "Provisioned",
            Op::Update => "Updated",
            Op::Deprovision => "Deprovisioned",
            Op::FetchInstance => "InstanceDetails",
            Op::LastOperation => "OperationReport",
            Op::Bind => "Bound",
            Op::Unbind => "Unbound",
            Op::FetchBinding => "Binding",
            Op::BindingLastOperation => "BindingOperationReport",
            Op::Resume => return quote!(#krate::response::Resumed),
        };
        let ty = Ident::new(ty, Span::call_site());
        quote!(#krate::#ty)
    }

    /// The trait checking what a handler returns.
    pub(crate) fn output_trait(self, krate: &Path) -> TokenStream {
        let name = Ident::new(&format!("{}Output", self.type_name()), Span::call_site());
        quote!(#krate::dsl::rules::#name)
    }

    /// The function converting the raw request into a handler's typed request for a
    /// plan, or the trait checking a plan-less request type.
    pub(crate) fn typed_request(self, krate: &Path) -> Conversion {
        match self {
            Op::Provision => Conversion::PerPlan(quote!(#krate::dsl::rules::provision_request)),
            Op::Update => Conversion::PerPlan(quote!(#krate::dsl::rules::update_request)),
            Op::Bind => Conversion::PerPlan(quote!(#krate::dsl::rules::bind_request)),
            _ => {
                let name = Ident::new(&format!("{}Request", self.type_name()), Span::call_site());
                Conversion::Plain(quote!(#krate::dsl::rules::#name))
            }
        }
    }

    /// The per-plan marker trait a handler for this operation implements.
    pub(crate) fn plan_marker(self, krate: &Path) -> Option<TokenStream> {
        let name = match self {
            Op::Provision => "ProvisionFor",
            Op::Update => "UpdateFor",
            Op::Deprovision => "DeprovisionFor",
            Op::Bind => "BindFor",
            Op::Unbind => "UnbindFor",
            _ => return None,
        };
        let name = Ident::new(name, Span::call_site());
        Some(quote!(#krate::dsl::rules::#name))
    }

    /// The broker-wide marker trait a plan-less handler implements.
    pub(crate) fn broker_marker(self, krate: &Path) -> Option<TokenStream> {
        let name = match self {
            Op::FetchInstance => "FetchInstanceHandler",
            Op::LastOperation => "LastOperationHandler",
            Op::FetchBinding => "FetchBindingHandler",
            Op::BindingLastOperation => "BindingLastOperationHandler",
            _ => return None,
        };
        let name = Ident::new(name, Span::call_site());
        Some(quote!(#krate::dsl::rules::#name))
    }
}

pub(crate) enum Conversion {
    /// `f::<Plan, ArgType>(request)?`
    PerPlan(TokenStream),
    /// `<ArgType as Trait>::from_request(request)`
    Plain(TokenStream),
}

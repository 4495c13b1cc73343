//! Procedural macros of the `open-service-broker` crate. Use them through `osb`
//! (`#[osb::service]`, `#[osb::plan]`, `#[osb::broker]`), where they are documented.

#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

mod attr;
mod broker;
mod ctxt;
mod doc;
mod entry;
#[cfg(test)]
mod goldens;
mod krate;
mod naming;
mod output;
mod params;
mod paths;
mod plan;
mod service;
mod tokens;

use proc_macro::TokenStream;

/// Implementation detail of `osb`; see `osb::service`.
#[proc_macro_attribute]
pub fn service(args: TokenStream, input: TokenStream) -> TokenStream {
    service::expand(args.into(), input.into()).into()
}

/// Implementation detail of `osb`; see `osb::plan`.
#[proc_macro_attribute]
pub fn plan(args: TokenStream, input: TokenStream) -> TokenStream {
    plan::expand(args.into(), input.into()).into()
}

/// Implementation detail of `osb`; see `osb::broker`.
#[proc_macro_attribute]
pub fn broker(args: TokenStream, input: TokenStream) -> TokenStream {
    broker::expand(args.into(), input.into()).into()
}

macro_rules! misplaced_helpers {
    ($($name:ident),*) => {$(
        /// Implementation detail of `osb`; see `osb::broker`.
        #[proc_macro_attribute]
        pub fn $name(_args: TokenStream, input: TokenStream) -> TokenStream {
            broker::misplaced(stringify!($name), input.into()).into()
        }
    )*};
}

misplaced_helpers!(
    provision,
    update,
    deprovision,
    fetch_instance,
    last_operation,
    bind,
    unbind,
    fetch_binding,
    binding_last_operation,
    resume
);

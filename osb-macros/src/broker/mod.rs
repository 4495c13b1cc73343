//! `#[osb::broker]`: an impl block of handlers becomes an `osb::Broker`.

mod check;
mod expand;
mod op;
mod parse;

use proc_macro2::{Span, TokenStream};
use quote::quote;

use crate::ctxt::Ctxt;
use crate::{krate, output};
use op::Op;

pub(crate) const MACRO: &str = "osb::broker";

pub(crate) fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let Ok(item) = syn::parse2::<syn::ItemImpl>(input.clone()) else {
        let error = syn::Error::new(
            Span::call_site(),
            "`#[osb::broker]` goes on an impl block of handlers: `impl MyBroker { … }`",
        )
        .into_compile_error();
        return quote!(#input #error);
    };
    let cx = Ctxt::new();
    let broker = parse::Broker::from_syn(&cx, args, &item);
    if let Some(broker) = &broker {
        check::check(&cx, broker);
    }
    let generated = cx
        .check()
        .map(|()| broker.as_ref().map(expand::broker).unwrap_or_default());
    let krate = broker.map_or_else(krate::default_path, |broker| broker.krate);
    // The helper attributes are inert: strip them on every path, errors included, so
    // rustc never looks for macros named `provision` in the user's scope.
    let mut stripped = item.clone();
    strip_helpers(&mut stripped);
    output::finish(MACRO, &stripped, generated, || {
        // A trait impl (`impl osb::Broker for B`) is already the broker, and one that
        // borrows cannot be one: a dummy `osb::Broker` impl would only add errors.
        if item.trait_.is_some() || item.generics.lifetimes().next().is_some() {
            TokenStream::new()
        } else {
            expand::dummy(&item, &krate)
        }
    })
}

fn strip_helpers(item: &mut syn::ItemImpl) {
    for item in &mut item.items {
        let attrs = match item {
            syn::ImplItem::Fn(item) => &mut item.attrs,
            syn::ImplItem::Const(item) => &mut item.attrs,
            syn::ImplItem::Type(item) => &mut item.attrs,
            syn::ImplItem::Macro(item) => &mut item.attrs,
            _ => continue,
        };
        attrs.retain(|attr| Op::from_path(attr.path()).is_none());
    }
}

/// A helper attribute used outside `#[osb::broker]` (imported from `osb`): the item
/// stays as it is, with an error saying where the attribute belongs.
pub(crate) fn misplaced(name: &str, input: TokenStream) -> TokenStream {
    let error = syn::Error::new(
        Span::call_site(),
        format!(
            "`#[{name}]` marks a handler method inside an `#[osb::broker]` impl block; \
             here it does nothing: move the method into the broker's impl"
        ),
    )
    .into_compile_error();
    quote!(#input #error)
}

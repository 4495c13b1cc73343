//! `#[osb::broker]`: an impl block of handlers becomes an `osb::Broker`.

mod expand;
mod op;
mod parse;
mod validate;

use proc_macro2::{Span, TokenStream};
use quote::quote;

use crate::ctxt::Ctxt;
use op::Op;

pub(crate) fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let Ok(mut item) = syn::parse2::<syn::ItemImpl>(input.clone()) else {
        let error = syn::Error::new(
            Span::call_site(),
            "`#[osb::broker]` goes on an impl block of handlers: `impl MyBroker { … }`",
        )
        .into_compile_error();
        return quote!(#input #error);
    };
    let cx = Ctxt::new();
    let generated = match parse::Broker::from_syn(&cx, args, &item) {
        Some(broker) => {
            validate::check(&cx, &broker);
            expand::broker(&broker)
        }
        None => TokenStream::new(),
    };
    let result = cx.check();
    // The helper attributes are inert: strip them on every path, errors included, so
    // rustc never looks for macros named `provision` in the user's scope.
    strip_helpers(&mut item);
    match result {
        Ok(()) => {
            if std::env::var_os("OSB_MACROS_DEBUG").is_some() {
                // Like axum's `AXUM_MACROS_DEBUG`: see what the macro generated.
                eprintln!("{generated}");
            }
            quote!(#item #generated)
        }
        Err(errors) => {
            let errors = errors.into_compile_error();
            // A trait impl (`impl osb::Broker for B`) is already the broker: a dummy
            // `osb::Broker` impl would only add "conflicting implementations".
            let dummy = if item.trait_.is_some() {
                TokenStream::new()
            } else {
                expand::dummy(&item)
            };
            quote!(#item #errors #dummy)
        }
    }
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

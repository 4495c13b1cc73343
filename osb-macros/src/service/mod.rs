//! `#[osb::service]`: a Service Offering object declared on a type. Parsed, then
//! checked, then expanded only if every check passed.

mod check;
mod expand;
mod parse;

use proc_macro2::{Span, TokenStream};
use quote::quote;

use crate::ctxt::Ctxt;
use crate::output;

pub(crate) const MACRO: &str = "osb::service";

pub(crate) fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let Ok(item) = syn::parse2::<syn::ItemStruct>(input.clone()) else {
        let error = syn::Error::new(
            Span::call_site(),
            "`#[osb::service]` goes on a struct: a service offering is a type, such as `struct Postgres;`",
        )
        .into_compile_error();
        return quote!(#input #error);
    };
    let cx = Ctxt::new();
    let attrs = parse::ServiceAttrs::from_syn(&cx, args);
    let checked = check::check(&cx, &item, &attrs);
    let generated = cx
        .check()
        .map(|()| expand::service_def(&item, &attrs, &checked));
    output::finish(MACRO, &item, generated, || {
        expand::dummy_service_def(&item, &attrs)
    })
}

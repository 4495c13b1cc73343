//! `#[osb::plan]`: a Service Plan object declared on a type. Parsed, then checked,
//! then expanded only if every check passed.

mod check;
mod expand;
mod parse;

use proc_macro2::{Span, TokenStream};
use quote::quote;

use crate::ctxt::Ctxt;
use crate::output;

pub(crate) const MACRO: &str = "osb::plan";

pub(crate) fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let Ok(item) = syn::parse2::<syn::ItemStruct>(input.clone()) else {
        let error = syn::Error::new(
            Span::call_site(),
            "`#[osb::plan]` goes on a struct: a plan is a type, such as `struct Small;`",
        )
        .into_compile_error();
        return quote!(#input #error);
    };
    let cx = Ctxt::new();
    let attrs = parse::PlanAttrs::from_syn(&cx, args);
    let checked = check::check(&cx, &item, &attrs);
    let generated = cx
        .check()
        .map(|()| expand::plan_def(&item, &attrs, &checked));
    // After errors the trait is still implemented, so code naming the plan does not fail too.
    output::finish(MACRO, &item, generated, || {
        expand::dummy_plan_def(&item, &attrs)
    })
}

//! What every macro hands back, and the one debug switch of all three.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};

/// The environment variable that prints what the macros generate (like axum's
/// `AXUM_MACROS_DEBUG`): `OSB_MACROS_DEBUG=1 cargo check` prints each expansion to
/// standard error.
pub(crate) const DEBUG_VARIABLE: &str = "OSB_MACROS_DEBUG";

/// The item, then the generated code; after errors, the errors and a `dummy` that
/// keeps code naming the item from failing too, so the first error is the real one.
pub(crate) fn finish(
    macro_name: &str,
    item: &impl ToTokens,
    generated: Result<TokenStream, syn::Error>,
    dummy: impl FnOnce() -> TokenStream,
) -> TokenStream {
    match generated {
        Ok(generated) => {
            if std::env::var_os(DEBUG_VARIABLE).is_some() {
                eprintln!("// #[{macro_name}] generated:\n{generated}\n");
            }
            quote!(#item #generated)
        }
        Err(errors) => {
            let errors = errors.into_compile_error();
            let dummy = dummy();
            quote!(#item #errors #dummy)
        }
    }
}

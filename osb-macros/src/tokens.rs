//! Values as the tokens generated code builds them with: absolute paths only, since
//! generated code cannot rely on the prelude (`#![no_implicit_prelude]`).

use proc_macro2::TokenStream;
use quote::quote;

/// `Some(value)`.
pub(crate) fn some(value: TokenStream) -> TokenStream {
    quote!(::core::option::Option::Some(#value))
}

/// An owned `String` of `text`.
pub(crate) fn string(text: &str) -> TokenStream {
    quote!(<::std::string::String as ::core::convert::From<&str>>::from(#text))
}

//! Parameter types whose JSON Schema can never be an object.
//!
//! OSB `parameters` is always a JSON object, so a plan whose parameter type is a
//! string, a number, a list or a unit would publish a schema that refuses every
//! request. The macro knows these types by name; any other type is left to the
//! catalog's check when the router is built (`osb::catalog::Catalog::validate`).

use syn::{GenericArgument, PathArguments, Type};

/// What `ty` is instead of an object, if it is certainly not one.
pub(crate) fn not_an_object(ty: &Type) -> Option<&'static str> {
    match ty {
        Type::Tuple(tuple) if tuple.elems.is_empty() => Some("the unit type"),
        Type::Tuple(_) => Some("a tuple, a JSON array"),
        Type::Array(_) | Type::Slice(_) => Some("a JSON array"),
        Type::Reference(reference) => not_an_object(&reference.elem),
        Type::Paren(inner) => not_an_object(&inner.elem),
        Type::Group(inner) => not_an_object(&inner.elem),
        Type::Never(_) => Some("the never type"),
        Type::Path(path) if path.qself.is_none() => {
            let last = path.path.segments.last()?;
            match last.ident.to_string().as_str() {
                "String" | "str" | "char" | "Cow" => Some("a JSON string"),
                "bool" => Some("a JSON boolean"),
                "i8" | "i16" | "i32" | "i64" | "i128" | "isize" | "u8" | "u16" | "u32" | "u64"
                | "u128" | "usize" | "f32" | "f64" => Some("a JSON number"),
                "Vec" | "VecDeque" | "LinkedList" | "HashSet" | "BTreeSet" | "BinaryHeap" => {
                    Some("a JSON array")
                }
                "Option" => Some("optional: parameters are absent or an object already"),
                // A pointer is what it points to.
                "Box" | "Rc" | "Arc" => {
                    first_type_argument(&last.arguments).and_then(not_an_object)
                }
                _ => None,
            }
        }
        _ => None,
    }
}

fn first_type_argument(arguments: &PathArguments) -> Option<&Type> {
    let PathArguments::AngleBracketed(arguments) = arguments else {
        return None;
    };
    arguments.args.iter().find_map(|argument| match argument {
        GenericArgument::Type(ty) => Some(ty),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_what_is_not_an_object() {
        for ty in [
            "String",
            "&str",
            "()",
            "(u8, u8)",
            "[u8; 4]",
            "u32",
            "bool",
            "Vec<u32>",
            "std::collections::HashSet<String>",
            "Option<Params>",
            "Box<String>",
        ] {
            let ty: Type = syn::parse_str(ty).unwrap();
            assert!(not_an_object(&ty).is_some(), "{}", quote::quote!(#ty));
        }
        for ty in [
            "Params",
            "my::Params",
            "HashMap<String, u32>",
            "BTreeMap<String, String>",
            "serde_json::Value",
            "Box<Params>",
        ] {
            let ty: Type = syn::parse_str(ty).unwrap();
            assert!(not_an_object(&ty).is_none(), "{}", quote::quote!(#ty));
        }
    }
}

//! `syn::ItemImpl` → [`Broker`]: the services and the handlers, with single-item checks.

use proc_macro2::{Span, TokenStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{FnArg, ImplItem, ImplItemFn, Path, ReturnType, Token, Type};

use super::MACRO;
use super::op::{Op, Plans};
use crate::attr::{self, Key};
use crate::ctxt::Ctxt;
use crate::krate;

pub(crate) struct Broker<'a> {
    pub(crate) item: &'a syn::ItemImpl,
    pub(crate) services: Vec<Path>,
    pub(crate) handlers: Vec<Handler<'a>>,
    /// `stateful`: the broker relies on the state store, which answers fetch and
    /// last-operation requests it has no handler for.
    pub(crate) stateful: bool,
    /// The path of the `osb` crate in generated code.
    pub(crate) krate: Path,
}

pub(crate) struct Handler<'a> {
    pub(crate) op: Op,
    /// The helper attribute, for errors about the handler as a whole.
    pub(crate) attr: &'a syn::Attribute,
    /// Where the generated marker impls point.
    pub(crate) attr_span: Span,
    pub(crate) function: &'a ImplItemFn,
    /// `None`: every plan.
    pub(crate) plans: Option<Vec<Path>>,
    /// The request argument's type.
    pub(crate) request_type: &'a Type,
    /// The declared return type's span (the name's when there is none).
    pub(crate) return_span: Span,
    /// The predicates of the method's `#[cfg(…)]` attributes: every piece of generated
    /// code that names the method carries them too, so a handler compiled out is
    /// absent from the broker rather than a call to nothing.
    pub(crate) cfgs: Vec<TokenStream>,
}

impl<'a> Broker<'a> {
    pub(crate) fn from_syn(cx: &Ctxt, args: TokenStream, item: &'a syn::ItemImpl) -> Option<Self> {
        let mut services: Option<Key<Vec<Path>>> = None;
        let mut stateful: Option<Key<bool>> = None;
        let mut krate = krate::default_path();
        let mut unknown_key = false;
        let invalid = attr::parse_keys(cx, args, |meta| {
            if meta.path.is_ident("crate") {
                // #[osb::broker(services(Db), crate = "my_osb")]
                krate = krate::parse(&meta)?;
            } else if meta.path.is_ident("services") {
                // #[osb::broker(services(Postgres, Redis))]
                let list = attr::paths(&meta)?;
                attr::set_once(cx, &mut services, &meta, MACRO, list);
            } else if meta.path.is_ident("stateful") {
                // #[osb::broker(services(Db), stateful)]
                let value = attr::flag(&meta)?;
                attr::set_once(cx, &mut stateful, &meta, MACRO, value);
            } else {
                unknown_key = true;
                attr::unknown_key(cx, &meta, MACRO, &["services", "stateful", "crate"])?;
            }
            Ok(())
        });
        if let Some((_, trait_path, _)) = &item.trait_ {
            cx.error_spanned_by(
                trait_path,
                "`#[osb::broker]` goes on an inherent impl block (`impl MyBroker { … }`): it implements `osb::Broker` itself",
            );
            return None;
        }
        let services = match services {
            Some(services) if !services.value.is_empty() => services.value,
            Some(services) => {
                cx.error_at(
                    services.span,
                    "`services(…)` must name at least one service offering",
                );
                Vec::new()
            }
            // After an unknown key (a misspelt `services`, say) or a list that did not
            // parse, that error says it all.
            None if unknown_key || invalid.iter().any(|key| key == "services") => Vec::new(),
            None => {
                cx.error_at(
                    Span::call_site(),
                    "`#[osb::broker]` needs the offerings it serves: `#[osb::broker(services(MyService))]`",
                );
                Vec::new()
            }
        };
        borrows(cx, &item.generics);
        let stateful = stateful.is_some_and(|key| key.value);
        let handlers: Vec<Handler<'a>> = item
            .items
            .iter()
            .filter_map(|item| match item {
                ImplItem::Fn(function) => Handler::from_syn(cx, function),
                other => {
                    misplaced_helpers(cx, other);
                    None
                }
            })
            .collect();
        Some(Broker {
            item,
            services,
            handlers,
            stateful,
            krate,
        })
    }
}

impl<'a> Handler<'a> {
    /// The handler a method declares, if it has a helper attribute.
    fn from_syn(cx: &Ctxt, function: &'a ImplItemFn) -> Option<Self> {
        let mut found = function
            .attrs
            .iter()
            .filter_map(|attr| Op::from_path(attr.path()).map(|op| (op, attr)));
        let (op, attr) = found.next()?;
        for (other, extra) in found {
            cx.error_spanned_by(
                extra,
                format!(
                    "`{}` is already the `#[{}]` handler; a method handles one operation (`#[{}]` needs a method of its own)",
                    function.sig.ident,
                    op.name(),
                    other.name()
                ),
            );
        }
        let plans = plans(cx, op, attr);
        let sig = &function.sig;
        if sig.asyncness.is_none() {
            cx.error_spanned_by(
                sig.fn_token,
                format!("`#[{}]` handlers must be `async fn`", op.name()),
            );
        }
        // Lifetimes are the caller's to infer; a type or const parameter has nothing
        // the runtime could choose.
        let generic = sig
            .generics
            .params
            .iter()
            .any(|param| !matches!(param, syn::GenericParam::Lifetime(_)));
        if generic {
            cx.error_spanned_by(
                &sig.generics,
                "handlers cannot have type or const parameters: the runtime calls them with \
                 one request type",
            );
        }
        let mut inputs = sig.inputs.iter();
        let receiver_ok = matches!(
            inputs.next(),
            Some(FnArg::Receiver(receiver)) if receiver.reference.is_some() && receiver.mutability.is_none()
        );
        let request_type = match (receiver_ok, inputs.next(), inputs.next()) {
            (true, Some(FnArg::Typed(arg)), None) => Some(&*arg.ty),
            _ => None,
        };
        let Some(request_type) = request_type else {
            cx.error_spanned_by(
                &sig.inputs,
                format!(
                    "`#[{}]` handlers take `&self` and the request: `async fn {}(&self, request: osb::{}) -> …`",
                    op.name(),
                    sig.ident,
                    example_request(op)
                ),
            );
            return None;
        };
        let return_span = match &sig.output {
            ReturnType::Type(_, ty) => ty.span(),
            ReturnType::Default => sig.ident.span(),
        };
        let cfgs = function
            .attrs
            .iter()
            .filter(|attr| attr.path().is_ident("cfg"))
            .filter_map(|attr| match &attr.meta {
                syn::Meta::List(list) => Some(list.tokens.clone()),
                _ => None,
            })
            .collect();
        Some(Handler {
            op,
            attr,
            attr_span: attr.span(),
            function,
            plans,
            request_type,
            return_span,
            cfgs,
        })
    }
}

/// A broker with lifetime parameters borrows what it serves from, which `osb::Broker`
/// (`'static`, kept by the router for as long as it serves) cannot allow.
fn borrows(cx: &Ctxt, generics: &syn::Generics) {
    for lifetime in generics.lifetimes() {
        cx.error_spanned_by(
            &lifetime.lifetime,
            format!(
                "a broker cannot borrow (`{}`): the router keeps it for as long as it serves, so it \
                 must own its data; hold `String`, `Arc<…>` or a connection pool instead of references",
                lifetime.lifetime
            ),
        );
    }
}

/// Helper attributes on associated consts, types or macros: they mark methods only.
fn misplaced_helpers(cx: &Ctxt, item: &ImplItem) {
    let attrs = match item {
        ImplItem::Const(item) => &item.attrs,
        ImplItem::Type(item) => &item.attrs,
        ImplItem::Macro(item) => &item.attrs,
        _ => return,
    };
    for attr in attrs {
        if let Some(op) = Op::from_path(attr.path()) {
            cx.error_spanned_by(
                attr,
                format!("`#[{}]` goes on an `async fn` handler method", op.name()),
            );
        }
    }
}

fn example_request(op: Op) -> String {
    let name: String = op
        .name()
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect()
            })
        })
        .collect();
    match op.plans() {
        Plans::Required => format!("{name}<Params>"),
        _ if op == Op::Resume => String::from("request::Interrupted"),
        _ => name,
    }
}

/// The plan list of a helper attribute, checked against what the operation takes.
fn plans(cx: &Ctxt, op: Op, attr: &syn::Attribute) -> Option<Vec<Path>> {
    let list = match &attr.meta {
        syn::Meta::Path(_) => None,
        syn::Meta::List(list) => {
            match list.parse_args_with(Punctuated::<Path, Token![,]>::parse_terminated) {
                Ok(paths) => Some(paths.into_iter().collect::<Vec<_>>()),
                Err(err) => {
                    cx.syn_error(err);
                    return None;
                }
            }
        }
        syn::Meta::NameValue(nv) => {
            cx.error_spanned_by(
                nv,
                format!(
                    "write `#[{}(PlanA, PlanB)]`, not `#[{} = …]`",
                    op.name(),
                    op.name()
                ),
            );
            return None;
        }
    };
    match (op.plans(), list) {
        (Plans::Required, Some(plans)) if !plans.is_empty() => Some(plans),
        (Plans::Required, _) => {
            cx.error_spanned_by(
                attr,
                format!(
                    "`#[{}]` needs the plans it serves, whose parameter types it takes: `#[{}(Small, Large)]`",
                    op.name(),
                    op.name()
                ),
            );
            None
        }
        (Plans::Optional, Some(plans)) if plans.is_empty() => None,
        (Plans::Optional, plans) => plans,
        (Plans::None, Some(plans)) if !plans.is_empty() => {
            let why = if op == Op::Resume {
                "it takes the interrupted work of every plan"
            } else {
                "it answers for every plan (the request may name none)"
            };
            cx.error_spanned_by(attr, format!("`#[{}]` takes no plans: {why}", op.name()));
            None
        }
        (Plans::None, _) => None,
    }
}

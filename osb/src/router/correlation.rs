//! The id that ties a request's log lines together and comes back on its answer.
//!
//! Platforms name requests differently: the specification's
//! `X-Broker-API-Request-Identity` («Request Identity»), which Cloud Foundry does not
//! send; `X-Request-Id` and `X-Correlation-Id`, common behind proxies; and
//! `X-Vcap-Request-Id`, which Cloud Foundry's router adds to every request. The first
//! of these present is the request's id (brokerapi takes the same ones); without any,
//! one is made up. The answer carries it under the header it came with, a made-up one
//! as `X-Request-Id`.

use std::hash::BuildHasher;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use http::header::HeaderName;
use http::request::Parts;
use http::{HeaderMap, HeaderValue};

use crate::api::REQUEST_IDENTITY_HEADER;

/// `X-Request-Id`: taken from requests, and the header a made-up id goes out with.
const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The headers an id is taken from, in this order.
const FROM: [HeaderName; 4] = [
    REQUEST_IDENTITY_HEADER,
    REQUEST_ID,
    HeaderName::from_static("x-correlation-id"),
    HeaderName::from_static("x-vcap-request-id"),
];

/// A request's id and the header it goes back with.
pub(super) struct Correlation {
    header: HeaderName,
    id: HeaderValue,
}

impl Correlation {
    /// The id of the request of `parts`, made up if it names none.
    pub(super) fn of(parts: &Parts) -> Self {
        Self::from_headers(&parts.headers)
    }

    fn from_headers(headers: &HeaderMap) -> Self {
        for header in FROM {
            if let Some(id) = headers.get(&header) {
                return Self {
                    header,
                    id: id.clone(),
                };
            }
        }
        Self {
            header: REQUEST_ID,
            id: made_up(),
        }
    }

    /// The id as the log shows it.
    pub(super) fn id(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(self.id.as_bytes())
    }

    /// Sets the id on `headers` of the answer, under the header it came with.
    pub(super) fn echo(self, headers: &mut HeaderMap) {
        headers.insert(self.header, self.id);
    }
}

/// A new id in the form of a random UUID (version 4): unique within the process (a
/// counter through a bijective mix), unpredictable across processes (the mix is keyed
/// by the process's random hash seed). Not a secret: ids are logged and echoed.
fn made_up() -> HeaderValue {
    static KEYS: OnceLock<(u64, u64)> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let (k0, k1) = *KEYS.get_or_init(|| {
        let seed = std::collections::hash_map::RandomState::new();
        (
            seed.hash_one(0x6f73_625f_6964_u64),
            seed.hash_one(0x6f73_625f_6964_u64 + 1),
        )
    });
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let high = mix(n ^ k0);
    let low = mix(n.wrapping_add(k1));
    // Version 4 and the RFC 4122 variant.
    let high = (high & !0xf000) | 0x4000;
    let low = (low & !(0xc000 << 48)) | (0x8000 << 48);
    // 8-4-4-4-12 hex digits, written in place: one allocation (the header's own).
    let mut text = [b'-'; 36];
    let digits = (0..16)
        .rev()
        .map(|nibble| high >> (nibble * 4))
        .chain((0..16).rev().map(|nibble| low >> (nibble * 4)));
    let places = (0..36).filter(|at| !matches!(at, 8 | 13 | 18 | 23));
    for (at, digit) in places.zip(digits) {
        text[at] = b"0123456789abcdef"[(digit & 0xf) as usize];
    }
    // Hex digits and dashes: always a valid header value.
    HeaderValue::from_bytes(&text).unwrap_or(HeaderValue::from_static("unknown"))
}

/// splitmix64's finalizer: a bijection of 64-bit integers that spreads every bit.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_header_present_wins_and_goes_back_under_its_name() {
        let mut headers = HeaderMap::new();
        headers.insert("x-vcap-request-id", HeaderValue::from_static("vcap-1"));
        headers.insert("x-correlation-id", HeaderValue::from_static("corr-1"));
        let correlation = Correlation::from_headers(&headers);
        assert_eq!(correlation.id(), "corr-1");
        let mut answer = HeaderMap::new();
        correlation.echo(&mut answer);
        assert_eq!(answer.get("x-correlation-id").unwrap(), "corr-1");
        assert_eq!(answer.len(), 1);
    }

    #[test]
    fn made_up_ids_are_uuids_and_differ() {
        let ids: Vec<String> = (0..1000)
            .map(|_| {
                Correlation::from_headers(&HeaderMap::new())
                    .id()
                    .into_owned()
            })
            .collect();
        let unique: std::collections::HashSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len());
        for id in &ids {
            let groups: Vec<&str> = id.split('-').collect();
            let lengths: Vec<usize> = groups.iter().map(|group| group.len()).collect();
            assert_eq!(lengths, [8, 4, 4, 4, 12], "{id}");
            assert!(
                id.chars().all(|c| c == '-' || c.is_ascii_hexdigit()),
                "{id}"
            );
            assert!(groups[2].starts_with('4'), "version 4: {id}");
            assert!(
                matches!(&groups[3][..1], "8" | "9" | "a" | "b"),
                "variant: {id}"
            );
        }
    }
}

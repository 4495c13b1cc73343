//! The ids of the operations the framework starts: `{kind}-{ms:x}-{n}` (the kind, the
//! Unix milliseconds of its start in hex, a counter of the process), kept as their
//! parts until their text is needed.
//!
//! Every write request starts one, and most never show it: a synchronous provision's
//! id lives in the store only while its handler runs, and is read back only if a
//! request for the same instance arrives meanwhile. The memory store keeps the parts;
//! the text is written when a record is read, or for a store behind the trait.

use std::fmt;

use super::record::OperationKind;

/// An operation id the framework made (see the module documentation).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct OperationId {
    kind: OperationKind,
    /// When the operation started, Unix milliseconds.
    started_ms: u64,
    /// The process's counter of operations.
    n: u64,
}

impl OperationId {
    /// The id of the `n`th operation of the process, of `kind`, started at `started_ms`.
    pub(crate) fn new(kind: OperationKind, started_ms: u64, n: u64) -> Self {
        Self {
            kind,
            started_ms,
            n,
        }
    }
}

impl fmt::Display for OperationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Written by hand: `write!` with `{:x}` cost more than the rest of the id's
        // bookkeeping.
        f.write_str(self.kind.as_str())?;
        f.write_str("-")?;
        f.write_str(digits::<16>(&mut [0; 20], self.started_ms))?;
        f.write_str("-")?;
        f.write_str(digits::<10>(&mut [0; 20], self.n))
    }
}

/// `value` in `RADIX` (10 or 16), lowercase, written at the end of `buffer`. The radix
/// is a constant so that each digit's division compiles to a multiplication or a
/// shift: a 64-bit division by a variable costs tens of cycles, and an id has about
/// twenty digits.
fn digits<const RADIX: u64>(buffer: &mut [u8; 20], mut value: u64) -> &str {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut start = buffer.len();
    loop {
        start -= 1;
        // `value % RADIX` is below 16.
        buffer[start] = DIGITS[usize::try_from(value % RADIX).unwrap_or(0)];
        value /= RADIX;
        if value == 0 {
            break;
        }
    }
    // The digits are ASCII.
    std::str::from_utf8(&buffer[start..]).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_match_format() {
        for value in [0, 7, 10, 15, 16, 255, 1_732_000_000_123, u64::MAX] {
            assert_eq!(digits::<10>(&mut [0; 20], value), format!("{value}"));
            assert_eq!(digits::<16>(&mut [0; 20], value), format!("{value:x}"));
        }
    }

    #[test]
    fn text_is_kind_hex_milliseconds_and_counter() {
        let id = OperationId::new(OperationKind::Provision, 1_764_745_200_123, 42);
        assert_eq!(id.to_string(), "provision-19ae302c1fb-42");
        let id = OperationId::new(OperationKind::Unbind, 0, 0);
        assert_eq!(id.to_string(), "unbind-0-0");
    }
}

//! Values written out as JSON text that is kept: answers stored with their
//! resource, parameters in force, metadata.

use serde::Serialize;
use serde_json::value::RawValue;

/// `value` as JSON text in a block of exactly its length.
///
/// `serde_json::value::to_raw_value` writes into a buffer that starts at 128 bytes
/// and then shrinks it in place; glibc splits off the unused tail as a free chunk
/// of a size nothing else asks for, and with one such fragment left per stored
/// record it merged its free lists on every request (`malloc_consolidate`;
/// docs/PERFORMANCE.md, «The allocator's slow paths»). Here the text is copied out of
/// the buffer instead, and the buffer is freed whole, for the next value to reuse.
pub(crate) fn to_raw_value<T: Serialize + ?Sized>(
    value: &T,
) -> Result<Box<RawValue>, serde_json::Error> {
    let mut buffer = Vec::with_capacity(128);
    serde_json::to_writer(&mut buffer, value)?;
    let raw: &RawValue = serde_json::from_slice(&buffer)?;
    Ok(raw.to_owned())
}

#[cfg(test)]
mod tests {
    use super::to_raw_value;

    #[test]
    fn writes_the_text_serde_json_writes() {
        let value = serde_json::json!({"size_mb": 256, "tags": ["a", "é\n"], "none": null});
        let ours = to_raw_value(&value).unwrap();
        let theirs = serde_json::value::to_raw_value(&value).unwrap();
        assert_eq!(ours.get(), theirs.get());
        assert_eq!(to_raw_value("x").unwrap().get(), "\"x\"");
    }

    #[test]
    fn reports_what_cannot_be_written() {
        let mut map = std::collections::HashMap::new();
        map.insert(vec![1u8], 1);
        let err = to_raw_value(&map).unwrap_err();
        assert!(err.to_string().contains("key must be a string"), "{err}");
    }
}

//! The signature targets' input: newline-separated text fields, the last (the body) taking
//! the rest. Text rather than `Arbitrary` bytes so seeds and regression cases are readable
//! and libFuzzer's ASCII-integer mutations reach extreme timestamps.

/// `count` fields of `data`; missing ones are empty, the last holds any further newlines.
pub fn fields(data: &[u8], count: usize) -> Vec<&[u8]> {
    let mut fields: Vec<&[u8]> = data.splitn(count, |b| *b == b'\n').collect();
    fields.resize(count, b"");
    fields
}

/// A header value: `None` when not UTF-8 (a header is a string); an empty one is missing.
pub fn header(field: &[u8]) -> Option<&str> {
    std::str::from_utf8(field).ok()
}

/// An integer field; anything else reads as 0.
pub fn int(field: &[u8]) -> i64 {
    std::str::from_utf8(field)
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(0)
}

/// `"<part> <position> <xor>"`: which part of a signed request to flip a byte of.
pub struct Flip {
    pub part: u8,
    pub position: u16,
    pub xor: u8,
}

impl Flip {
    pub fn parse(field: &[u8]) -> Flip {
        let text = std::str::from_utf8(field).unwrap_or("");
        let mut numbers = text
            .split_whitespace()
            .map(|n| n.parse::<u64>().unwrap_or(0));
        let mut next = || numbers.next().unwrap_or(0);
        Flip {
            part: next() as u8,
            position: next() as u16,
            xor: next() as u8,
        }
    }
}

//! A single-byte mutation of a signed request: which part, where, and the XOR applied.

/// Flips `xor` (non-zero) into the byte at `position` (modulo the length) of `bytes`.
/// `None` when there is no byte to flip or the flip changes nothing.
pub fn flip(bytes: &[u8], position: u16, xor: u8) -> Option<Vec<u8>> {
    if bytes.is_empty() || xor == 0 {
        return None;
    }
    let mut out = bytes.to_vec();
    let at = usize::from(position) % out.len();
    out[at] ^= xor;
    Some(out)
}

/// Whether a flip only changes the case of an ASCII letter: the same method (canonicalised
/// to upper case) or the same hex digest, so not a change of what was signed.
pub fn is_case_flip(before: &[u8], after: &[u8]) -> bool {
    before.len() == after.len()
        && before
            .iter()
            .zip(after)
            .all(|(a, b)| a.eq_ignore_ascii_case(b))
}

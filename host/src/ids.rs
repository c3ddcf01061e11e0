//! Ids the host makes for what it creates (sources, records typed in,
//! removals, sessions): 128 random bits from the OS CSPRNG, hex, so an id
//! neither collides nor says anything about what else exists.

/// A random 128-bit id, hex.
pub fn new_id() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_128_bit_hex_and_differ() {
        let (a, b) = (super::new_id(), super::new_id());
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}

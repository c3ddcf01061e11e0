//! The misbehaviours every test plugin can be asked for, by name, so the
//! host's limits are tested the same way for every plugin kind. Flooding
//! differs per kind (each floods the host interface it has) and lives in the
//! plugins.

/// Misbehave as `name` says (`endless-loop`, `memory-bomb`, `trap`); any
/// other name returns so the plugin can do its normal work or its own flood.
pub fn perform(name: &str) {
    match name {
        "endless-loop" => {
            let mut n: u64 = 0;
            loop {
                n = std::hint::black_box(n.wrapping_add(1));
            }
        }
        "memory-bomb" => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                // Touch every page so the memory is really committed.
                hoard.push(vec![0xA5; 1 << 20]);
                std::hint::black_box(&hoard);
            }
        }
        "trap" => panic!("deliberate trap for the containment test"),
        _ => {}
    }
}

//! A catalog shard (JSON Lines of card upserts and deletes) as downloaded: read line by line.
#![no_main]
use libfuzzer_sys::fuzz_target;
use microlearn_core::content::catalog::{ShardReader, parse_shard_line, shard_line_json};

fuzz_target!(|data: &[u8]| {
    for line in ShardReader::new(data, "fuzz").take(10_000) {
        match line {
            Ok(l) => {
                // What parses must serialize and parse back to the same line.
                if let Ok(json) = shard_line_json(&l) {
                    let back = parse_shard_line(&json).expect("own output parses");
                    assert_eq!(back.id(), l.id());
                }
            }
            Err(_) => break,
        }
    }
});

//! The HTTP response reader: arbitrary bytes, split arbitrarily, must give the same outcome
//! as the same bytes in one piece or one byte at a time, within the buffer bounds.
#![no_main]

use aliyun_imds_core::{Client, Config, Instant, ItemPath, Mode};
use aliyun_imds_fuzz::{Event, drive};
use libfuzzer_sys::fuzz_target;

const NOW: Instant = Instant::from_secs(1_700_000_000);

fn outcome(bytes: &[u8], splits: Vec<usize>) -> Result<String, String> {
    let mut client = Client::new(Config::default().with_mode(Mode::NormalOnly));
    let op = client.item(ItemPath::new("region-id").expect("valid"), NOW);
    let events = [Event::Reply { bytes: bytes.to_vec(), splits }];
    drive(op, NOW, &events, str::to_owned).result.map_err(|e| format!("{e:?}"))
}

// Input: four piece sizes (cycled; 0 counts as 1), then the response bytes.
fuzz_target!(|input: &[u8]| {
    let (sizes, bytes) = input.split_at(input.len().min(4));
    let splits: Vec<usize> = sizes.iter().map(|s| usize::from(*s)).collect();
    let whole = outcome(bytes, vec![]);
    assert_eq!(outcome(bytes, splits), whole);
    assert_eq!(outcome(bytes, vec![1]), whole);
});

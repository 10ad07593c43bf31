//! The RFC 3339 parser: never panics; what it accepts formats back to the same second.
#![no_main]

use aliyun_imds_core::parse_rfc3339;
use libfuzzer_sys::fuzz_target;

/// 10000-01-01T00:00:00Z: from here on, years have five digits and are not RFC 3339.
const YEAR_10000: u64 = 253_402_300_800;

fuzz_target!(|text: &str| {
    if let Ok(instant) = parse_rfc3339(text)
        && instant.as_secs() < YEAR_10000
    {
        let again = parse_rfc3339(&instant.to_string()).expect("formatted instants parse");
        assert_eq!(again.as_secs(), instant.as_secs());
    }
});

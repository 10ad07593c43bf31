//! Validated names and timestamps.

use aliyun_imds_core::{
    Host, Instant, ItemPath, NameError, RoleName, TimestampError, TokenTtl, parse_rfc3339,
};

#[test]
fn role_names() {
    for good in ["EcsRamRole", "a", "role.with-dots_and-dash", &"r".repeat(64)] {
        assert_eq!(RoleName::new(good).unwrap().as_str(), good);
    }
    assert_eq!(RoleName::new(""), Err(NameError::Empty));
    assert_eq!(RoleName::new(&"r".repeat(65)), Err(NameError::TooLong { limit: 64 }));
    assert_eq!(RoleName::new("a/b"), Err(NameError::InvalidByte { index: 1, byte: b'/' }));
    assert_eq!(RoleName::new("..").unwrap_err(), NameError::BadSegment);
    for bad in ["a b", "a%2F", "a\r\nHost: x", "a?b", "a#b", "rôle", "a\0"] {
        assert!(matches!(RoleName::new(bad), Err(NameError::InvalidByte { .. })), "{bad:?}");
    }
    assert_eq!(
        NameError::InvalidByte { index: 1, byte: b'\r' }.to_string(),
        "byte 0x0d at position 1 is not allowed"
    );
}

#[test]
fn item_paths() {
    for good in
        ["region-id", "instance-id", "network/interfaces/macs/", "ram/security-credentials/"]
    {
        assert!(ItemPath::new(good).is_ok(), "{good}");
    }
    for bad in ["/region-id", "a//b", "../token", "a/./b", "a/..", "", "a b", "a?x=1", "//"] {
        assert!(ItemPath::new(bad).is_err(), "{bad}");
    }
    assert_eq!(ItemPath::new(&"a".repeat(129)), Err(NameError::TooLong { limit: 128 }));
}

#[test]
fn hosts() {
    assert!(Host::new("[::1]:8080").is_ok());
    assert!(Host::new("imds.local").is_ok());
    assert!(Host::new("a b").is_err());
    assert!(Host::new("a\r\n").is_err());
    assert!(Host::new("user@host").is_err());
}

#[test]
fn token_ttls() {
    assert_eq!(TokenTtl::new(1).unwrap().secs(), 1);
    assert_eq!(TokenTtl::new(21_600).unwrap().secs(), 21_600);
    assert_eq!(TokenTtl::new(0).unwrap_err().to_string(), "token TTL 0 s is outside 1..=21600 s");
    assert!(TokenTtl::new(u64::MAX).is_err());
}

#[test]
fn rfc3339() {
    let ok = [
        ("1970-01-01T00:00:00Z", 0),
        ("2017-11-01T05:20:01Z", 1_509_513_601_000),
        ("2017-11-01t05:20:01z", 1_509_513_601_000),
        ("2017-11-01T05:20:01.5Z", 1_509_513_601_500),
        ("2017-11-01T05:20:01.123456789Z", 1_509_513_601_123),
        ("2017-11-01T13:20:01+08:00", 1_509_513_601_000),
        ("2017-10-31T23:20:01-06:00", 1_509_513_601_000),
        ("2000-02-29T00:00:00Z", 951_782_400_000),
        ("2016-12-31T23:59:60Z", 1_483_228_800_000),
        ("9999-12-31T23:59:59Z", 253_402_300_799_000),
    ];
    for (text, millis) in ok {
        assert_eq!(parse_rfc3339(text), Ok(Instant::from_millis(millis)), "{text}");
    }
    let syntax = [
        "",
        "2017-11-01",
        "2017-11-01 05:20:01Z",
        "2017-11-01T05:20:01",
        "2017-11-01T05:20:01.Z",
        "2017-11-01T05:20:01.1234567890Z",
        "2017-11-01T05:20:01+0800",
        "2017-11-01T05:20:01Z ",
        "+2017-11-01T05:20:01Z",
        "2017-1-01T05:20:01Z",
        "２017-11-01T05:20:01Z",
    ];
    for text in syntax {
        assert_eq!(parse_rfc3339(text), Err(TimestampError::Syntax), "{text}");
    }
    for text in [
        "2017-13-01T00:00:00Z",
        "2017-00-01T00:00:00Z",
        "2017-02-29T00:00:00Z",
        "2017-04-31T00:00:00Z",
        "2017-11-01T24:00:00Z",
        "2017-11-01T00:60:00Z",
        "2017-11-01T00:00:61Z",
        "2017-11-01T00:00:00+24:00",
    ] {
        assert_eq!(parse_rfc3339(text), Err(TimestampError::OutOfRange), "{text}");
    }
    assert_eq!(parse_rfc3339("1969-12-31T23:59:59Z"), Err(TimestampError::BeforeEpoch));
    assert_eq!(parse_rfc3339("1970-01-01T00:00:00+00:01"), Err(TimestampError::BeforeEpoch));
}

#[test]
fn instants_display_as_rfc3339_and_round_trip() {
    for secs in [0u64, 951_782_400, 1_509_513_601, 4_102_444_800, 253_402_300_799] {
        let text = Instant::from_secs(secs).to_string();
        assert_eq!(parse_rfc3339(&text), Ok(Instant::from_secs(secs)), "{text}");
    }
    assert_eq!(Instant::from_secs(1_509_513_601).to_string(), "2017-11-01T05:20:01Z");
    let _ = Instant::from_millis(u64::MAX).to_string(); // far future: no panic
}

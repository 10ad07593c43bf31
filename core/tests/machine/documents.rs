//! The credentials document: escapes, unknown fields, Code, required fields, timestamps.

use aliyun_imds_core::limits::SECURITY_TOKEN_LEN;
use aliyun_imds_core::{
    Client, Config, Credentials, DocumentError, Error, Field, Instant, Mode, RoleName,
    TimestampError,
};

use crate::machine::script::*;

fn parse(doc: &str) -> Result<Credentials, Error> {
    let config =
        Config::default().with_mode(Mode::NormalOnly).with_role(RoleName::new(ROLE).unwrap());
    Server::new(vec![http(200, doc)]).credentials(&mut Client::new(config))
}

fn doc_error(doc: &str) -> DocumentError {
    match parse(doc) {
        Err(Error::Document(e)) => e,
        other => panic!("expected a document error, got {other:?}"),
    }
}

const GOOD: &str = r#"{"AccessKeyId":"STS.id","AccessKeySecret":"sec","SecurityToken":"tok","Expiration":"2023-11-14T22:13:20Z","Code":"Success"}"#;

#[test]
fn escapes_decode_correctly() {
    let doc = GOOD.replace(r#""tok""#, r#""a\/b\u002Bc\u003d\"\\\n""#);
    assert_eq!(parse(&doc).unwrap().security_token(), "a/b+c=\"\\\n");
    let doc = GOOD.replace(r#""sec""#, r#""\u00e9t\u00E9""#);
    assert_eq!(parse(&doc).unwrap().access_key_secret(), "été");
    assert_eq!(
        doc_error(&GOOD.replace(r#""tok""#, r#""a\qb""#)),
        DocumentError::BadEscape(Field::SecurityToken)
    );
    assert_eq!(
        doc_error(&GOOD.replace(r#""tok""#, r#""\u12""#)),
        DocumentError::BadEscape(Field::SecurityToken)
    );
}

#[test]
fn unknown_fields_are_ignored_and_order_does_not_matter() {
    let doc = r#" { "Code" : "Success", "Extra": {"nested": [1, 2.5, true, null]}, "Expiration":"2023-11-14T22:13:20Z",
        "SecurityToken":"tok","AccessKeySecret":"sec","AccessKeyId":"STS.id", "LastUpdated": "2023-11-14T16:13:20Z" } "#;
    let creds = parse(doc).unwrap();
    assert_eq!(creds.access_key_id(), "STS.id");
    assert_eq!(creds.last_updated(), Some(Instant::from_secs(1_700_000_000 - 6 * 3600)));
}

#[test]
fn code_must_be_success() {
    let doc = GOOD.replace("Success", "Failed");
    assert_eq!(
        doc_error(&doc).to_string(),
        r#"IMDS answered with Code "Failed" instead of "Success""#
    );
    let doc = GOOD.replace(r#","Code":"Success""#, "");
    assert_eq!(doc_error(&doc), DocumentError::MissingField(Field::Code));
    let long = GOOD.replace("Success", &"\\u0007Z".repeat(100));
    let DocumentError::CodeNotSuccess { code } = doc_error(&long) else { panic!() };
    assert_eq!(code.as_str(), "Z".repeat(32), "control characters dropped, cut to 32");
}

#[test]
fn required_fields() {
    for (field, name) in [
        (Field::AccessKeyId, "AccessKeyId"),
        (Field::AccessKeySecret, "AccessKeySecret"),
        (Field::SecurityToken, "SecurityToken"),
        (Field::Expiration, "Expiration"),
    ] {
        let value = match field {
            Field::AccessKeyId => "STS.id",
            Field::AccessKeySecret => "sec",
            Field::SecurityToken => "tok",
            _ => "2023-11-14T22:13:20Z",
        };
        let missing = GOOD.replace(&format!(r#""{name}":"{value}","#), "");
        assert_eq!(doc_error(&missing), DocumentError::MissingField(field), "{missing}");
        let null = GOOD.replace(&format!(r#""{value}""#), "null");
        assert_eq!(doc_error(&null), DocumentError::MissingField(field), "{null}");
        if field != Field::Expiration {
            let empty = GOOD.replace(&format!(r#""{value}""#), r#""""#);
            assert_eq!(doc_error(&empty), DocumentError::EmptyField(field), "{empty}");
        }
    }
}

#[test]
fn field_capacities() {
    let at = "t".repeat(SECURITY_TOKEN_LEN);
    assert_eq!(
        parse(&GOOD.replace("tok", &at)).unwrap().security_token().len(),
        SECURITY_TOKEN_LEN
    );
    let over = "t".repeat(SECURITY_TOKEN_LEN + 1);
    assert_eq!(
        doc_error(&GOOD.replace("tok", &over)),
        DocumentError::FieldTooLong { field: Field::SecurityToken, limit: SECURITY_TOKEN_LEN }
    );
    // Capacity is measured after decoding: 4000 bytes of `\/` decode to a 2000-byte token.
    let escaped = "\\/".repeat(2000);
    assert_eq!(parse(&GOOD.replace("tok", &escaped)).unwrap().security_token(), "/".repeat(2000));
}

#[test]
fn garbage_and_wrong_types() {
    for doc in [
        "",
        "not json",
        "[]",
        "{",
        r#"{"AccessKeyId":1}"#,
        &GOOD.replace("}", "} trailing"),
        &format!("{GOOD}{GOOD}"),
    ] {
        assert!(matches!(doc_error(doc), DocumentError::Json { .. }), "{doc}");
    }
    let dup = GOOD.replace(r#""Code""#, r#""AccessKeyId":"again","Code""#);
    assert!(matches!(doc_error(&dup), DocumentError::Json { .. }), "duplicate fields are refused");
}

#[test]
fn timestamps_in_the_document() {
    let bad = GOOD.replace("2023-11-14T22:13:20Z", "tomorrow");
    assert_eq!(
        doc_error(&bad),
        DocumentError::BadTimestamp { field: Field::Expiration, error: TimestampError::Syntax }
    );
    let bad = format!("{}{}", &GOOD[..GOOD.len() - 1], r#","LastUpdated":"2023-02-30T00:00:00Z"}"#);
    assert_eq!(
        doc_error(&bad),
        DocumentError::BadTimestamp {
            field: Field::LastUpdated,
            error: TimestampError::OutOfRange
        }
    );
    let offset = GOOD.replace("2023-11-14T22:13:20Z", "2023-11-15T06:13:20.999+08:00");
    assert_eq!(parse(&offset).unwrap().expiration(), Instant::from_millis(1_700_000_000_999));
}

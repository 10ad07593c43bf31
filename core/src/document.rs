//! The credentials document IMDS returns, parsed into a [`Credentials`] value.
//!
//! serde-json-core borrows each string still escaped ([`EscapedStr`]); its fragments are then
//! decoded straight into the fixed-capacity fields, so escapes such as `\/` and `\u002B` come
//! out right with no scratch buffer at all.

use core::fmt;

use heapless::String;
use serde::Deserialize;
use serde_json_core::str::{EscapedStr, EscapedStringFragment};

use crate::Instant;
use crate::credentials::{Credentials, CredentialsError, Field};
use crate::rfc3339::{TimestampError, parse_rfc3339};

/// Longest `Code` value kept for an error message.
const CODE_LEN: usize = 32;
/// Longest timestamp text accepted (RFC 3339 with nanoseconds and an offset is 35 bytes).
const TIMESTAMP_LEN: usize = 40;

/// Why a credentials document was refused. Never carries a secret or a raw body.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum DocumentError {
    /// Not a JSON object of strings as IMDS sends (`reason` says what serde-json-core saw).
    Json {
        /// What was wrong.
        reason: &'static str,
    },
    /// `Code` is present but not `Success` (the value, cut to 32 printable characters).
    CodeNotSuccess {
        /// The code IMDS sent.
        code: String<CODE_LEN, u8>,
    },
    /// A required field is absent (or `null`).
    MissingField(Field),
    /// A required field is the empty string.
    EmptyField(Field),
    /// A field is longer than its capacity.
    FieldTooLong {
        /// Which field.
        field: Field,
        /// Its capacity in bytes.
        limit: usize,
    },
    /// A field holds an invalid escape sequence.
    BadEscape(Field),
    /// `Expiration` or `LastUpdated` is not a valid RFC 3339 timestamp.
    BadTimestamp {
        /// Which field.
        field: Field,
        /// What is wrong with it.
        error: TimestampError,
    },
}

impl fmt::Display for DocumentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Json { reason } => write!(f, "the credentials are not valid JSON: {reason}"),
            Self::CodeNotSuccess { code } => {
                write!(f, "IMDS answered with Code \"{code}\" instead of \"Success\"")
            }
            Self::MissingField(field) => write!(f, "the credentials lack the {field} field"),
            Self::EmptyField(field) => write!(f, "the credentials' {field} field is empty"),
            Self::FieldTooLong { field, limit } => {
                write!(f, "the credentials' {field} field is longer than {limit} bytes")
            }
            Self::BadEscape(field) => {
                write!(f, "the credentials' {field} field holds an invalid escape sequence")
            }
            Self::BadTimestamp { field, error } => {
                write!(f, "the credentials' {field} field is invalid: {error}")
            }
        }
    }
}

impl From<CredentialsError> for DocumentError {
    fn from(e: CredentialsError) -> Self {
        match e {
            CredentialsError::Empty(field) => Self::EmptyField(field),
            CredentialsError::TooLong { field, limit } => Self::FieldTooLong { field, limit },
        }
    }
}

/// The fields we read; any others are ignored.
#[derive(Deserialize)]
struct Document<'a> {
    #[serde(rename = "Code", borrow, default)]
    code: Option<EscapedStr<'a>>,
    #[serde(rename = "AccessKeyId", borrow, default)]
    access_key_id: Option<EscapedStr<'a>>,
    #[serde(rename = "AccessKeySecret", borrow, default)]
    access_key_secret: Option<EscapedStr<'a>>,
    #[serde(rename = "SecurityToken", borrow, default)]
    security_token: Option<EscapedStr<'a>>,
    #[serde(rename = "Expiration", borrow, default)]
    expiration: Option<EscapedStr<'a>>,
    #[serde(rename = "LastUpdated", borrow, default)]
    last_updated: Option<EscapedStr<'a>>,
}

/// Parses `body` into `out`. On error `out` is left cleared (zeroized).
pub(crate) fn parse_credentials(body: &[u8], out: &mut Credentials) -> Result<(), DocumentError> {
    out.clear();
    let result = parse_into(body, out);
    if result.is_err() {
        out.clear();
    }
    result
}

fn parse_into(body: &[u8], out: &mut Credentials) -> Result<(), DocumentError> {
    let (doc, used) = serde_json_core::from_slice::<Document<'_>>(body)
        .map_err(|e| DocumentError::Json { reason: json_reason(&e) })?;
    if !body.get(used..).unwrap_or_default().iter().all(u8::is_ascii_whitespace) {
        return Err(DocumentError::Json { reason: "trailing characters after the object" });
    }

    check_code(doc.code)?;
    for (field, value) in [
        (Field::AccessKeyId, doc.access_key_id),
        (Field::AccessKeySecret, doc.access_key_secret),
        (Field::SecurityToken, doc.security_token),
    ] {
        let value = value.ok_or(DocumentError::MissingField(field))?;
        for fragment in value.fragments() {
            match fragment.map_err(|_| DocumentError::BadEscape(field))? {
                EscapedStringFragment::NotEscaped(text) => out.push_str(field, text)?,
                EscapedStringFragment::Escaped(c) => {
                    out.push_str(field, c.encode_utf8(&mut [0; 4]))?;
                }
            }
        }
        if out.len_of(field) == 0 {
            return Err(DocumentError::EmptyField(field));
        }
    }

    let expiration = doc.expiration.ok_or(DocumentError::MissingField(Field::Expiration))?;
    let expiration = timestamp(Field::Expiration, expiration)?;
    let last_updated = doc.last_updated.map(|t| timestamp(Field::LastUpdated, t)).transpose()?;
    out.set_times(expiration, last_updated);
    Ok(())
}

/// `Code` must be present and `Success`.
fn check_code(code: Option<EscapedStr<'_>>) -> Result<(), DocumentError> {
    let Some(code) = code else {
        return Err(DocumentError::MissingField(Field::Code));
    };
    if code.0 == "Success" {
        return Ok(());
    }
    let mut shown = String::new();
    let decoded = code.fragments().flat_map(|fragment| {
        let (text, escaped) = match fragment {
            Ok(EscapedStringFragment::NotEscaped(text)) => (text, None),
            Ok(EscapedStringFragment::Escaped(c)) => ("", Some(c)),
            Err(_) => ("", Some('?')),
        };
        text.chars().chain(escaped)
    });
    for c in decoded.filter(|c| c.is_ascii_graphic() || *c == ' ').take(CODE_LEN) {
        // At most CODE_LEN ASCII characters: always fits.
        let _ = shown.push(c);
    }
    Err(DocumentError::CodeNotSuccess { code: shown })
}

fn timestamp(field: Field, text: EscapedStr<'_>) -> Result<Instant, DocumentError> {
    let mut decoded: String<TIMESTAMP_LEN, u8> = String::new();
    for fragment in text.fragments() {
        let pushed = match fragment.map_err(|_| DocumentError::BadEscape(field))? {
            EscapedStringFragment::NotEscaped(t) => decoded.push_str(t),
            EscapedStringFragment::Escaped(c) => decoded.push(c),
        };
        pushed.map_err(|_| DocumentError::BadTimestamp { field, error: TimestampError::Syntax })?;
    }
    parse_rfc3339(&decoded).map_err(|error| DocumentError::BadTimestamp { field, error })
}

fn json_reason(e: &serde_json_core::de::Error) -> &'static str {
    use serde_json_core::de::Error as E;
    match e {
        E::EofWhileParsingList
        | E::EofWhileParsingObject
        | E::EofWhileParsingString
        | E::EofWhileParsingNumber
        | E::EofWhileParsingValue => "the document ends too early",
        E::ExpectedColon => "expected ':'",
        E::ExpectedListCommaOrEnd => "expected ',' or ']'",
        E::ExpectedObjectCommaOrEnd => "expected ',' or '}'",
        E::ExpectedSomeIdent => "expected a value",
        E::ExpectedSomeValue => "expected a value",
        E::InvalidNumber => "invalid number",
        E::InvalidType => "a field has the wrong type (expected a string)",
        E::InvalidUnicodeCodePoint => "invalid unicode code point",
        E::KeyMustBeAString => "object keys must be strings",
        E::TrailingCharacters => "trailing characters after the object",
        E::TrailingComma => "trailing comma",
        E::EscapedStringIsTooLong => "escaped string too long",
        _ => "malformed document (duplicate or unexpected field)",
    }
}

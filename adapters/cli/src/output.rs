//! The three credentials output formats.

use aliyun_imds_core::Credentials;
use serde_json::json;

use crate::args::Format;

/// The credentials as `format`, ending with a newline.
pub fn render(credentials: &Credentials, format: Format) -> String {
    let expiration = credentials.expiration().to_string();
    match format {
        Format::Json => {
            let mut value = json!({
                "AccessKeyId": credentials.access_key_id(),
                "AccessKeySecret": credentials.access_key_secret(),
                "SecurityToken": credentials.security_token(),
                "Expiration": expiration,
            });
            if let Some(last_updated) = credentials.last_updated() {
                value["LastUpdated"] = last_updated.to_string().into();
            }
            format!("{value:#}\n")
        }
        Format::External => {
            let value = json!({
                "mode": "StsToken",
                "access_key_id": credentials.access_key_id(),
                "access_key_secret": credentials.access_key_secret(),
                "sts_token": credentials.security_token(),
                "expiration": expiration,
            });
            format!("{value}\n")
        }
        Format::Env => [
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", credentials.access_key_id()),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", credentials.access_key_secret()),
            ("ALIBABA_CLOUD_SECURITY_TOKEN", credentials.security_token()),
        ]
        .iter()
        .map(|(var, value)| format!("export {var}={}\n", shell_quote(value)))
        .collect(),
    }
}

/// Single-quotes `value` for POSIX shells (a `'` becomes `'\''`).
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::shell_quote;

    #[test]
    fn shell_quoting() {
        assert_eq!(shell_quote("abc"), "'abc'");
        assert_eq!(shell_quote("a'b"), r"'a'\''b'");
        assert_eq!(shell_quote("$(rm -rf /)`x`"), "'$(rm -rf /)`x`'");
    }
}

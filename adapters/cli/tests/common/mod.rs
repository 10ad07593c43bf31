//! What the command's process tests share.

use std::process::Command;

/// The built `aliyun-imds` binary.
pub const BIN: &str = env!("CARGO_BIN_EXE_aliyun-imds");

/// The command with a clean environment: no `ALIBABA_CLOUD_*` variable, and every proxy
/// variable pointing at a dead address (none of them may be used).
pub fn command(args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command.args(args);
    for (var, _) in std::env::vars().filter(|(var, _)| var.starts_with("ALIBABA_CLOUD_")) {
        command.env_remove(var);
    }
    for var in ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"] {
        command.env(var, "http://127.0.0.1:9");
    }
    command
}

/// `YYYY-MM-DDTHH:MM:SSZ`, exactly what the official SDKs parse.
pub fn is_strict_timestamp(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 20
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

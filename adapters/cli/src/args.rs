//! Command-line arguments.

use std::time::Duration;

use aliyun_imds::Settings;
use aliyun_imds_core::Mode;
use lexopt::{Arg, Parser, ValueExt};

pub const USAGE: &str = "\
aliyun-imds: temporary STS credentials of this ECS instance's RAM role, from the instance
metadata service (IMDS, 100.100.100.200)

USAGE:
    aliyun-imds credentials [OPTIONS] [--format json|external|env]
    aliyun-imds get ITEM [OPTIONS]                  e.g. region-id, instance-id, zone-id
    aliyun-imds serve [--listen ADDR] [OPTIONS]     serve them to local SDKs (credentials_uri)
    aliyun-imds simulate [--listen ADDR] [--role NAME] [--hardened-only]

OPTIONS (credentials, get, serve):
    --role NAME              RAM role (default: $ALIBABA_CLOUD_ECS_METADATA, else discovered)
    --endpoint HOST[:PORT]   metadata service (default:
                             $ALIBABA_CLOUD_ECS_METADATA_SERVICE_ENDPOINT, else 100.100.100.200)
    --mode auto|hardened|normal
                             auto: token first, normal mode if the token request fails;
                             hardened: token only (default if $ALIBABA_CLOUD_IMDSV1_DISABLED=true);
                             normal: no token
    --token-ttl SECONDS      token lifetime, 1..=21600 (default 21600)
    --timeout-ms N           deadline of the whole fetch, retries included (default 10000);
                             each connect and read also times out after 1 s
    --simulated              fetch from a built-in simulator started on loopback
    --format FORMAT          credentials output:
                               json      {\"AccessKeyId\", \"AccessKeySecret\", \"SecurityToken\",
                                          \"Expiration\", \"LastUpdated\"} (default)
                               external  the aliyun CLI / SDK external credentials process format
                               env       export ALIBABA_CLOUD_ACCESS_KEY_ID=... lines

SERVE:
    Serves the credentials over HTTP in the format of the official SDKs' credentials_uri
    provider, refreshed ahead of expiry. The first line on stdout is the URI (with a random
    secret token) to put in ALIBABA_CLOUD_CREDENTIALS_URI. GET only; /health answers without
    credentials; SIGINT or SIGTERM stops it gracefully.
    --listen ADDR            address to listen on (default 127.0.0.1:0, a free loopback port)

OPTIONS (simulate):
    --listen ADDR            address to listen on (default 127.0.0.1:8080)
    --role NAME              attached role (default aliyun-imds-simulated-role)
    --hardened-only          refuse requests without a metadata token

EXIT CODES:
    0  success
    1  could not write the output
    2  usage: bad arguments or option values
    3  metadata service unreachable (not on ECS?), timed out, or endpoint unresolvable
    4  role problem: no role attached, or the role is not attached to this instance
    5  protocol problem: bad or refused response (HTTP status, hardened mode required, ...)
    6  configuration: ALIBABA_CLOUD_ECS_METADATA_DISABLED=true or an invalid ALIBABA_CLOUD_* variable
";

/// What to print credentials as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    External,
    Env,
}

/// The command to run.
#[derive(Debug)]
pub enum Command {
    Help,
    Version,
    Credentials { settings: Settings, simulated: bool, format: Format },
    Get { item: String, settings: Settings, simulated: bool },
    Serve { listen: String, settings: Settings, simulated: bool },
    Simulate { listen: String, role: Option<String>, hardened_only: bool },
}

/// Parses the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = std::ffi::OsString>) -> Result<Command, lexopt::Error> {
    let mut parser = Parser::from_args(args);
    let command = match parser.next()? {
        None => return Err("missing command (try --help)".into()),
        Some(Arg::Long("help") | Arg::Short('h')) => return Ok(Command::Help),
        Some(Arg::Long("version") | Arg::Short('V')) => return Ok(Command::Version),
        Some(Arg::Value(command)) => command.string()?,
        Some(other) => return Err(other.unexpected()),
    };
    match command.as_str() {
        "credentials" => fetch_options(&mut parser, Kind::Credentials),
        "serve" => fetch_options(&mut parser, Kind::Serve),
        "get" => {
            let item = match parser.next()? {
                Some(Arg::Value(item)) => item.string()?,
                _ => return Err("get needs an ITEM, e.g. region-id".into()),
            };
            fetch_options(&mut parser, Kind::Get(item))
        }
        "simulate" => simulate_options(&mut parser),
        "help" => Ok(Command::Help),
        other => Err(format!("unknown command '{other}' (try --help)").into()),
    }
}

/// Which fetching command the options are for.
enum Kind {
    Credentials,
    Get(String),
    Serve,
}

fn fetch_options(parser: &mut Parser, kind: Kind) -> Result<Command, lexopt::Error> {
    let mut settings = Settings::default();
    let mut simulated = false;
    let mut format = Format::Json;
    let mut listen = "127.0.0.1:0".to_owned();
    while let Some(arg) = parser.next()? {
        match arg {
            Arg::Long("role") => settings.role = Some(parser.value()?.string()?),
            Arg::Long("endpoint") => settings.endpoint = Some(parser.value()?.string()?),
            Arg::Long("mode") => {
                settings.mode = Some(match parser.value()?.string()?.as_str() {
                    "auto" => Mode::Auto,
                    "hardened" => Mode::HardenedOnly,
                    "normal" => Mode::NormalOnly,
                    other => {
                        return Err(format!(
                            "--mode must be auto, hardened or normal, not '{other}'"
                        )
                        .into());
                    }
                });
            }
            Arg::Long("token-ttl") => settings.token_ttl_secs = Some(parser.value()?.parse()?),
            Arg::Long("timeout-ms") => {
                let ms: u64 = parser.value()?.parse()?;
                if ms == 0 {
                    return Err("--timeout-ms must be at least 1".into());
                }
                settings.operation_timeout = Some(Duration::from_millis(ms));
            }
            Arg::Long("simulated") => simulated = true,
            Arg::Long("format") if matches!(kind, Kind::Credentials) => {
                format = match parser.value()?.string()?.as_str() {
                    "json" => Format::Json,
                    "external" => Format::External,
                    "env" => Format::Env,
                    other => {
                        return Err(format!(
                            "--format must be json, external or env, not '{other}'"
                        )
                        .into());
                    }
                };
            }
            Arg::Long("listen") if matches!(kind, Kind::Serve) => {
                listen = parser.value()?.string()?
            }
            Arg::Long("help") | Arg::Short('h') => return Ok(Command::Help),
            other => return Err(other.unexpected()),
        }
    }
    Ok(match kind {
        Kind::Credentials => Command::Credentials { settings, simulated, format },
        Kind::Get(item) => Command::Get { item, settings, simulated },
        Kind::Serve => Command::Serve { listen, settings, simulated },
    })
}

fn simulate_options(parser: &mut Parser) -> Result<Command, lexopt::Error> {
    let mut listen = "127.0.0.1:8080".to_owned();
    let mut role = None;
    let mut hardened_only = false;
    while let Some(arg) = parser.next()? {
        match arg {
            Arg::Long("listen") => listen = parser.value()?.string()?,
            Arg::Long("role") => role = Some(parser.value()?.string()?),
            Arg::Long("hardened-only") => hardened_only = true,
            Arg::Long("help") | Arg::Short('h') => return Ok(Command::Help),
            other => return Err(other.unexpected()),
        }
    }
    Ok(Command::Simulate { listen, role, hardened_only })
}

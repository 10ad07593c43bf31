//! Configuration precedence: explicit setting > environment > default; invalid values are
//! errors. The environment is passed in, so the process's is never touched.

use std::collections::HashMap;
use std::time::Duration;

use aliyun_imds::{
    ENV_DISABLED, ENV_ENDPOINT, ENV_ROLE, ENV_V1_DISABLED, Endpoint, Error, Settings,
};
use aliyun_imds_core::{Mode, NameError};

fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let vars: HashMap<String, String> =
        vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    move |var| vars.get(var).cloned()
}

#[test]
fn defaults() {
    let resolved = Settings::default().resolve_with(env(&[])).unwrap();
    assert_eq!(resolved.config.mode, Mode::Auto);
    assert_eq!(resolved.config.role, None);
    assert_eq!(resolved.endpoint.to_string(), "100.100.100.200:80");
    assert_eq!(resolved.config.host.as_str(), "100.100.100.200");
    assert_eq!(resolved.config.token_ttl.secs(), 21_600);
    assert_eq!(
        (resolved.connect_timeout, resolved.read_timeout),
        (Duration::from_secs(1), Duration::from_secs(1))
    );
}

#[test]
fn environment_over_defaults() {
    let e =
        env(&[(ENV_ROLE, "EnvRole"), (ENV_V1_DISABLED, "TRUE"), (ENV_ENDPOINT, "127.0.0.1:8080")]);
    let resolved = Settings::default().resolve_with(e).unwrap();
    assert_eq!(resolved.config.role.unwrap().as_str(), "EnvRole");
    assert_eq!(resolved.config.mode, Mode::HardenedOnly);
    assert_eq!(resolved.endpoint.to_string(), "127.0.0.1:8080");
    assert_eq!(resolved.config.host.as_str(), "127.0.0.1:8080");
}

#[test]
fn explicit_over_environment() {
    let e =
        env(&[(ENV_ROLE, "EnvRole"), (ENV_V1_DISABLED, "true"), (ENV_ENDPOINT, "127.0.0.1:8080")]);
    let settings = Settings {
        role: Some("MyRole".into()),
        mode: Some(Mode::NormalOnly),
        endpoint: Some("[::1]:9000".into()),
        ..Settings::default()
    };
    let resolved = settings.resolve_with(e).unwrap();
    assert_eq!(resolved.config.role.unwrap().as_str(), "MyRole");
    assert_eq!(resolved.config.mode, Mode::NormalOnly);
    assert_eq!(resolved.endpoint.address, "::1");
    assert_eq!(resolved.endpoint.port, 9000);
}

#[test]
fn false_and_empty_values() {
    let e = env(&[(ENV_V1_DISABLED, "False"), (ENV_DISABLED, "false"), (ENV_ROLE, "")]);
    let resolved = Settings::default().resolve_with(e).unwrap();
    assert_eq!(resolved.config.mode, Mode::Auto);
    assert_eq!(resolved.config.role, None, "empty counts as unset");
}

#[test]
fn disabled_refuses_even_with_explicit_settings() {
    let settings = Settings { role: Some("MyRole".into()), ..Settings::default() };
    for value in ["true", "TRUE", "True"] {
        let error = settings.resolve_with(env(&[(ENV_DISABLED, value)])).unwrap_err();
        assert_eq!(error, Error::Disabled);
        assert!(error.to_string().contains("ALIBABA_CLOUD_ECS_METADATA_DISABLED=true"));
    }
}

#[test]
fn invalid_environment_values_are_errors_naming_the_variable() {
    for (var, value) in [
        (ENV_DISABLED, "yes"),
        (ENV_V1_DISABLED, "1"),
        (ENV_ROLE, "bad/role"),
        (ENV_ENDPOINT, "http://x"),
        (ENV_ENDPOINT, "h:0"),
    ] {
        let error = Settings::default().resolve_with(env(&[(var, value)])).unwrap_err();
        assert!(
            matches!(&error, Error::InvalidEnv { var: v, .. } if *v == var),
            "{var}={value}: {error:?}"
        );
        assert!(error.to_string().starts_with(&format!("invalid {var}: ")), "{error}");
    }
}

#[test]
fn invalid_explicit_values_are_errors() {
    let bad_ttl = Settings { token_ttl_secs: Some(21_601), ..Settings::default() };
    assert_eq!(
        bad_ttl.resolve_with(env(&[])).unwrap_err().to_string(),
        "invalid token TTL: token TTL 21601 s is outside 1..=21600 s"
    );
    let bad_endpoint = Settings { endpoint: Some("host:99999".into()), ..Settings::default() };
    assert!(bad_endpoint.resolve_with(env(&[])).unwrap_err().to_string().contains("port"));
}

#[test]
fn endpoints() {
    let cases = [
        ("100.100.100.200", "100.100.100.200", 80),
        ("localhost:8080", "localhost", 8080),
        ("[::1]", "::1", 80),
        ("[fe80::1]:81", "fe80::1", 81),
    ];
    for (text, address, port) in cases {
        let endpoint = Endpoint::parse(text).unwrap();
        assert_eq!(
            (endpoint.address.as_str(), endpoint.port, endpoint.host.as_str()),
            (address, port, text)
        );
    }
    assert_eq!(Endpoint::parse("::1").unwrap_err(), NameError::BadPort, "bare IPv6 needs brackets");
    assert_eq!(Endpoint::parse(":80").unwrap_err(), NameError::Empty);
    assert_eq!(Endpoint::parse("[::1]x").unwrap_err(), NameError::BadPort);
}

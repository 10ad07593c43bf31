//! The `aliyun-imds` command as a process: exit codes, stdout, stderr.

use std::process::{Command, Output};

use aliyun_imds_simulator::{
    Fault, IssuedCredentials, Rule, Simulator, SimulatorConfig, Target, TcpServer,
};

mod common;

use common::{BIN, command, is_strict_timestamp};

fn run(args: &[&str]) -> Output {
    command(args).output().expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

fn simulator(config: SimulatorConfig) -> (Simulator, TcpServer, String) {
    let simulator = Simulator::new(config);
    let server = TcpServer::start("127.0.0.1:0", simulator.clone()).unwrap();
    let endpoint = server.addr().to_string();
    (simulator, server, endpoint)
}

fn assert_no_secret(text: &str, issued: &IssuedCredentials) {
    assert!(!text.contains(&issued.access_key_secret), "secret leaked: {text}");
    assert!(!text.contains(&issued.security_token[..64]), "token leaked: {text}");
}

/// One line: `aliyun-imds: error: …`.
fn assert_one_error_line(output: &Output) {
    let err = stderr(output);
    assert!(
        err.starts_with("aliyun-imds: error: ") && err.ends_with('\n') && err.lines().count() == 1,
        "{err:?}"
    );
}

#[test]
fn main_command_on_the_built_in_simulator() {
    let output = run(&["credentials", "--simulated"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    for field in ["AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration", "LastUpdated"] {
        assert!(json[field].as_str().is_some_and(|v| !v.is_empty()), "{field}");
    }
    assert!(json["AccessKeyId"].as_str().unwrap().starts_with("STS."));
    assert!(json["SecurityToken"].as_str().unwrap().len() > 1500);
    assert!(is_strict_timestamp(json["Expiration"].as_str().unwrap()));
    let err = stderr(&output);
    assert!(err.contains("built-in simulator"), "{err}");
    assert!(!err.contains(json["AccessKeySecret"].as_str().unwrap()));
    assert!(!err.contains(&json["SecurityToken"].as_str().unwrap()[..64]));

    let output = run(&["get", "region-id", "--simulated"]);
    assert_eq!((output.status.code(), stdout(&output).as_str()), (Some(0), "cn-hangzhou\n"));
}

#[test]
fn the_three_formats_parse_back() {
    let (simulator, _server, endpoint) = simulator(SimulatorConfig::default());

    let output = run(&["credentials", "--endpoint", &endpoint, "--format", "json"]);
    let issued = simulator.last_issued().unwrap();
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(json["AccessKeyId"], issued.access_key_id.as_str());
    assert_eq!(json["AccessKeySecret"], issued.access_key_secret.as_str());
    assert_eq!(json["SecurityToken"], issued.security_token.as_str());

    let output = run(&["credentials", "--endpoint", &endpoint, "--format", "external"]);
    let issued = simulator.last_issued().unwrap();
    let text = stdout(&output);
    assert_eq!(text.lines().count(), 1, "one JSON line");
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["mode"], "StsToken");
    assert_eq!(json["access_key_id"], issued.access_key_id.as_str());
    assert_eq!(json["access_key_secret"], issued.access_key_secret.as_str());
    assert_eq!(json["sts_token"], issued.security_token.as_str());
    assert!(is_strict_timestamp(json["expiration"].as_str().unwrap()), "{}", json["expiration"]);

    // `env` through a real shell: eval the output, print the variables back.
    let script = format!(
        r#"eval "$('{BIN}' credentials --endpoint {endpoint} --format env)" && printf '%s\n%s\n%s\n' "$ALIBABA_CLOUD_ACCESS_KEY_ID" "$ALIBABA_CLOUD_ACCESS_KEY_SECRET" "$ALIBABA_CLOUD_SECURITY_TOKEN""#
    );
    let output = Command::new("sh").arg("-c").arg(script).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let issued = simulator.last_issued().unwrap();
    let expected = format!(
        "{}\n{}\n{}\n",
        issued.access_key_id, issued.access_key_secret, issued.security_token
    );
    assert_eq!(stdout(&output), expected);
}

#[test]
fn role_from_the_environment_and_hardened_mode() {
    let (simulator, _server, endpoint) = simulator(SimulatorConfig {
        role: Some("EnvRole".into()),
        hardened_only: true,
        ..SimulatorConfig::default()
    });
    let output = command(&["credentials", "--endpoint", &endpoint, "--mode", "hardened"])
        .env("ALIBABA_CLOUD_ECS_METADATA", "EnvRole")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let paths: Vec<_> = simulator.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/latest/api/token", "/latest/meta-data/ram/security-credentials/EnvRole"]);
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &[][..],
        &["credentials", "--bogus"],
        &["credentials", "--mode", "sideways"],
        &["credentials", "--format", "yaml"],
        &["credentials", "--role", "a/b"],
        &["credentials", "--token-ttl", "0"],
        &["credentials", "--timeout-ms", "soon"],
        &["get"],
        &["get", "../api/token"],
        &["frobnicate"],
    ] {
        let output = run(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
        assert_one_error_line(&output);
        assert!(output.stdout.is_empty());
    }
    let help = run(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(stdout(&help).contains("EXIT CODES"));
}

#[test]
fn unreachable_exits_3() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let output =
        run(&["credentials", "--endpoint", &format!("127.0.0.1:{port}"), "--timeout-ms", "3000"]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert_one_error_line(&output);
    assert!(stderr(&output).contains("could not connect"), "{}", stderr(&output));
}

#[test]
fn role_problems_exit_4() {
    let (_simulator, _server, endpoint) =
        simulator(SimulatorConfig { role: None, ..SimulatorConfig::default() });
    let output = run(&["credentials", "--endpoint", &endpoint]);
    assert_eq!(output.status.code(), Some(4));
    assert!(stderr(&output).contains("no RAM role attached"), "{}", stderr(&output));

    let (_simulator, _server, endpoint) = simulator(SimulatorConfig::default());
    let output = run(&["credentials", "--endpoint", &endpoint, "--role", "Typo"]);
    assert_eq!(output.status.code(), Some(4));
    assert_eq!(
        stderr(&output),
        "aliyun-imds: error: role 'Typo' is not attached to this instance (404 on its credentials; check the name's spelling and case)\n"
    );
}

#[test]
fn protocol_problems_exit_5_without_leaking_secrets() {
    let faults = [
        Fault::Code("Failure".into()),
        Fault::Truncate,
        Fault::Redirect("http://127.0.0.1:9/".into()),
        Fault::Status(500),
        Fault::MissingField("AccessKeyId".into()),
    ];
    for fault in faults {
        let (simulator, _server, endpoint) = simulator(SimulatorConfig::default());
        simulator.inject(Rule::always(Target::Credentials, fault.clone()));
        let output = run(&["credentials", "--endpoint", &endpoint]);
        assert_eq!(output.status.code(), Some(5), "{fault:?}: {}", stderr(&output));
        assert_one_error_line(&output);
        assert!(output.stdout.is_empty());
        if let Some(issued) = simulator.last_issued() {
            assert_no_secret(&stderr(&output), &issued);
        }
    }
}

#[test]
fn configuration_problems_exit_6() {
    for (var, value) in [
        ("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true"),
        ("ALIBABA_CLOUD_IMDSV1_DISABLED", "maybe"),
        ("ALIBABA_CLOUD_ECS_METADATA", "bad role"),
    ] {
        let output = command(&["credentials", "--simulated"]).env(var, value).output().unwrap();
        assert_eq!(output.status.code(), Some(6), "{var}={value}: {}", stderr(&output));
        assert_one_error_line(&output);
        assert!(stderr(&output).contains(var), "{}", stderr(&output));
    }
}

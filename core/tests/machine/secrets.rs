//! Secrets never appear in `Debug` or `Display` of any public type or error.

use aliyun_imds_core::*;

use crate::machine::script::*;

const TOKEN_SECRET: &str = "MetadataTokenSECRET42";

/// Every rendering of `value` must be free of the secrets.
fn assert_clean(what: &str, rendered: &[String]) {
    let security_token = security_token();
    for text in rendered {
        for secret in [SECRET, TOKEN_SECRET, &security_token[..40], &security_token[800..840]] {
            assert!(!text.contains(secret), "{what} shows a secret: {text}");
        }
    }
}

#[test]
fn no_public_type_or_error_shows_a_secret() {
    let mut client = Client::new(Config::default());
    let mut server = Server::new(vec![
        http(200, TOKEN_SECRET),
        http(200, ROLE),
        http(200, &document(&security_token())),
    ]);
    let creds = server.credentials(&mut client).unwrap();
    assert_eq!(creds.access_key_secret(), SECRET);
    assert_clean("credentials", &[format!("{creds:?}"), format!("{creds}"), format!("{creds:#?}")]);
    assert!(format!("{creds}").starts_with("STS.NUgY…"));
    assert_clean("client", &[format!("{client:?}")]);

    let op = client.credentials(NOW);
    assert_clean("operation", &[format!("{op:?}")]);
    drop(op);
    let token = MetadataToken::from_body(TOKEN_SECRET.as_bytes()).unwrap();
    assert_clean("token", &[format!("{token:?}")]);

    // Errors from every failure a secret could leak into.
    let mut errors = vec![];
    let bodies = [
        document(&security_token()).replace("Success", "Failed"),
        document(&security_token()).replace(EXPIRATION, SECRET),
        document(&security_token()).replace(EXPIRATION, &security_token()),
        document(&security_token()).replace("\"Code\"", "\"X\""),
        format!("{}garbage{SECRET}", document("t")),
    ];
    for body in bodies {
        let mut server =
            Server::new(vec![http(200, TOKEN_SECRET), http(200, ROLE), http(200, &body)]);
        errors.push(server.credentials(&mut Client::new(Config::default())).unwrap_err());
    }
    let mut server =
        Server::new(vec![http(200, TOKEN_SECRET), http(200, &format!("bad role {SECRET}"))]);
    errors.push(server.credentials(&mut Client::new(Config::default())).unwrap_err());
    let mut server =
        Server::new(vec![http(200, &format!("{TOKEN_SECRET} {SECRET}")), http(403, SECRET)]);
    errors.push(
        server
            .credentials(&mut Client::new(Config::default().with_mode(Mode::HardenedOnly)))
            .unwrap_err(),
    );
    assert!(errors.len() == 7);
    for error in &errors {
        assert_clean("error", &[format!("{error:?}"), format!("{error}")]);
    }
}

//! The credentials document parser: any body a 200 may carry. Credentials come out only when
//! `Code` is `Success` and all three secrets are present and non-empty.
#![no_main]

use aliyun_imds_core::{Action, Client, Config, Instant, Mode, RoleName};
use libfuzzer_sys::fuzz_target;

const NOW: Instant = Instant::from_secs(1_700_000_000);

fuzz_target!(|body: &[u8]| {
    let config = Config::default()
        .with_mode(Mode::NormalOnly)
        .with_role(RoleName::new("Role").expect("valid"));
    let mut client = Client::new(config);
    let mut exchange = client.credentials_exchange(NOW);
    let Action::Send(_) = exchange.next(NOW) else { panic!("a request first") };
    exchange.respond(200, body);
    match exchange.next(NOW) {
        Action::Done => {
            let credentials = exchange.output().expect("done means output");
            assert!(!credentials.access_key_id().is_empty());
            assert!(!credentials.access_key_secret().is_empty());
            assert!(!credentials.security_token().is_empty());
            assert!(credentials.expiration() > NOW);
            assert!(body.windows(9).any(|w| w == b"\"Success\""));
        }
        Action::Failed(error) => {
            // Errors are one line.
            assert!(!error.to_string().contains('\n'));
        }
        other => panic!("unexpected {other:?}"),
    }
});

//! The refresh policy on a virtual clock, across the whole 6-hour credential lifetime.

use core::time::Duration;

use aliyun_imds_core::{Decision, Instant, RefreshPolicy, RefreshState};

const T0: Instant = Instant::from_secs(1_700_000_000);
const LIFETIME: Duration = Duration::from_secs(6 * 3600);

fn at(secs: u64) -> Instant {
    T0.saturating_add(Duration::from_secs(secs))
}

#[test]
fn nothing_cached_means_fetch() {
    assert_eq!(RefreshState::new(1).decide(T0), Decision::Fetch);
    assert_eq!(RefreshState::new(1).fresh_until(), None);
}

#[test]
fn a_whole_lifetime_minute_by_minute() {
    let policy = RefreshPolicy::default();
    for seed in 0..50 {
        let mut state = RefreshState::new(seed);
        let expiration = T0.saturating_add(LIFETIME);
        state.succeeded(&policy, expiration, T0);
        let fresh_until = state.fresh_until().unwrap();
        // The refresh time lies 15 to 16 minutes before expiry (jitter bounds).
        let ahead = expiration.saturating_duration_since(fresh_until);
        assert!(
            (Duration::from_secs(900)..=Duration::from_secs(960)).contains(&ahead),
            "{ahead:?}"
        );
        for minute in 0..=6 * 60 + 5 {
            let now = at(minute * 60);
            let expected = if now < fresh_until {
                Decision::Serve
            } else if now < expiration {
                Decision::ServeAndRefresh
            } else {
                Decision::Fetch
            };
            assert_eq!(state.decide(now), expected, "seed {seed}, minute {minute}");
        }
    }
}

#[test]
fn failed_refreshes_back_off_capped_and_jittered_while_serving() {
    let policy = RefreshPolicy { spread: Duration::ZERO, ..RefreshPolicy::default() };
    let mut state = RefreshState::new(3);
    state.succeeded(&policy, at(6 * 3600), T0);
    let mut now = at(6 * 3600 - 15 * 60);
    assert_eq!(state.decide(now), Decision::ServeAndRefresh);
    let mut waits = vec![];
    // Keep failing for the whole refresh window.
    while now < at(6 * 3600) {
        state.failed(&policy, now);
        let retry_at = state.fresh_until().unwrap();
        let wait = retry_at.saturating_duration_since(now);
        let full = Duration::from_secs(1 << u32::from(state.failures() - 1).min(6))
            .min(Duration::from_secs(60));
        if retry_at < at(6 * 3600) {
            assert!(wait >= full / 2 && wait <= full, "failure {}: {wait:?}", state.failures());
            assert_eq!(
                state.decide(now),
                Decision::Serve,
                "valid credentials served while backing off"
            );
            assert_eq!(state.decide(retry_at), Decision::ServeAndRefresh);
        }
        waits.push(wait);
        now = retry_at;
    }
    assert!(waits.iter().all(|w| *w <= Duration::from_secs(60)), "capped at 60 s");
    assert!(waits.len() > 15 && waits.len() < 40, "{} attempts in 15 minutes", waits.len());
    // Never serve expired credentials: once expired, fail fast until the backoff ends.
    let expired = at(6 * 3600);
    state.failed(&policy, expired);
    match state.decide(expired) {
        Decision::FailFast { retry_at } => {
            assert!(retry_at > expired);
            assert_eq!(state.decide(retry_at), Decision::Fetch);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn recovery_resets_the_backoff() {
    let policy = RefreshPolicy::default();
    let mut state = RefreshState::new(9);
    for _ in 0..10 {
        state.failed(&policy, T0);
    }
    assert_eq!(state.failures(), 10);
    state.succeeded(&policy, at(6 * 3600 + 60), at(60));
    assert_eq!(state.failures(), 0);
    assert_eq!(state.decide(at(61)), Decision::Serve);
}

#[test]
fn credentials_arriving_inside_the_refresh_window_are_served_without_hammering() {
    let policy = RefreshPolicy { spread: Duration::ZERO, ..RefreshPolicy::default() };
    let mut state = RefreshState::new(5);
    // Only 5 minutes left on arrival: valid, but already due for a refresh.
    state.succeeded(&policy, at(300), T0);
    assert_eq!(state.decide(T0), Decision::Serve, "served, no immediate refetch");
    let retry_at = state.fresh_until().unwrap();
    let wait = retry_at.saturating_duration_since(T0);
    assert!(wait >= Duration::from_millis(500) && wait <= Duration::from_secs(1), "{wait:?}");
    assert_eq!(state.decide(retry_at), Decision::ServeAndRefresh);
    assert_eq!(state.decide(at(300)), Decision::Fetch, "never served once expired");
}

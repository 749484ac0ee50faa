//! The notices a run says on standard error as it goes: why it pauses (a refused connection
//! retried, an unexpected 429 waited out), rendered from the executor's wait events.

use std::time::Duration;

use crate::execution::event::WaitDetail;

/// The line that says a case waits `duration` before sending again, and why.
pub fn waiting(id: &str, duration: Duration, detail: WaitDetail) -> String {
    let secs = duration.as_secs_f64();
    match detail {
        WaitDetail::Retry { retry, retries } => format!(
            "authconform: {id}: connection refused; waiting {secs}s before retry {retry} of {retries} (--retries)"
        ),
        WaitDetail::RateLimited { asked } => format!(
            "authconform: {id}: the server answered 429 Too Many Requests; waiting {secs}s ({}), then sending once more",
            if asked {
                "as Retry-After or X-RateLimit-Reset asks"
            } else {
                "it gave no Retry-After"
            }
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_notices_say_why_and_how_long() {
        assert_eq!(
            waiting(
                "t/a",
                Duration::from_millis(250),
                WaitDetail::Retry {
                    retry: 1,
                    retries: 3
                }
            ),
            "authconform: t/a: connection refused; waiting 0.25s before retry 1 of 3 (--retries)"
        );
        assert_eq!(
            waiting(
                "h/c",
                Duration::from_secs(1),
                WaitDetail::RateLimited { asked: true }
            ),
            "authconform: h/c: the server answered 429 Too Many Requests; waiting 1s (as Retry-After or X-RateLimit-Reset asks), then sending once more"
        );
        assert!(
            waiting(
                "h/c",
                Duration::from_secs(1),
                WaitDetail::RateLimited { asked: false }
            )
            .contains("(it gave no Retry-After)")
        );
    }
}

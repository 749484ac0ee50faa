//! Executing the plan politely: at most `--jobs` cases at once; every request through one token
//! bucket (`--rate`); connection failures retried with backoff (`--retries`), failed checks
//! never; an unexpected 429 waited out once, as `Retry-After` or `X-RateLimit-Reset` says
//! (bounded by `--max-wait`); and `repeat` cases after all the others, one at a time. Each
//! case's record goes to its own slot, so that reports take them in case-id order whatever
//! order they finish in.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

use tokio::{
    sync::{Semaphore, oneshot, watch},
    task::JoinSet,
    time::Instant,
};

use crate::{
    case::Case,
    check::{self, Check},
    deviations::Deviations,
    plan::{NotSent, Prepared},
    record::{Record, RequestSummary, ResponseSummary, Verdict},
    redact::Redactor,
    send::{Response, Sender},
};

/// How politely to run.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Cases at once.
    pub jobs: usize,
    /// Requests per second for the whole run (None: unlimited).
    pub rate: Option<f64>,
    /// Extra attempts after a refused connection.
    pub retries: u32,
    /// The longest an unexpected 429 is waited out.
    pub max_wait: Duration,
}

/// A token bucket shared by every request of the run. It holds one second's worth of requests,
/// so a run starts at once and then keeps to the rate.
pub struct Limiter {
    rate: f64,
    burst: f64,
    state: Mutex<(f64, Instant)>,
}

impl Limiter {
    pub fn new(rate: f64) -> Self {
        let burst = rate.max(1.0);
        Limiter {
            rate,
            burst,
            state: Mutex::new((burst, Instant::now())),
        }
    }

    /// Waits until the next request may go.
    pub async fn acquire(&self) {
        loop {
            let wait = {
                let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
                let (tokens, last) = &mut *state;
                let now = Instant::now();
                *tokens =
                    (*tokens + now.duration_since(*last).as_secs_f64() * self.rate).min(self.burst);
                *last = now;
                if *tokens >= 1.0 {
                    *tokens -= 1.0;
                    return;
                }
                Duration::try_from_secs_f64((1.0 - *tokens) / self.rate)
                    .unwrap_or(Duration::from_secs(3600))
            };
            tokio::time::sleep(wait).await;
        }
    }
}

/// One case to run, and where its record goes (None: interrupted before it finished).
pub struct Job {
    pub case: Case,
    pub plan: Result<Prepared, NotSent>,
    pub slot: oneshot::Sender<Option<Record>>,
}

pub struct Executor {
    pub sender: Sender,
    pub limiter: Option<Limiter>,
    pub policy: Policy,
    pub redactor: Arc<Redactor>,
    /// Turns true on Ctrl-C.
    pub interrupted: watch::Receiver<bool>,
    /// Accepted deviations, and today's date to judge their expiry.
    pub deviations: Option<(Arc<Deviations>, String)>,
    /// Every finished case's record, for the reports: kept here, not by whoever shows it, so
    /// that a terminal that went away loses nothing.
    pub records: Arc<Mutex<Vec<Record>>>,
}

impl Executor {
    /// Runs every job: the ordinary ones `jobs` at a time, in id order, then the `repeat` ones
    /// one after another.
    pub async fn run(self: Arc<Self>, jobs: Vec<Job>) {
        let (ordinary, repeats): (Vec<Job>, Vec<Job>) =
            jobs.into_iter().partition(|j| j.case.repeat.is_none());
        let permits = Arc::new(Semaphore::new(self.policy.jobs.max(1)));
        let mut running = JoinSet::new();
        for job in ordinary {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                break;
            };
            let me = self.clone();
            running.spawn(async move {
                let _permit = permit;
                me.finish(job).await;
            });
        }
        while running.join_next().await.is_some() {}
        for job in repeats {
            self.finish(job).await;
        }
    }

    async fn finish(&self, job: Job) {
        let mut stop = self.interrupted.clone();
        let record = if *stop.borrow() {
            None
        } else {
            tokio::select! {
                record = self.judge(&job.case, &job.plan) => Some(record),
                _ = stop.wait_for(|interrupted| *interrupted) => None,
            }
        };
        let record = record.map(|mut record| {
            if let Some((deviations, today)) = &self.deviations {
                deviations.apply(&mut record, today);
            }
            let record = record.redact(&self.redactor);
            self.records
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(record.clone());
            record
        });
        let _ = job.slot.send(record);
    }

    /// Sends the case's request (repeatedly, for `repeat` cases) and judges the response.
    async fn judge(&self, case: &Case, plan: &Result<Prepared, NotSent>) -> Record {
        let started = Instant::now();
        let mut record = Record::blank(case);
        let request = match plan {
            Ok(request) => request,
            Err(NotSent::Skip(reason)) => {
                record.verdict = Verdict::Skip {
                    reason: reason.clone(),
                };
                return record;
            }
            Err(NotSent::Invalid(message)) => {
                record.verdict = Verdict::Error {
                    message: message.clone(),
                };
                return record;
            }
        };
        record.request = Some(RequestSummary {
            method: request.method.to_string(),
            url: request.url.to_string(),
            curl: request.curl(),
        });
        let expected: &[u16] = case
            .checks
            .iter()
            .find_map(|c| match c {
                Check::Status(allowed) => Some(allowed.as_slice()),
                _ => None,
            })
            .unwrap_or(&[]);
        let max = case.repeat.unwrap_or(1);
        let response = loop {
            record.attempts += 1;
            match self.exchange(request, expected.contains(&429)).await {
                Err(message) => {
                    record.verdict = Verdict::Error { message };
                    record.elapsed = started.elapsed();
                    return record;
                }
                Ok(response) if record.attempts < max && !expected.contains(&response.status) => {
                    continue;
                }
                Ok(response) => break response,
            }
        };
        record.violations = check::evaluate(&case.checks, &response);
        record.warnings = check::evaluate(&case.advice, &response);
        record.checks = check::outcomes(&case.checks, &record.violations, false);
        record
            .checks
            .extend(check::outcomes(&case.advice, &record.warnings, true));
        if response.status == 429 {
            record.rate_limit = Some(rate_limit_note(&response, record.attempts));
        }
        let checked: Vec<&str> = case
            .checks
            .iter()
            .chain(&case.advice)
            .filter_map(Check::header_name)
            .collect();
        record.response = Some(ResponseSummary::of(&response, &checked));
        if !record.violations.is_empty() {
            record.verdict = Verdict::Fail;
        }
        record.elapsed = started.elapsed();
        record
    }

    /// One request, as politely as the policy says: through the limiter, retried after a
    /// refused connection, and an unexpected 429 (`documents_429` false) waited out once.
    async fn exchange(&self, request: &Prepared, documents_429: bool) -> Result<Response, String> {
        let mut refused = 0;
        let mut waited: Option<Duration> = None;
        loop {
            if let Some(limiter) = &self.limiter {
                limiter.acquire().await;
            }
            match self.sender.send(request).await {
                Err(e) if e.refused && refused < self.policy.retries => {
                    tokio::time::sleep(backoff(refused)).await;
                    refused += 1;
                }
                Err(e) if refused > 0 => {
                    return Err(format!("{} ({} attempts)", e.message, refused + 1));
                }
                Err(e) => return Err(e.message),
                Ok(response) if response.status == 429 && !documents_429 => {
                    let asked = retry_after(&response, SystemTime::now());
                    if let Some(waited) = waited {
                        return Err(format!(
                            "rate limited: the server answered 429 again after a wait of {}s; not judged",
                            waited.as_secs_f64()
                        ));
                    }
                    let wait = asked.unwrap_or(Duration::from_secs(1));
                    if wait > self.policy.max_wait {
                        return Err(format!(
                            "rate limited: the server answered 429 and asks for a wait of {}s, more than --max-wait {}s; not judged",
                            wait.as_secs(),
                            self.policy.max_wait.as_secs()
                        ));
                    }
                    tokio::time::sleep(wait).await;
                    waited = Some(wait);
                }
                Ok(response) => return Ok(response),
            }
        }
    }
}

/// 250 ms, 500 ms, 1 s, ... at most 8 s.
fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(250u64 << attempt.min(5)).min(Duration::from_secs(8))
}

/// How long a 429 asks to wait: `Retry-After` (seconds or an HTTP date), else
/// `X-RateLimit-Reset` (epoch seconds).
pub fn retry_after(response: &Response, now: SystemTime) -> Option<Duration> {
    if let Some(value) = response.header("retry-after") {
        let value = value.trim();
        if let Ok(secs) = value.parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
        if let Ok(when) = httpdate::parse_http_date(value) {
            return Some(when.duration_since(now).unwrap_or_default());
        }
    }
    let reset = response
        .header("x-ratelimit-reset")?
        .trim()
        .parse::<u64>()
        .ok()?;
    // A reset too far away to represent asks for longer than any --max-wait.
    let when = SystemTime::UNIX_EPOCH
        .checked_add(Duration::from_secs(reset))
        .unwrap_or(now + Duration::from_secs(u32::MAX.into()));
    Some(when.duration_since(now).unwrap_or_default())
}

/// What the rate limit said when it tripped, for the reports.
fn rate_limit_note(response: &Response, attempts: u32) -> String {
    let mut seen: Vec<String> = [
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "retry-after",
    ]
    .iter()
    .filter_map(|name| response.header(name).map(|v| format!("{name}: {v}")))
    .collect();
    if seen.is_empty() {
        seen.push("no rate-limit headers".into());
    }
    format!("429 after {attempts} requests; {}", seen.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(headers: &[(&str, &str)]) -> Response {
        Response {
            status: 429,
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body: Vec::new(),
            truncated: false,
        }
    }

    #[test]
    fn retry_after_reads_seconds_dates_and_reset() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(
            retry_after(&response(&[("retry-after", "7")]), now),
            Some(Duration::from_secs(7))
        );
        let date = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            retry_after(&response(&[("retry-after", &date)]), now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            retry_after(&response(&[("x-ratelimit-reset", "1000000012")]), now),
            Some(Duration::from_secs(12))
        );
        assert_eq!(
            retry_after(&response(&[("x-ratelimit-reset", "999999999")]), now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            retry_after(&response(&[("retry-after", "soon")]), now),
            None
        );
        let far = retry_after(
            &response(&[("x-ratelimit-reset", "18446744073709551615")]),
            now,
        )
        .unwrap();
        assert!(far > Duration::from_secs(3600), "{far:?}");
        assert_eq!(retry_after(&response(&[]), now), None);
    }

    #[test]
    fn backoff_grows_and_is_bounded() {
        assert_eq!(backoff(0), Duration::from_millis(250));
        assert_eq!(backoff(2), Duration::from_secs(1));
        assert_eq!(backoff(30), Duration::from_secs(8));
    }

    #[test]
    fn rate_limit_notes_say_what_they_saw() {
        let r = response(&[
            ("x-ratelimit-limit", "10"),
            ("x-ratelimit-remaining", "0"),
            ("retry-after", "60"),
        ]);
        assert_eq!(
            rate_limit_note(&r, 11),
            "429 after 11 requests; x-ratelimit-limit: 10, x-ratelimit-remaining: 0, retry-after: 60"
        );
        assert_eq!(
            rate_limit_note(&response(&[]), 1),
            "429 after 1 requests; no rate-limit headers"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_limiter_lets_a_burst_through_then_keeps_the_rate() {
        let limiter = Limiter::new(4.0);
        let start = tokio::time::Instant::now();
        for _ in 0..4 {
            limiter.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        for _ in 0..4 {
            limiter.acquire().await;
        }
        assert!(
            start.elapsed() >= Duration::from_millis(990),
            "{:?}",
            start.elapsed()
        );
    }
}

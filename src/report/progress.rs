//! The live progress line on a terminal: how many cases are done of how many, how long the run
//! has taken, and which cases are running, redrawn on standard error while the run goes on.
//!
//! It renders the run's events (a case started, finished; the run finished). The printer
//! writes each case's line on standard output, and a wait notice goes to standard error; each
//! hides the line while it writes (the line comes back at the next tick), so that no line is
//! cut by the progress line.

use std::{
    collections::BTreeSet,
    io::{IsTerminal, Write},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    thread::JoinHandle,
    time::{Duration, Instant},
};

use crate::execution::event::Event;

/// How often the line is redrawn.
const TICK: Duration = Duration::from_millis(100);

/// The progress of one run.
pub struct Progress {
    total: AtomicUsize,
    done: AtomicUsize,
    running: Mutex<BTreeSet<String>>,
    started: Instant,
    draw: Mutex<Draw>,
    stop: AtomicBool,
    /// The thread that redraws the line, once started.
    ticker: Mutex<Option<JoinHandle<()>>>,
}

struct Draw {
    shown: bool,
}

/// The progress line kept off the terminal (see [`Progress::hide`]).
pub struct Hidden<'a> {
    _draw: std::sync::MutexGuard<'a, Draw>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Progress {
    /// A progress of no cases yet ([`Progress::set_total`] says how many).
    pub fn new() -> Arc<Progress> {
        Arc::new(Progress {
            total: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
            running: Mutex::default(),
            started: Instant::now(),
            draw: Mutex::new(Draw { shown: false }),
            stop: AtomicBool::new(false),
            ticker: Mutex::new(None),
        })
    }

    /// Whether a progress line belongs on this standard error: a terminal that can move the
    /// cursor back (not `TERM=dumb`).
    pub fn wanted() -> bool {
        std::io::stderr().is_terminal() && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
    }

    pub fn set_total(&self, total: usize) {
        self.total.store(total, Ordering::SeqCst);
    }

    /// Renders a run's event: the cases running and done, and the end of the line.
    pub fn event(&self, event: &Event<'_>) {
        match event {
            Event::Started { id } => self.started(id),
            Event::Finished(record) => self.finished(&record.id),
            Event::RunFinished => self.finish(),
            Event::Waiting { .. } | Event::Interrupted { .. } => {}
        }
    }

    fn started(&self, id: &str) {
        lock(&self.running).insert(id.to_owned());
    }

    fn finished(&self, id: &str) {
        lock(&self.running).remove(id);
        self.done.fetch_add(1, Ordering::SeqCst);
    }

    /// Erases the line and keeps it away for as long as the guard lives: a case's line is
    /// being written.
    pub fn hide(&self) -> Hidden<'_> {
        let mut draw = lock(&self.draw);
        if draw.shown {
            erase();
            draw.shown = false;
        }
        Hidden { _draw: draw }
    }

    /// The line as it is now, at most `width` characters.
    fn line(&self, width: usize) -> String {
        let running = lock(&self.running);
        let mut line = format!(
            "[{}/{}] {:.1} s",
            self.done.load(Ordering::SeqCst),
            self.total.load(Ordering::SeqCst),
            self.started.elapsed().as_secs_f64()
        );
        if !running.is_empty() {
            line.push_str(" · running: ");
            line.push_str(&running.iter().cloned().collect::<Vec<_>>().join(", "));
        }
        if line.chars().count() > width {
            line = line.chars().take(width.saturating_sub(1)).collect();
            line.push('…');
        }
        line
    }

    /// Starts redrawing the line on its own thread, until the run finishes.
    pub fn start(self: &Arc<Self>) {
        let me = self.clone();
        let ticker = std::thread::spawn(move || {
            while !me.stop.load(Ordering::SeqCst) {
                std::thread::sleep(TICK);
                let mut draw = lock(&me.draw);
                if me.stop.load(Ordering::SeqCst) {
                    continue;
                }
                // One column short of the terminal: a line that fills it wraps on some
                // terminals, and a wrapped line cannot be erased.
                let width = terminal_size::terminal_size_of(std::io::stderr())
                    .map_or(80, |(w, _)| usize::from(w.0))
                    .saturating_sub(1)
                    .max(10);
                let mut err = std::io::stderr().lock();
                let _ = write!(err, "\r\x1b[2K{}", me.line(width));
                let _ = err.flush();
                draw.shown = true;
            }
        });
        *lock(&self.ticker) = Some(ticker);
    }

    /// Stops drawing and erases the line.
    fn finish(&self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(ticker) = lock(&self.ticker).take() {
            let _ = ticker.join();
        }
        let mut draw = lock(&self.draw);
        if draw.shown {
            erase();
            draw.shown = false;
        }
    }
}

fn erase() {
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "\r\x1b[2K");
    let _ = err.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_says_what_is_done_and_running_and_fits() {
        let p = Progress::new();
        p.set_total(26);
        p.started("token/get-method");
        p.started("dbconnections/change-password-burst");
        p.started("token/put-method");
        p.finished("token/put-method");
        let line = p.line(200);
        assert!(line.starts_with("[1/26] 0.0 s · running: "), "{line}");
        assert!(
            line.ends_with("dbconnections/change-password-burst, token/get-method"),
            "{line}"
        );
        let short = p.line(20);
        assert_eq!(short.chars().count(), 20, "{short}");
        assert!(short.ends_with('…'));
    }
}

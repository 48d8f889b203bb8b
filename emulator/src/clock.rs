//! The org's source of "now", and the controls the admin API moves it with.
//!
//! Everything that reads time (createdon/modifiedon, relative date filters in OData and
//! FetchXML, token expiry, async job timestamps, the service-protection window) asks the
//! org's [`Clock`], so freezing, setting or advancing it changes all of them at once.

use std::sync::{Arc, Mutex};

use time::{Duration, OffsetDateTime};

/// The source of "now". Injected so tests can pin time; always whole UTC seconds,
/// because Dataverse stores date-times to the second.
///
/// A clock is a source (the system clock, a fixed instant or a function) plus controls
/// shared by every clone: an offset added to the source, or a frozen instant that
/// replaces it. Clones share the controls, so moving the org's clock moves it everywhere.
#[derive(Clone)]
pub struct Clock {
    source: Arc<dyn Fn() -> OffsetDateTime + Send + Sync>,
    control: Arc<Mutex<Control>>,
}

/// How the clock departs from its source.
#[derive(Debug, Clone, Copy, Default)]
struct Control {
    /// Added to the source while running.
    offset: Duration,
    /// The instant the clock stands at while frozen.
    frozen: Option<OffsetDateTime>,
}

/// What the clock says and how it is set, for the admin API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockState {
    /// The current instant.
    pub now: OffsetDateTime,
    /// Whether time stands still.
    pub frozen: bool,
    /// How far the clock is from its source, in whole seconds (while running).
    pub offset_seconds: i64,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock::from_fn(OffsetDateTime::now_utc)
    }

    /// A clock that always answers `t` (until it is advanced or set).
    pub fn fixed(t: OffsetDateTime) -> Clock {
        Clock::from_fn(move || t)
    }

    /// A clock that asks `now`: tests move it forward to expire tokens without waiting.
    pub fn from_fn(now: impl Fn() -> OffsetDateTime + Send + Sync + 'static) -> Clock {
        Clock { source: Arc::new(now), control: Arc::default() }
    }

    /// The system clock, frozen at `t`: deterministic mode's clock.
    pub fn frozen_at(t: OffsetDateTime) -> Clock {
        let clock = Clock::system();
        clock.update(|c| c.frozen = Some(t));
        clock
    }

    fn control(&self) -> Control {
        *self.control.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn update(&self, f: impl FnOnce(&mut Control)) {
        let mut c = self.control.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut c);
    }

    /// The current instant, truncated to the second.
    pub fn now(&self) -> OffsetDateTime {
        let c = self.control();
        let t = c.frozen.unwrap_or_else(|| (self.source)() + c.offset);
        t.replace_nanosecond(0).unwrap_or(t)
    }

    /// Stops time at the current instant (no-op when already frozen).
    pub fn freeze(&self) {
        let now = self.now();
        self.update(|c| {
            c.frozen.get_or_insert(now);
        });
    }

    /// Lets time run again from where it stands.
    pub fn unfreeze(&self) {
        let source = (self.source)();
        self.update(|c| {
            if let Some(t) = c.frozen.take() {
                c.offset = t - source;
            }
        });
    }

    /// Jumps to `t`; a frozen clock stays frozen there, a running one runs on from it.
    pub fn set(&self, t: OffsetDateTime) {
        let source = (self.source)();
        self.update(|c| match &mut c.frozen {
            Some(f) => *f = t,
            None => c.offset = t - source,
        });
    }

    /// Moves the clock by `d` (negative moves it back).
    pub fn advance(&self, d: Duration) {
        self.update(|c| match &mut c.frozen {
            Some(f) => *f += d,
            None => c.offset += d,
        });
    }

    /// Back to the source: no offset, not frozen.
    pub fn reset(&self) {
        self.update(|c| *c = Control::default());
    }

    /// A clock on the same source, standing where this one stands now, whose controls are
    /// its own: moving either no longer moves the other. Each org made from a fixture gets
    /// one, so tests on separate orgs can't move each other's time.
    pub fn fork(&self) -> Clock {
        Clock { source: self.source.clone(), control: Arc::new(Mutex::new(self.control())) }
    }

    /// The current reading and settings.
    pub fn state(&self) -> ClockState {
        let c = self.control();
        ClockState { now: self.now(), frozen: c.frozen.is_some(), offset_seconds: c.offset.whole_seconds() }
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clock").field("control", &self.control()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn controls_move_a_fixed_clock() {
        let clock = Clock::fixed(datetime!(2026-01-01 00:00:00.5 UTC));
        assert_eq!(clock.now(), datetime!(2026-01-01 00:00:00 UTC));
        let shared = clock.clone();
        shared.advance(Duration::hours(1));
        assert_eq!(clock.now(), datetime!(2026-01-01 01:00:00 UTC));
        clock.set(datetime!(2030-05-05 05:05:05 UTC));
        assert_eq!(clock.now(), datetime!(2030-05-05 05:05:05 UTC));
        clock.freeze();
        clock.advance(Duration::seconds(-5));
        assert_eq!(clock.state(), ClockState { now: datetime!(2030-05-05 05:05:00 UTC), frozen: true, offset_seconds: clock.state().offset_seconds });
        clock.unfreeze();
        assert_eq!(clock.now(), datetime!(2030-05-05 05:05:00 UTC));
        clock.reset();
        assert_eq!(clock.now(), datetime!(2026-01-01 00:00:00 UTC));
    }

    #[test]
    fn forks_move_on_their_own() {
        let clock = Clock::frozen_at(datetime!(2026-01-01 00:00:00 UTC));
        let fork = clock.fork();
        assert_eq!(fork.state(), clock.state());
        fork.advance(Duration::days(1));
        assert_eq!(clock.now(), datetime!(2026-01-01 00:00:00 UTC));
        assert_eq!(fork.now(), datetime!(2026-01-02 00:00:00 UTC));
        clock.set(datetime!(2027-01-01 00:00:00 UTC));
        assert_eq!(fork.now(), datetime!(2026-01-02 00:00:00 UTC));
    }

    #[test]
    fn frozen_system_clock_stands_still() {
        let clock = Clock::frozen_at(datetime!(2026-01-01 00:00:00 UTC));
        assert_eq!(clock.now(), datetime!(2026-01-01 00:00:00 UTC));
        assert!(clock.state().frozen);
    }
}

//! Learning, on the device, the hour at which this learner responds.
//!
//! *Why Thompson sampling:* each local hour is an arm with a Beta posterior over "a nudge at this
//! hour gets opened", from the learner's own opened/ignored history (older outcomes weigh less:
//! half-life [`HALF_LIFE_DAYS`]). Each planned day draws one sample per allowed hour and ranks
//! hours by it: hours that worked get chosen most days, uncertain hours still get tried now and
//! then (explore/exploit), in the spirit of Duolingo's recurring-notification bandit (Yancey &
//! Settles, KDD 2020), which also decays old rewards.
//!
//! *Why a seeded generator:* re-planning must be idempotent. The draw for (date, hour) comes from
//! a SplitMix64 stream seeded by a hash of the two, never by the clock, so the same state gives
//! the same ranking, and the stream is fixed by this file (not by a `rand` version).

use chrono::{Datelike, NaiveDate};

/// Weight of an outcome halves every this many days.
pub const HALF_LIFE_DAYS: f64 = 30.0;

/// Weighted outcomes at one hour.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Arm {
    /// Weighted opens.
    pub opens: f64,
    /// Weighted ignores.
    pub ignores: f64,
}

/// Strength of the shared prior, in pseudo-observations.
///
/// *Why a pooled prior:* with a flat Beta(1, 1) per hour, a dozen never-tried hours each draw
/// above a well-proven hour's 0.8 often enough that the proven hour would rarely win a day.
/// Centring every hour's prior on the learner's overall open rate (empirical Bayes) with the
/// weight of [`PRIOR_STRENGTH`] observations keeps exploring untried hours, but mostly exploits.
pub const PRIOR_STRENGTH: f64 = 8.0;

/// Posteriors for the 24 local hours.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HourBandit {
    /// Outcomes per local hour.
    pub arms: [Arm; 24],
    total: Arm,
}

impl HourBandit {
    /// Adds one outcome at local `hour`, `age_days` old.
    pub fn observe(&mut self, hour: u8, opened: bool, age_days: f64) {
        let Some(arm) = self.arms.get_mut(usize::from(hour)) else {
            return;
        };
        let w = 0.5f64.powf(age_days.max(0.0) / HALF_LIFE_DAYS);
        if opened {
            arm.opens += w;
            self.total.opens += w;
        } else {
            arm.ignores += w;
            self.total.ignores += w;
        }
    }

    /// Beta parameters of `hour`'s posterior.
    pub fn posterior(&self, hour: u8) -> (f64, f64) {
        let arm = self
            .arms
            .get(usize::from(hour))
            .copied()
            .unwrap_or_default();
        let rate = (self.total.opens + 1.0) / (self.total.opens + self.total.ignores + 2.0);
        (
            PRIOR_STRENGTH * rate + arm.opens,
            PRIOR_STRENGTH * (1.0 - rate) + arm.ignores,
        )
    }

    /// The deterministic Thompson draw for `hour` on `date`, with `bonus` pseudo-opens added (a
    /// prior preference, e.g. for the hour before a shift).
    pub fn sample(&self, date: NaiveDate, hour: u8, bonus: f64) -> f64 {
        let (a, b) = self.posterior(hour);
        let mut rng = SplitMix64::for_slot(date, hour);
        sample_beta(&mut rng, a + bonus, b)
    }

    /// Posterior mean at `hour`.
    pub fn mean(&self, hour: u8) -> f64 {
        let (a, b) = self.posterior(hour);
        a / (a + b)
    }
}

/// SplitMix64: tiny, fast, and fixed here so the draws never change under us.
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator seeded from `date` and `hour` (not from the clock).
    pub fn for_slot(date: NaiveDate, hour: u8) -> Self {
        let day = u64::from(date.num_days_from_ce().unsigned_abs());
        let mut mix = Self(0x6D69_6372_6F6C_6E21 ^ (day << 8 | u64::from(hour)));
        // One round of mixing so neighbouring slots get unrelated streams.
        Self(mix.next_u64())
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in the open interval (0, 1).
    pub fn next_f64(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn next_normal(&mut self) -> f64 {
        let (u1, u2) = (self.next_f64(), self.next_f64());
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// Gamma(shape, 1) by Marsaglia–Tsang (with the `shape < 1` boost).
fn sample_gamma(rng: &mut SplitMix64, shape: f64) -> f64 {
    if shape < 1.0 {
        let u = rng.next_f64();
        return sample_gamma(rng, shape + 1.0) * u.powf(1.0 / shape);
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    // Accepts within a couple of tries almost always; bounded so a bad stream cannot spin.
    for _ in 0..64 {
        let x = rng.next_normal();
        let v = (1.0 + c * x).powi(3);
        if v <= 0.0 {
            continue;
        }
        let u = rng.next_f64();
        if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
            return d * v;
        }
    }
    d
}

/// Beta(a, b) as Gamma(a) / (Gamma(a) + Gamma(b)).
fn sample_beta(rng: &mut SplitMix64, a: f64, b: f64) -> f64 {
    let x = sample_gamma(rng, a.max(1e-3));
    let y = sample_gamma(rng, b.max(1e-3));
    if x + y > 0.0 { x / (x + y) } else { 0.5 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beta_samples_have_the_right_mean() {
        let mut rng = SplitMix64(42);
        let n = 20_000;
        let mean = (0..n).map(|_| sample_beta(&mut rng, 8.0, 2.0)).sum::<f64>() / n as f64;
        assert!((mean - 0.8).abs() < 0.01, "mean {mean}");
        let mean = (0..n).map(|_| sample_beta(&mut rng, 0.5, 0.5)).sum::<f64>() / n as f64;
        assert!((mean - 0.5).abs() < 0.02, "mean {mean}");
    }

    #[test]
    fn draws_are_deterministic_per_slot() {
        let b = HourBandit::default();
        let d = NaiveDate::from_ymd_opt(2026, 3, 8).expect("date");
        assert_eq!(b.sample(d, 9, 0.0), b.sample(d, 9, 0.0));
        assert_ne!(b.sample(d, 9, 0.0), b.sample(d, 10, 0.0));
    }
}

//! Numbers with a fixed count of decimals for explanations, written exactly as
//! `format!("{:.N}")` writes them but without the standard library's general path for
//! fixed precision (exact digit generation with a big-number fallback), which took about a
//! fifth of a shortlist's explanation time: a list explains 50 people, each with a distance,
//! a waiting time and a credit per skill and occupation.

use std::fmt::{self, Write};

/// `value` with `places` decimals (0, 1 or 2), as `{:.places$}` writes it: rounded half to
/// even on the float's exact value, with a minus sign for any negative value (also one
/// that rounds to zero).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fixed(pub(crate) f32, pub(crate) usize);

/// Scaled values up to this are whole numbers an `f64` holds exactly.
const EXACT_BELOW: f64 = 1e15;

impl Fixed {
    /// Appends the number to `out`.
    pub(crate) fn push_to(self, out: &mut String) {
        let Fixed(value, places) = self;
        let Some((scale, divisor)) = [(1.0, 1), (10.0, 10), (100.0, 100)].get(places).copied() else {
            // Writing into a String cannot fail.
            let _ = write!(out, "{value:.places$}");
            return;
        };
        // Exact: an f32's 24 significant bits times 10 or 100 (at most 5 more) fit an f64.
        let scaled = f64::from(value.abs()) * scale;
        if scaled.is_nan() || scaled >= EXACT_BELOW {
            // Infinite, not a number, or too large for the shortcut.
            let _ = write!(out, "{value:.places$}");
            return;
        }
        let units = scaled.round_ties_even() as u64;
        if value.is_sign_negative() {
            out.push('-');
        }
        push_integer(out, units / divisor);
        if places > 0 {
            out.push('.');
            let fraction = units % divisor;
            if places == 2 && fraction < 10 {
                out.push('0');
            }
            push_integer(out, fraction);
        }
    }
}

impl fmt::Display for Fixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = String::new();
        self.push_to(&mut text);
        f.write_str(&text)
    }
}

/// Appends `value` in decimal digits, as `{}` writes an integer (explanations are built
/// for every candidate of every list, and the formatting machinery cost about a thousand
/// instructions per piece of text).
pub(crate) fn push_integer(out: &mut String, value: u64) {
    let mut digits = [b'0'; 20];
    let mut at = digits.len();
    let mut rest = value;
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for &digit in &digits[at..] {
        out.push(char::from(digit));
    }
}

/// `value` as `{}` writes it (the shortest digits that read back the same float), with a
/// shortcut for whole numbers, which hours, commute limits and months mostly are: the
/// standard library's shortest-digits search costs several hundred instructions a number.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shortest(pub(crate) f32);

/// Whole numbers below this print as their integer (`{}` switches to exponents far above).
const WHOLE_BELOW: f32 = 16_777_216.0;

impl Shortest {
    /// Appends the number to `out`.
    pub(crate) fn push_to(self, out: &mut String) {
        let value = self.0;
        if value.abs() < WHOLE_BELOW && value.fract() == 0.0 {
            if value.is_sign_negative() {
                out.push('-');
            }
            push_integer(out, u64::from(value.abs() as u32));
        } else {
            // Writing into a String cannot fail.
            let _ = write!(out, "{value}");
        }
    }
}

impl fmt::Display for Shortest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = String::new();
        self.push_to(&mut text);
        f.write_str(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::{Fixed, Shortest};

    #[test]
    fn shortest_writes_what_the_standard_library_writes() {
        for bits in (0..0x7f80_0000u32).step_by(1_021) {
            for value in [f32::from_bits(bits), -f32::from_bits(bits)] {
                assert_eq!(Shortest(value).to_string(), format!("{value}"), "{value:e}");
            }
        }
        for whole in (0..40_000_000u32).step_by(997) {
            let value = whole as f32;
            assert_eq!(Shortest(value).to_string(), format!("{value}"));
            assert_eq!(Shortest(-value).to_string(), format!("{}", -value));
        }
        for value in [0.0, -0.0, 1.0, 40.0, 16_777_215.0, 16_777_216.0, 1e20, f32::INFINITY, f32::NAN, 2.5, 0.1] {
            assert_eq!(Shortest(value).to_string(), format!("{value}"), "{value:e}");
        }
    }

    fn same_as_std(value: f32) {
        for places in 0..=2 {
            assert_eq!(Fixed(value, places).to_string(), format!("{value:.places$}"), "{value:e} with {places} places");
        }
    }

    #[test]
    fn writes_what_the_standard_library_writes() {
        // A sweep over the bit patterns of positive floats up to 2^21 and beyond the
        // shortcut's range, with their negatives.
        for bits in (0..0x4f00_0000u32).step_by(4_099) {
            let value = f32::from_bits(bits);
            same_as_std(value);
            same_as_std(-value);
        }
        for value in [0.0, -0.0, f32::INFINITY, f32::NEG_INFINITY, f32::NAN, f32::MAX, f32::MIN_POSITIVE, 1e15, 1e16] {
            same_as_std(value);
        }
    }

    #[test]
    fn integers_are_written_as_the_standard_library_writes_them() {
        for value in (0..2_000_000u64).chain([u64::MAX, u64::MAX / 7, 10_000_000_000]) {
            let mut text = String::from("x");
            super::push_integer(&mut text, value);
            assert_eq!(text, format!("x{value}"));
        }
    }

    #[test]
    fn ties_round_half_to_even_like_the_standard_library() {
        // Halves, quarters and eighths are exact in binary: true ties at 0 and 1 places.
        for whole in 0..20_000u32 {
            for eighths in 0..8 {
                same_as_std(whole as f32 + eighths as f32 / 8.0);
            }
        }
        // Values a decimal tie away in decimal but not in binary.
        for hundredths in 0..100_000u32 {
            same_as_std(hundredths as f32 / 100.0 + 0.005);
            same_as_std(hundredths as f32 / 1000.0);
        }
        assert_eq!(Fixed(0.25, 1).to_string(), "0.2");
        assert_eq!(Fixed(2.5, 0).to_string(), "2");
        assert_eq!(Fixed(-0.04, 1).to_string(), "-0.0");
        assert_eq!(Fixed(12.345, 2).to_string(), format!("{:.2}", 12.345f32));
    }
}

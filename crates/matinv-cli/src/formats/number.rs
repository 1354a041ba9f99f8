//! Numbers in text formats: parsing one field, and printing one element.
//!
//! Complex numbers are written numpy's way, `1.5+2j` (`numpy.loadtxt(..., dtype=complex)`
//! and Python's `complex()` read them back); parentheses, as `numpy.savetxt` writes
//! them, are accepted on input.

use matinv::c64;
use std::fmt::{Display, LowerExp};

/// One parsed field.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Number {
    /// A real number.
    Real(f64),
    /// A complex number (the field had a `j`).
    Complex(c64),
}

/// Parses a field; the error says what is wrong with it, without position (callers add it).
/// Rejects NaN and infinities: an inverse of such a matrix means nothing, and in text they
/// are usually a sign of a broken export.
pub fn parse(field: &str) -> Result<Number, String> {
    let f = field.trim();
    if f.is_empty() {
        return Err("empty field".into());
    }
    let inner = f
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .unwrap_or(f);
    let n = if let Some(body) = inner.strip_suffix(['j', 'J']) {
        // Split "re+imj" at the last sign that does not belong to an exponent.
        let split = sign_split(body);
        let (re, im) = match split {
            Some(i) => (real(&body[..i], f)?, imag(&body[i..], f)?),
            None => (0.0, imag(body, f)?),
        };
        Number::Complex(c64::new(re, im))
    } else {
        Number::Real(real(inner, f)?)
    };
    let finite = match n {
        Number::Real(x) => x.is_finite(),
        Number::Complex(z) => z.re.is_finite() && z.im.is_finite(),
    };
    if !finite {
        return Err(format!(
            "'{f}' is not finite (NaN and infinity are not allowed in text input)"
        ));
    }
    Ok(n)
}

/// Where `re+im` (without the `j`) splits: the last sign that is not the first character
/// and does not belong to an exponent.
pub fn sign_split(body: &str) -> Option<usize> {
    body.char_indices()
        .filter(|&(i, c)| {
            (c == '+' || c == '-') && i > 0 && !matches!(body.as_bytes()[i - 1], b'e' | b'E')
        })
        .map(|(i, _)| i)
        .next_back()
}

fn real(s: &str, field: &str) -> Result<f64, String> {
    s.parse::<f64>()
        .map_err(|_| format!("'{}' is not a number", shorten(field)))
}

fn imag(s: &str, field: &str) -> Result<f64, String> {
    match s {
        "" | "+" => Ok(1.0),
        "-" => Ok(-1.0),
        _ => real(s, field),
    }
}

/// At most 40 characters of a field, for messages.
pub fn shorten(s: &str) -> String {
    if s.chars().count() > 40 {
        format!("{}...", s.chars().take(40).collect::<String>())
    } else {
        s.to_string()
    }
}

/// Writes a real element: by default the shortest text that reads back as the same value
/// (plain below 1e16 and from 1e-5, else with an exponent); with `precision`, that many
/// significant digits in scientific notation.
pub fn fmt_real<F: Display + LowerExp + Copy + Into<f64>>(
    x: F,
    precision: Option<usize>,
) -> String {
    let v: f64 = x.into();
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    match precision {
        Some(p) => format!("{:.*e}", p.saturating_sub(1), x),
        None => {
            let a = v.abs();
            if a == 0.0 || (1e-5..1e16).contains(&a) {
                format!("{x}")
            } else {
                format!("{x:e}")
            }
        }
    }
}

/// Writes a complex element as `re+imj` (numpy's notation), each part as [`fmt_real`].
pub fn fmt_complex<F: Display + LowerExp + Copy + Into<f64>>(
    re: F,
    im: F,
    precision: Option<usize>,
) -> String {
    let r = fmt_real(re, precision);
    let i = fmt_real(im, precision);
    if i.starts_with('-') {
        format!("{r}{i}j")
    } else {
        format!("{r}+{i}j")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_numpy_complex() {
        assert_eq!(parse("1.5+2j"), Ok(Number::Complex(c64::new(1.5, 2.0))));
        assert_eq!(
            parse("(1e-3-2e+4j)"),
            Ok(Number::Complex(c64::new(1e-3, -2e4)))
        );
        assert_eq!(parse("-2j"), Ok(Number::Complex(c64::new(0.0, -2.0))));
        assert_eq!(parse(" 3 "), Ok(Number::Real(3.0)));
        assert!(parse("nan").unwrap_err().contains("not finite"));
        assert!(parse("inf+1j").is_err());
        assert!(parse("abc").unwrap_err().contains("not a number"));
        assert!(parse("1+").is_err());
    }

    #[test]
    fn round_trip_formatting() {
        for x in [0.1, 1.0 / 3.0, -2.5e-300, 1e300, 123456789.0, 5e-324, 0.0] {
            assert_eq!(fmt_real(x, None).parse::<f64>().unwrap(), x);
        }
        let y = 0.1f32;
        assert_eq!(fmt_real(y, None), "0.1");
        assert_eq!(fmt_real(1.0 / 3.0, Some(3)), "3.33e-1");
        assert_eq!(fmt_complex(1.5, -2.0, None), "1.5-2j");
        assert_eq!(fmt_complex(1.5, 2.0, None), "1.5+2j");
    }
}

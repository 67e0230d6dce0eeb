//! [`ProgressValue`]: what a progress bar needs from a progress report.

/// A progress report that a bar can show: how many units are done and, if known, how many
/// there are in all.
///
/// The bindings (`traits_futures::egui` and `traits_futures::terminal`, features `egui` and
/// `indicatif`) show a [`ProgressFuture`](crate::ProgressFuture) whose report type implements
/// it. It is implemented for `(done, total)` pairs of integers (of any primitive integer type
/// up to 64 bits; a negative count is 0), for a bare count (the total is unknown, or the bar's
/// own), and for a fraction (`f32`, `f64`, from 0 to 1, shown as thousandths). Implement it for
/// a report type of your own:
///
/// ```
/// use traits_futures::ProgressValue;
///
/// #[derive(Clone, PartialEq)]
/// struct Copied { files: u64, of: u64, current: String }
///
/// impl ProgressValue for Copied {
///     fn position(&self) -> u64 { self.files }
///     fn length(&self) -> Option<u64> { Some(self.of) }
/// }
///
/// let report = Copied { files: 3, of: 4, current: "notes.txt".into() };
/// assert_eq!(report.fraction(), Some(0.75));
/// assert_eq!((2u64, 8u64).fraction(), Some(0.25));
/// assert_eq!(7u64.fraction(), None);
/// assert_eq!((1, 4).fraction(), Some(0.25)); // `i32`s
/// assert_eq!((-1, 4).position(), 0);
/// assert_eq!((0.5f64.position(), 0.5f64.length()), (500, Some(1000)));
/// ```
pub trait ProgressValue {
    /// The units done.
    ///
    /// ```
    /// use traits_futures::ProgressValue;
    /// assert_eq!((3u64, 10u64).position(), 3);
    /// assert_eq!(0.25f32.position(), 250);
    /// ```
    fn position(&self) -> u64;

    /// The units in all, if the report says (by default, it does not).
    ///
    /// ```
    /// use traits_futures::ProgressValue;
    /// assert_eq!((3u64, 10u64).length(), Some(10));
    /// assert_eq!(3u64.length(), None);
    /// ```
    fn length(&self) -> Option<u64> {
        None
    }

    /// The part done, from 0 to 1, if the length is known (a length of 0 counts as done).
    ///
    /// ```
    /// use traits_futures::ProgressValue;
    /// assert_eq!((0u32, 0u32).fraction(), Some(1.0));
    /// assert_eq!((5usize, 4usize).fraction(), Some(1.0)); // kept within 0..=1
    /// ```
    fn fraction(&self) -> Option<f32> {
        let length = self.length()?;
        Some(if length == 0 {
            1.0
        } else {
            (self.position() as f64 / length as f64).clamp(0.0, 1.0) as f32
        })
    }
}

macro_rules! counts {
    ($($t:ty),*) => {$(
        impl ProgressValue for ($t, $t) {
            fn position(&self) -> u64 {
                u64::try_from(self.0).unwrap_or(0)
            }
            fn length(&self) -> Option<u64> {
                Some(u64::try_from(self.1).unwrap_or(0))
            }
        }

        impl ProgressValue for $t {
            fn position(&self) -> u64 {
                u64::try_from(*self).unwrap_or(0)
            }
        }
    )*};
}

// Signed too: an unsuffixed literal such as `(step, 10)` is an `i32`. A negative count is 0.
counts!(u64, u32, u16, u8, usize, i64, i32, i16, i8, isize);

/// A fraction's position and length: thousandths.
const FRACTION_UNITS: u64 = 1000;

macro_rules! fractions {
    ($($t:ty),*) => {$(
        impl ProgressValue for $t {
            fn position(&self) -> u64 {
                (f64::from(*self).clamp(0.0, 1.0) * FRACTION_UNITS as f64).round() as u64
            }
            fn length(&self) -> Option<u64> {
                Some(FRACTION_UNITS)
            }
            fn fraction(&self) -> Option<f32> {
                // NaN (no progress to speak of) shows as nothing done.
                Some(if self.is_nan() { 0.0 } else { f64::from(*self).clamp(0.0, 1.0) as f32 })
            }
        }
    )*};
}

fractions!(f32, f64);

//! The CDC 2000 LMS tables and what is computed from them.
//!
//! A measurement X at an age with parameters L, M, S has the z-score
//! ((X/M)^L − 1)/(L·S) (ln(X/M)/S when L is 0); L, M and S are interpolated
//! linearly between the table's ages, as CDC's programs do.

use std::sync::OnceLock;

/// z of the 95th percentile.
pub const Z95: f64 = 1.644_853_626_951_472_2;

/// Sex as the tables code it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    /// 1 in the tables.
    Male,
    /// 2 in the tables.
    Female,
}

/// What is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indicator {
    /// Weight-for-age (kg).
    Weight,
    /// Length-for-age under 2 years, stature-for-age from 2 (cm).
    Length,
    /// Head circumference-for-age (cm).
    Head,
    /// BMI-for-age (kg/m²).
    Bmi,
}

/// One table row: sex, age in months, L, M, S.
type RowLms = (u8, f64, f64, f64, f64);

fn parse(csv: &str) -> Vec<RowLms> {
    csv.lines()
        .skip(1)
        .filter_map(|line| {
            let mut f = line.trim().split(',');
            Some((
                f.next()?.parse().ok()?,
                f.next()?.parse().ok()?,
                f.next()?.parse().ok()?,
                f.next()?.parse().ok()?,
                f.next()?.parse().ok()?,
            ))
        })
        .collect()
}

macro_rules! table {
    ($name:ident, $file:literal) => {
        fn $name() -> &'static [RowLms] {
            static TABLE: OnceLock<Vec<RowLms>> = OnceLock::new();
            TABLE.get_or_init(|| parse(include_str!(concat!("../data/", $file))))
        }
    };
}

table!(weight_infant, "cdc-wtageinf.csv");
table!(weight_child, "cdc-wtage.csv");
table!(length_infant, "cdc-lenageinf.csv");
table!(stature_child, "cdc-statage.csv");
table!(head_infant, "cdc-hcageinf.csv");
table!(bmi_child, "cdc-bmiagerev.csv");

/// L, M and S at one age.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lms {
    /// Box-Cox power.
    pub l: f64,
    /// Median.
    pub m: f64,
    /// Coefficient of variation.
    pub s: f64,
}

impl Lms {
    /// The z-score of `x`.
    pub fn z(&self, x: f64) -> f64 {
        if self.l.abs() < 1e-12 {
            (x / self.m).ln() / self.s
        } else {
            ((x / self.m).powf(self.l) - 1.0) / (self.l * self.s)
        }
    }

    /// The measurement at z-score `z`.
    pub fn at_z(&self, z: f64) -> f64 {
        if self.l.abs() < 1e-12 {
            self.m * (self.s * z).exp()
        } else {
            self.m * (1.0 + self.l * self.s * z).powf(1.0 / self.l)
        }
    }

    /// Whether CDC's modified z-score marks `x` biologically implausible
    /// (the cut-offs of CDC's SAS program for its growth charts).
    pub fn implausible(&self, indicator: Indicator, x: f64) -> bool {
        let half_up = (self.at_z(2.0) - self.m) / 2.0;
        let half_down = (self.m - self.at_z(-2.0)) / 2.0;
        let mz = if x < self.m {
            (x - self.m) / half_down
        } else {
            (x - self.m) / half_up
        };
        let (low, high) = match indicator {
            Indicator::Weight => (-5.0, 8.0),
            Indicator::Length => (-5.0, 4.0),
            Indicator::Bmi => (-4.0, 8.0),
            Indicator::Head => (-5.0, 5.0),
        };
        !mz.is_finite() || mz < low || mz > high
    }
}

impl Indicator {
    /// The UCUM unit of its table.
    pub fn unit(self) -> &'static str {
        match self {
            Indicator::Weight => "kg",
            Indicator::Length | Indicator::Head => "cm",
            Indicator::Bmi => "kg/m2",
        }
    }

    /// What it is, in words.
    pub fn name(self) -> &'static str {
        match self {
            Indicator::Weight => "weight-for-age",
            Indicator::Length => "length- or stature-for-age",
            Indicator::Head => "head circumference-for-age",
            Indicator::Bmi => "BMI-for-age",
        }
    }

    /// The ages its tables cover, in words.
    pub fn ages(self) -> &'static str {
        match self {
            Indicator::Weight | Indicator::Length => "birth to 20 years",
            Indicator::Head => "birth to 36 months",
            Indicator::Bmi => "2 to 20 years",
        }
    }

    /// L, M and S for `sex` at `months`, when the tables cover that age.
    pub fn lms(self, sex: Sex, months: f64) -> Option<Lms> {
        // Under 2 years the infant tables (recumbent length); from 2 the 2-20 tables.
        let table = match (self, months < 24.0) {
            (Indicator::Weight, true) => weight_infant(),
            (Indicator::Weight, false) => weight_child(),
            (Indicator::Length, true) => length_infant(),
            (Indicator::Length, false) => stature_child(),
            (Indicator::Head, _) => head_infant(),
            (Indicator::Bmi, true) => return None,
            (Indicator::Bmi, false) => bmi_child(),
        };
        interpolate(table, sex, months)
    }
}

fn interpolate(table: &[RowLms], sex: Sex, months: f64) -> Option<Lms> {
    let code = match sex {
        Sex::Male => 1,
        Sex::Female => 2,
    };
    let rows: Vec<&RowLms> = table.iter().filter(|r| r.0 == code).collect();
    let i = rows.iter().position(|r| r.1 >= months)?;
    let hi = rows[i];
    if hi.1 == months {
        return Some(Lms {
            l: hi.2,
            m: hi.3,
            s: hi.4,
        });
    }
    // Before the table's first age.
    if i == 0 {
        return None;
    }
    let lo = rows[i - 1];
    let t = (months - lo.1) / (hi.1 - lo.1);
    let mix = |a: f64, b: f64| a + (b - a) * t;
    Some(Lms {
        l: mix(lo.2, hi.2),
        m: mix(lo.3, hi.3),
        s: mix(lo.4, hi.4),
    })
}

/// Φ(z), the standard normal distribution (Abramowitz and Stegun 7.1.26,
/// error below 1.5e-7).
pub fn normal_cdf(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-x * x).exp();
    if z >= 0.0 {
        0.5 * (1.0 + erf)
    } else {
        0.5 * (1.0 - erf)
    }
}

/// CDC's extended BMI-for-age percentile at or above the 95th: 90 + 10·Φ((BMI − P95)/σ),
/// σ a quadratic in age (years) per sex (CDC 2022; Wei et al., Ann Hum Biol 47:514, 2020).
pub fn extended_bmi_percentile(sex: Sex, years: f64, bmi: f64, p95: f64) -> f64 {
    let sigma = match sex {
        Sex::Male => 0.3728 + 0.5196 * years - 0.0091 * years * years,
        Sex::Female => 0.8334 + 0.3712 * years - 0.0011 * years * years,
    };
    90.0 + 10.0 * normal_cdf((bmi - p95) / sigma)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_rows_are_read_as_published() {
        // CDC wtage, boys at 24.5 months.
        let lms = Indicator::Weight.lms(Sex::Male, 24.5).unwrap();
        assert_eq!(
            lms,
            Lms {
                l: -0.216501213,
                m: 12.74154396,
                s: 0.108166006
            }
        );
        // CDC bmiagerev, boys at 24.0 months.
        let lms = Indicator::Bmi.lms(Sex::Male, 24.0).unwrap();
        assert!((lms.m - 16.57503).abs() < 1e-5, "{lms:?}");
        assert_eq!(weight_child().len(), 436);
        assert_eq!(bmi_child().len(), 438);
    }

    #[test]
    fn parameters_between_rows_are_interpolated() {
        let a = Indicator::Weight.lms(Sex::Female, 24.5).unwrap();
        let b = Indicator::Weight.lms(Sex::Female, 25.5).unwrap();
        let mid = Indicator::Weight.lms(Sex::Female, 25.0).unwrap();
        assert!((mid.m - (a.m + b.m) / 2.0).abs() < 1e-12);
        assert!(Indicator::Head.lms(Sex::Male, 40.0).is_none());
        assert!(Indicator::Weight.lms(Sex::Male, 241.0).is_none());
        assert!(Indicator::Weight.lms(Sex::Male, 0.0).is_some(), "birth");
    }

    #[test]
    fn the_normal_distribution_is_accurate_enough_for_percentiles() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(Z95) - 0.95).abs() < 2e-7);
        assert!((normal_cdf(-1.959_964) - 0.025).abs() < 2e-7);
    }
}

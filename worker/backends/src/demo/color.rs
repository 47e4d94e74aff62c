//! Colours: the float RGB type the renderers work in and the colour words the
//! prompt parser understands.

/// An sRGB colour with channels in `0.0..=1.0` (values outside are clamped on output).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Rgb {
    pub r: f32,
    pub g: f32,
    pub b: f32,
}

pub(crate) const fn rgb(r: f32, g: f32, b: f32) -> Rgb {
    Rgb { r, g, b }
}

impl Rgb {
    pub fn mix(self, other: Rgb, t: f32) -> Rgb {
        rgb(
            self.r + (other.r - self.r) * t,
            self.g + (other.g - self.g) * t,
            self.b + (other.b - self.b) * t,
        )
    }

    pub fn scale(self, k: f32) -> Rgb {
        rgb(self.r * k, self.g * k, self.b * k)
    }

    pub fn mul(self, o: Rgb) -> Rgb {
        rgb(self.r * o.r, self.g * o.g, self.b * o.b)
    }

    pub fn add(self, o: Rgb) -> Rgb {
        rgb(self.r + o.r, self.g + o.g, self.b + o.b)
    }

    pub fn lighten(self, t: f32) -> Rgb {
        self.mix(WHITE, t)
    }

    pub fn darken(self, t: f32) -> Rgb {
        self.mix(BLACK, t)
    }

    pub fn luma(self) -> f32 {
        0.299 * self.r + 0.587 * self.g + 0.114 * self.b
    }

    /// Pulls the colour towards its own grey level (`t = 1` gives grey).
    pub fn desaturate(self, t: f32) -> Rgb {
        let l = self.luma();
        self.mix(rgb(l, l, l), t)
    }

    pub fn to_u8(self) -> [u8; 3] {
        let c = |v: f32| (v.clamp(0.0, 1.0) * 255.0 + 0.5) as u8;
        [c(self.r), c(self.g), c(self.b)]
    }

    /// Hue in degrees, saturation and value, all as HSV.
    pub fn to_hsv(self) -> (f32, f32, f32) {
        let max = self.r.max(self.g).max(self.b);
        let min = self.r.min(self.g).min(self.b);
        let d = max - min;
        let h = if d <= f32::EPSILON {
            0.0
        } else if max == self.r {
            60.0 * ((self.g - self.b) / d).rem_euclid(6.0)
        } else if max == self.g {
            60.0 * ((self.b - self.r) / d + 2.0)
        } else {
            60.0 * ((self.r - self.g) / d + 4.0)
        };
        let s = if max <= f32::EPSILON { 0.0 } else { d / max };
        (h, s, max)
    }

    pub fn from_hsv(h: f32, s: f32, v: f32) -> Rgb {
        let h = h.rem_euclid(360.0) / 60.0;
        let c = v * s;
        let x = c * (1.0 - ((h % 2.0) - 1.0).abs());
        let (r, g, b) = match h as u32 {
            0 => (c, x, 0.0),
            1 => (x, c, 0.0),
            2 => (0.0, c, x),
            3 => (0.0, x, c),
            4 => (x, 0.0, c),
            _ => (c, 0.0, x),
        };
        let m = v - c;
        rgb(r + m, g + m, b + m)
    }
}

pub(crate) const WHITE: Rgb = rgb(1.0, 1.0, 1.0);
pub(crate) const BLACK: Rgb = rgb(0.0, 0.0, 0.0);

/// Colour words, most specific first where one is a prefix of another.
const NAMED: &[(&str, Rgb)] = &[
    ("red", rgb(0.86, 0.10, 0.10)),
    ("crimson", rgb(0.75, 0.06, 0.18)),
    ("scarlet", rgb(0.92, 0.14, 0.08)),
    ("maroon", rgb(0.50, 0.05, 0.10)),
    ("burgundy", rgb(0.48, 0.06, 0.16)),
    ("orange", rgb(0.98, 0.52, 0.08)),
    ("amber", rgb(1.00, 0.68, 0.05)),
    ("coral", rgb(1.00, 0.45, 0.38)),
    ("peach", rgb(1.00, 0.72, 0.55)),
    ("yellow", rgb(0.98, 0.86, 0.12)),
    ("golden", rgb(0.95, 0.72, 0.16)),
    ("gold", rgb(0.95, 0.72, 0.16)),
    ("lemon", rgb(0.98, 0.92, 0.30)),
    ("green", rgb(0.16, 0.62, 0.22)),
    ("emerald", rgb(0.05, 0.58, 0.38)),
    ("lime", rgb(0.55, 0.85, 0.15)),
    ("olive", rgb(0.45, 0.47, 0.12)),
    ("mint", rgb(0.60, 0.92, 0.75)),
    ("jade", rgb(0.10, 0.62, 0.45)),
    ("teal", rgb(0.05, 0.55, 0.55)),
    ("turquoise", rgb(0.15, 0.80, 0.78)),
    ("cyan", rgb(0.10, 0.85, 0.92)),
    ("aqua", rgb(0.20, 0.85, 0.90)),
    ("blue", rgb(0.12, 0.32, 0.86)),
    ("azure", rgb(0.20, 0.55, 0.98)),
    ("navy", rgb(0.05, 0.10, 0.38)),
    ("sapphire", rgb(0.08, 0.22, 0.65)),
    ("cobalt", rgb(0.05, 0.28, 0.72)),
    ("indigo", rgb(0.28, 0.10, 0.58)),
    ("purple", rgb(0.52, 0.18, 0.70)),
    ("violet", rgb(0.58, 0.30, 0.88)),
    ("lavender", rgb(0.72, 0.62, 0.92)),
    ("lilac", rgb(0.78, 0.64, 0.90)),
    ("magenta", rgb(0.90, 0.10, 0.68)),
    ("pink", rgb(0.98, 0.52, 0.72)),
    ("rose", rgb(0.92, 0.35, 0.52)),
    ("brown", rgb(0.50, 0.30, 0.14)),
    ("chocolate", rgb(0.40, 0.22, 0.10)),
    ("copper", rgb(0.78, 0.45, 0.22)),
    ("bronze", rgb(0.72, 0.50, 0.22)),
    ("beige", rgb(0.90, 0.84, 0.68)),
    ("cream", rgb(0.98, 0.94, 0.80)),
    ("ivory", rgb(0.98, 0.96, 0.88)),
    ("white", rgb(0.96, 0.96, 0.96)),
    ("silver", rgb(0.76, 0.78, 0.80)),
    ("grey", rgb(0.50, 0.50, 0.52)),
    ("gray", rgb(0.50, 0.50, 0.52)),
    ("black", rgb(0.07, 0.07, 0.08)),
    ("charcoal", rgb(0.20, 0.21, 0.23)),
];

/// The colour a word names, if any (`"golden"` → gold, `"reds"` → red).
pub(crate) fn named(word: &str) -> Option<Rgb> {
    let find = |w: &str| NAMED.iter().find(|(name, _)| *name == w).map(|&(_, c)| c);
    let stem = word.strip_suffix("ish");
    find(word)
        .or_else(|| stem.and_then(find))
        .or_else(|| stem.and_then(|s| s.strip_suffix('d')).and_then(find))
        .or_else(|| stem.and_then(|s| find(&format!("{s}e"))))
        .or_else(|| {
            word.strip_suffix('s')
                .filter(|s| s.len() > 2)
                .and_then(find)
        })
}

/// A deliberately wrong colour for the confused generator: the complementary hue,
/// or the opposite lightness for greys, so the swap is plausible but clearly off.
pub(crate) fn swapped(c: Rgb) -> Rgb {
    let (h, s, v) = c.to_hsv();
    if s < 0.2 {
        let v = if v > 0.5 { 0.25 } else { 0.85 };
        return Rgb::from_hsv(h + 30.0, 0.55, v);
    }
    Rgb::from_hsv(h + 165.0, s.max(0.6), v.max(0.55))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_words_are_recognised_with_plurals_and_suffixes() {
        assert_eq!(named("red"), Some(rgb(0.86, 0.10, 0.10)));
        assert_eq!(named("reddish"), named("red"));
        assert_eq!(named("golds"), named("gold"));
        assert_eq!(named("bluish"), named("blue"));
        assert_eq!(named("bread"), None);
    }

    #[test]
    fn swapped_red_is_not_red() {
        let c = swapped(named("red").unwrap());
        assert!(c.r < c.g || c.r < c.b, "{c:?}");
    }

    #[test]
    fn hsv_round_trips() {
        let c = rgb(0.2, 0.6, 0.9);
        let (h, s, v) = c.to_hsv();
        let d = Rgb::from_hsv(h, s, v);
        assert!((c.r - d.r).abs() < 1e-4 && (c.g - d.g).abs() < 1e-4 && (c.b - d.b).abs() < 1e-4);
    }
}

//! Style statistics of an image: cheap, documented pixel measures that voters may reward
//! whatever the model (a brighter, more colourful or busier picture), computed once per
//! stored image and exported with each vote, so that a contextual fit can control for
//! them (`arena leaderboard --control`).
//!
//! Every measure is taken on the stored image (the re-encoded RGB PNG every model's
//! images share), on 8-bit sRGB values without linearisation:
//!
//! | name | measure |
//! |---|---|
//! | `brightness` | mean luma `Y = 0.2126 R + 0.7152 G + 0.0722 B`, from 0 (black) to 1 (white) |
//! | `contrast` | standard deviation of that luma (0 to 0.5) |
//! | `saturation` | mean HSV saturation `(max − min) / max` of the pixels (0 for grey) |
//! | `colourfulness` | Hasler and Süsstrunk's M = σ_rgyb + 0.3 μ_rgyb on 0–255 values, with `rg = R − G`, `yb = (R + G)/2 − B` (0 grey; about 100 extremely colourful) |
//! | `sharpness` | variance of the 4-neighbour Laplacian of the luma (0–255 scale) over the inner pixels: edges and fine detail |
//! | `complexity` | the stored PNG's bytes per pixel: how little the image compresses |
//! | `near_blank` | 1 when the luma's standard deviation is below 0.02 (an almost uniform image), else 0 |

use image::RgbImage;
use serde::{Deserialize, Serialize};

use super::blob::BlobStore;
use crate::store::Store;

/// The statistics of one image (see the module documentation for each).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Style {
    pub brightness: f64,
    pub contrast: f64,
    pub saturation: f64,
    pub colourfulness: f64,
    pub sharpness: f64,
    pub complexity: f64,
    pub near_blank: f64,
}

/// Below this luma standard deviation an image counts as near blank.
pub const NEAR_BLANK_CONTRAST: f64 = 0.02;

impl Style {
    /// The statistics' names, in the order of [`Style::values`]: export columns are
    /// `style_a_<name>` and `style_b_<name>`.
    pub const NAMES: [&'static str; 7] = [
        "brightness",
        "contrast",
        "saturation",
        "colourfulness",
        "sharpness",
        "complexity",
        "near_blank",
    ];

    pub fn values(&self) -> [f64; 7] {
        [
            self.brightness,
            self.contrast,
            self.saturation,
            self.colourfulness,
            self.sharpness,
            self.complexity,
            self.near_blank,
        ]
    }

    /// The statistics of a stored image from its PNG bytes.
    pub fn of_png(png: &[u8]) -> Result<Style, image::ImageError> {
        let image = image::load_from_memory_with_format(png, image::ImageFormat::Png)?;
        Ok(Style::of(&image.into_rgb8(), png.len()))
    }

    /// The statistics of `image`, whose stored PNG has `png_bytes` bytes.
    pub fn of(image: &RgbImage, png_bytes: usize) -> Style {
        let (w, h) = (image.width() as usize, image.height() as usize);
        let n = (w * h).max(1) as f64;
        let mut luma = Vec::with_capacity(w * h);
        let (mut sat_sum, mut rg_sum, mut yb_sum, mut rg_sq, mut yb_sq) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for p in image.pixels() {
            let [r, g, b] = p.0.map(f64::from);
            luma.push(0.2126 * r + 0.7152 * g + 0.0722 * b);
            let (max, min) = (r.max(g).max(b), r.min(g).min(b));
            if max > 0.0 {
                sat_sum += (max - min) / max;
            }
            let (rg, yb) = (r - g, 0.5 * (r + g) - b);
            rg_sum += rg;
            yb_sum += yb;
            rg_sq += rg * rg;
            yb_sq += yb * yb;
        }
        let mean_luma = luma.iter().sum::<f64>() / n;
        let var_luma = luma.iter().map(|y| (y - mean_luma).powi(2)).sum::<f64>() / n;
        let contrast = var_luma.sqrt() / 255.0;
        let (rg_mean, yb_mean) = (rg_sum / n, yb_sum / n);
        let rg_var = (rg_sq / n - rg_mean * rg_mean).max(0.0);
        let yb_var = (yb_sq / n - yb_mean * yb_mean).max(0.0);
        let colourfulness =
            (rg_var + yb_var).sqrt() + 0.3 * (rg_mean * rg_mean + yb_mean * yb_mean).sqrt();
        Style {
            brightness: mean_luma / 255.0,
            contrast,
            saturation: sat_sum / n,
            colourfulness,
            sharpness: laplacian_variance(&luma, w, h),
            complexity: png_bytes as f64 / n,
            near_blank: if contrast < NEAR_BLANK_CONTRAST {
                1.0
            } else {
                0.0
            },
        }
    }
}

/// Variance of `4·Y(x, y) − Y(x±1, y) − Y(x, y±1)` over the pixels with four neighbours.
fn laplacian_variance(luma: &[f64], w: usize, h: usize) -> f64 {
    if w < 3 || h < 3 {
        return 0.0;
    }
    let (mut sum, mut sq, mut n) = (0.0, 0.0, 0.0);
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let at = |x: usize, y: usize| luma[y * w + x];
            let l = 4.0 * at(x, y) - at(x - 1, y) - at(x + 1, y) - at(x, y - 1) - at(x, y + 1);
            sum += l;
            sq += l * l;
            n += 1.0;
        }
    }
    let mean = sum / n;
    (sq / n - mean * mean).max(0.0)
}

/// What a backfill did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Backfill {
    pub computed: u64,
    /// Images whose blob is missing or not a readable PNG (left without a style,
    /// named in the log).
    pub unreadable: u64,
}

/// Computes the style of every stored image that has none, a batch at a time.
pub async fn backfill(store: &Store, blobs: &BlobStore) -> anyhow::Result<Backfill> {
    let mut report = Backfill::default();
    let mut after = 0;
    loop {
        let batch = store.generations_without_style(after, 256).await?;
        let Some(&(last, _)) = batch.last() else {
            return Ok(report);
        };
        after = last;
        for (id, key) in batch {
            let png = match blobs.get(&key).await {
                Ok(png) => png,
                Err(e) => {
                    tracing::warn!(generation.id = id, blob = %key, error = %e, "cannot read the image");
                    report.unreadable += 1;
                    continue;
                }
            };
            match tokio::task::spawn_blocking(move || Style::of_png(&png)).await? {
                Ok(style) => {
                    store.set_generation_style(id, &style).await?;
                    report.computed += 1;
                }
                Err(e) => {
                    tracing::warn!(generation.id = id, blob = %key, error = %e, "not a readable PNG");
                    report.unreadable += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    fn png(image: &RgbImage) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        image.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    fn close(a: f64, b: f64, what: &str) {
        assert!((a - b).abs() < 1e-9, "{what}: {a} vs {b}");
    }

    #[test]
    fn a_uniform_grey_image_is_near_blank_with_no_colour_or_detail() {
        let grey = RgbImage::from_pixel(16, 16, Rgb([128, 128, 128]));
        let s = Style::of_png(&png(&grey)).unwrap();
        close(s.brightness, 128.0 / 255.0, "brightness");
        close(s.contrast, 0.0, "contrast");
        close(s.saturation, 0.0, "saturation");
        close(s.colourfulness, 0.0, "colourfulness");
        close(s.sharpness, 0.0, "sharpness");
        assert_eq!(s.near_blank, 1.0);
        assert!(s.complexity > 0.0 && s.complexity < 1.0, "{}", s.complexity);
    }

    #[test]
    fn black_and_white_halves_have_the_largest_contrast() {
        let image = RgbImage::from_fn(10, 10, |x, _| {
            if x < 5 {
                Rgb([0, 0, 0])
            } else {
                Rgb([255, 255, 255])
            }
        });
        let s = Style::of(&image, 100);
        close(s.brightness, 0.5, "brightness");
        close(s.contrast, 0.5, "contrast");
        close(s.saturation, 0.0, "saturation");
        close(s.complexity, 1.0, "complexity");
        assert_eq!(s.near_blank, 0.0);
        // Only the two columns along the edge have a non-zero Laplacian: ±255 in 16
        // of the 64 inner pixels, so the variance is 255²·(16/64) − 0.
        close(s.sharpness, 255.0 * 255.0 * 16.0 / 64.0, "sharpness");
    }

    #[test]
    fn pure_red_is_fully_saturated_and_colourful_as_hasler_and_susstrunk_define_it() {
        let red = RgbImage::from_pixel(8, 8, Rgb([255, 0, 0]));
        let s = Style::of(&red, 64);
        close(s.saturation, 1.0, "saturation");
        close(s.brightness, 0.2126, "brightness");
        // No spread, so M = 0.3·√(μ_rg² + μ_yb²) with rg = 255, yb = 127.5.
        close(
            s.colourfulness,
            0.3 * (255.0f64.powi(2) + 127.5f64.powi(2)).sqrt(),
            "colourfulness",
        );
        // Half red, half green: the spread term appears.
        let mixed = RgbImage::from_fn(8, 8, |x, _| {
            if x < 4 {
                Rgb([255, 0, 0])
            } else {
                Rgb([0, 255, 0])
            }
        });
        let m = Style::of(&mixed, 64);
        // rg = ±255 (mean 0, variance 255²), yb = 127.5 both halves (mean 127.5, no spread).
        close(m.colourfulness, 255.0 + 0.3 * 127.5, "mixed colourfulness");
    }

    #[test]
    fn noise_is_sharper_and_less_compressible_than_a_gradient() {
        let mut state = 7u32;
        let noise = RgbImage::from_fn(64, 64, |_, _| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let v = (state >> 24) as u8;
            Rgb([v, v, v])
        });
        let gradient = RgbImage::from_fn(64, 64, |x, _| {
            let v = (x * 4) as u8;
            Rgb([v, v, v])
        });
        let (n, g) = (
            Style::of_png(&png(&noise)).unwrap(),
            Style::of_png(&png(&gradient)).unwrap(),
        );
        assert!(n.sharpness > 100.0 * g.sharpness.max(1.0), "{n:?} {g:?}");
        assert!(n.complexity > 4.0 * g.complexity, "{n:?} {g:?}");
    }
}

//! The leaderboard as a PNG (its Open Graph image: what a chat shows for a shared
//! link): a title, then each model's rating with its interval, as on the page.
//! Drawn directly with `image` and DejaVu Sans, so no browser or SVG renderer is
//! needed on the server.

use std::io::Cursor;
use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};
use image::{ImageFormat, Rgba, RgbaImage};

use super::charts::{RatingRow, nice_ticks, rating_range};

/// DejaVu Sans (Bitstream Vera licence, `static/fonts/LICENSE-DejaVu.txt`).
const FONT: &[u8] = include_bytes!("../../../static/fonts/DejaVuSans.ttf");

/// Open Graph's recommended size.
pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 630;
/// Rows that fit below the title; the rest are summarised in one line.
pub const MAX_ROWS: usize = 12;

const BG: Rgba<u8> = Rgba([15, 17, 21, 255]);
const FG: Rgba<u8> = Rgba([232, 232, 234, 255]);
const MUTED: Rgba<u8> = Rgba([154, 160, 170, 255]);
const GRID: Rgba<u8> = Rgba([42, 47, 58, 255]);
const BAR: Rgba<u8> = Rgba([110, 168, 254, 255]);
const POINT: Rgba<u8> = Rgba([62, 207, 142, 255]);

fn font() -> &'static FontRef<'static> {
    static FONT_REF: OnceLock<FontRef<'static>> = OnceLock::new();
    FONT_REF.get_or_init(|| FontRef::try_from_slice(FONT).expect("the bundled font parses"))
}

struct Canvas {
    image: RgbaImage,
}

impl Canvas {
    fn blend(&mut self, x: i64, y: i64, colour: Rgba<u8>, coverage: f32) {
        if x < 0 || y < 0 || x >= i64::from(WIDTH) || y >= i64::from(HEIGHT) {
            return;
        }
        let a = coverage.clamp(0.0, 1.0);
        let pixel = self.image.get_pixel_mut(x as u32, y as u32);
        for c in 0..3 {
            let mixed = f32::from(pixel.0[c]) * (1.0 - a) + f32::from(colour.0[c]) * a;
            pixel.0[c] = mixed.round() as u8;
        }
    }

    fn rect(&mut self, x0: f64, y0: f64, x1: f64, y1: f64, colour: Rgba<u8>) {
        for y in y0.round() as i64..y1.round() as i64 {
            for x in x0.round() as i64..x1.round() as i64 {
                self.blend(x, y, colour, 1.0);
            }
        }
    }

    fn disc(&mut self, cx: f64, cy: f64, r: f64, colour: Rgba<u8>) {
        let (x0, x1) = ((cx - r - 1.0) as i64, (cx + r + 1.0) as i64);
        let (y0, y1) = ((cy - r - 1.0) as i64, (cy + r + 1.0) as i64);
        for y in y0..=y1 {
            for x in x0..=x1 {
                let d = ((x as f64 + 0.5 - cx).powi(2) + (y as f64 + 0.5 - cy).powi(2)).sqrt();
                self.blend(x, y, colour, (r + 0.5 - d) as f32);
            }
        }
    }

    /// Width of `text` at `size` pixels.
    fn measure(text: &str, size: f32) -> f64 {
        let scaled = font().as_scaled(PxScale::from(size));
        text.chars()
            .map(|c| f64::from(scaled.h_advance(scaled.glyph_id(c))))
            .sum()
    }

    /// Draws `text` with its baseline at `y`, starting at `x` (or ending there, when
    /// `right_aligned`).
    fn text(&mut self, text: &str, x: f64, y: f64, size: f32, colour: Rgba<u8>, right: bool) {
        let scaled = font().as_scaled(PxScale::from(size));
        let mut pen = if right {
            x - Self::measure(text, size)
        } else {
            x
        };
        for c in text.chars() {
            let id = scaled.glyph_id(c);
            let glyph = id.with_scale_and_position(size, ab_glyph::point(pen as f32, y as f32));
            pen += f64::from(scaled.h_advance(id));
            if let Some(outline) = font().outline_glyph(glyph) {
                let bounds = outline.px_bounds();
                outline.draw(|gx, gy, coverage| {
                    self.blend(
                        bounds.min.x as i64 + i64::from(gx),
                        bounds.min.y as i64 + i64::from(gy),
                        colour,
                        coverage,
                    );
                });
            }
        }
    }
}

/// `text` cut with an ellipsis to fit `width` pixels at `size`.
fn fit(text: &str, width: f64, size: f32) -> String {
    if Canvas::measure(text, size) <= width {
        return text.to_string();
    }
    let mut cut: String = text.to_string();
    while !cut.is_empty() && Canvas::measure(&format!("{cut}…"), size) > width {
        cut.pop();
    }
    format!("{cut}…")
}

/// The chart as PNG bytes: `title` and `subtitle` on top, then the rows (best first;
/// at most [`MAX_ROWS`], the others counted in a last line).
pub fn ratings_png(title: &str, subtitle: &str, rows: &[RatingRow]) -> Vec<u8> {
    let mut canvas = Canvas {
        image: RgbaImage::from_pixel(WIDTH, HEIGHT, BG),
    };
    canvas.text(&fit(title, 1120.0, 40.0), 40.0, 70.0, 40.0, FG, false);
    canvas.text(
        &fit(subtitle, 1120.0, 22.0),
        40.0,
        108.0,
        22.0,
        MUTED,
        false,
    );

    let shown = &rows[..rows.len().min(MAX_ROWS)];
    let (top, bottom) = (140.0, if rows.len() > MAX_ROWS { 560.0 } else { 585.0 });
    let row_height = ((bottom - top) / shown.len().max(1) as f64).min(56.0);
    let label_size = (row_height * 0.55).clamp(14.0, 22.0) as f32;
    let longest = shown
        .iter()
        .map(|r| Canvas::measure(&r.label, label_size))
        .fold(0.0, f64::max);
    // The name, right-aligned to 16 px before the plot (ranks are on the page: a
    // position here could read as a rank (UB) it is not).
    let left = (longest + 72.0).clamp(200.0, 600.0);
    let right = 1080.0;
    let (low, high) = rating_range(shown);
    let x = |v: f64| left + (v - low) / (high - low) * (right - left);
    let grid_bottom = top + shown.len() as f64 * row_height;
    for t in nice_ticks(low, high, 6) {
        canvas.rect(x(t) - 0.5, top, x(t) + 0.5, grid_bottom, GRID);
        canvas.text(
            &format!("{t:.0}"),
            x(t) - Canvas::measure(&format!("{t:.0}"), 16.0) / 2.0,
            grid_bottom + 22.0,
            16.0,
            MUTED,
            false,
        );
    }
    for (i, r) in shown.iter().enumerate() {
        let y = top + (i as f64 + 0.5) * row_height;
        let label = fit(&r.label, left - 112.0, label_size);
        canvas.text(
            &(i + 1).to_string(),
            40.0,
            y + 7.0,
            label_size,
            MUTED,
            false,
        );
        canvas.text(&label, left - 16.0, y + 7.0, label_size, FG, true);
        if let Some((lo, hi)) = r.interval {
            canvas.rect(x(lo), y - 2.5, x(hi), y + 2.5, BAR);
        }
        canvas.disc(x(r.rating), y, (row_height * 0.16).clamp(4.0, 7.0), POINT);
    }
    if rows.len() > MAX_ROWS {
        let more = format!("and {} more models", rows.len() - MAX_ROWS);
        canvas.text(&more, 40.0, 610.0, 18.0, MUTED, false);
    }
    let mut png = Vec::new();
    canvas
        .image
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .expect("encoding a PNG in memory cannot fail");
    png
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_is_an_open_graph_sized_png_with_its_marks_drawn() {
        let rows: Vec<RatingRow> = (0..15)
            .map(|i| RatingRow {
                label: format!("model number {i}"),
                rating: 1100.0 - 10.0 * i as f64,
                interval: (i % 2 == 0)
                    .then_some((1080.0 - 10.0 * i as f64, 1120.0 - 10.0 * i as f64)),
            })
            .collect();
        let png = ratings_png("Arena leaderboard", "Bradley–Terry · 1,234 votes", &rows);
        let image = image::load_from_memory(&png).unwrap().to_rgba8();
        assert_eq!(image.dimensions(), (WIDTH, HEIGHT));
        let count = |colour: Rgba<u8>| image.pixels().filter(|p| **p == colour).count();
        // Text, interval bars and points are all there.
        assert!(count(FG) > 500, "text");
        assert!(count(BAR) > 200, "bars");
        assert!(count(POINT) > 100, "points");
    }

    #[test]
    fn long_labels_are_cut_to_fit() {
        let long = "a".repeat(200);
        let cut = fit(&long, 300.0, 20.0);
        assert!(cut.ends_with('…'));
        assert!(Canvas::measure(&cut, 20.0) <= 300.0);
        assert_eq!(fit("short", 300.0, 20.0), "short");
    }
}

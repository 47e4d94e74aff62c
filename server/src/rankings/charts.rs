//! Geometry for the server-rendered SVG charts (readable without JavaScript). The
//! templates draw what these structs place; nothing here knows about HTML.

/// A label placed at a position along an axis.
#[derive(Clone, Debug)]
pub struct Tick {
    pub pos: f64,
    pub label: String,
}

/// Ratings as points with confidence-interval bars, one row per model.
#[derive(Clone, Debug)]
pub struct RatingsChart {
    pub width: f64,
    pub height: f64,
    /// Left edge of the plot area (model names go to its left).
    pub left: f64,
    pub right: f64,
    pub rows: Vec<RatingBar>,
    pub ticks: Vec<Tick>,
}

#[derive(Clone, Debug)]
pub struct RatingBar {
    pub y: f64,
    pub x: f64,
    pub x_low: f64,
    pub x_high: f64,
    pub label: String,
}

pub const ROW_HEIGHT: f64 = 26.0;

impl RatingsChart {
    /// `rows`: (label, rating, ci low, ci high), best first.
    pub fn new(rows: &[(String, f64, Option<f64>, Option<f64>)]) -> RatingsChart {
        let (width, left, right) = (720.0, 190.0, 700.0);
        let low = rows
            .iter()
            .map(|r| r.2.unwrap_or(r.1))
            .fold(f64::INFINITY, f64::min);
        let high = rows
            .iter()
            .map(|r| r.3.unwrap_or(r.1))
            .fold(f64::NEG_INFINITY, f64::max);
        let (low, high) = if low.is_finite() && high.is_finite() && high > low {
            let pad = (high - low) * 0.05;
            (low - pad, high + pad)
        } else {
            (900.0, 1100.0)
        };
        let x = |v: f64| left + (v - low) / (high - low) * (right - left);
        let bars = rows
            .iter()
            .enumerate()
            .map(|(i, (label, rating, lo, hi))| RatingBar {
                y: 20.0 + i as f64 * ROW_HEIGHT,
                x: x(*rating),
                x_low: x(lo.unwrap_or(*rating)),
                x_high: x(hi.unwrap_or(*rating)),
                label: label.clone(),
            })
            .collect::<Vec<_>>();
        let height = 40.0 + rows.len() as f64 * ROW_HEIGHT;
        let ticks = nice_ticks(low, high, 6)
            .into_iter()
            .map(|v| Tick {
                pos: x(v),
                label: format!("{v:.0}"),
            })
            .collect();
        RatingsChart {
            width,
            height,
            left,
            right,
            rows: bars,
            ticks,
        }
    }
}

/// A square matrix of coloured cells with row and column labels.
#[derive(Clone, Debug)]
pub struct Heatmap {
    pub size: f64,
    pub margin: f64,
    pub cell: f64,
    pub labels: Vec<Tick>,
    pub cells: Vec<HeatCell>,
}

#[derive(Clone, Debug)]
pub struct HeatCell {
    pub x: f64,
    pub y: f64,
    pub fill: String,
    pub text: String,
    pub title: String,
}

impl Heatmap {
    /// `values[i][j]` for row model i against column model j; `colour` maps a value
    /// to a fill, `text` to the cell label.
    pub fn new<T: Copy>(
        labels: &[String],
        values: &[Vec<Option<T>>],
        colour: impl Fn(T) -> String,
        text: impl Fn(T) -> String,
    ) -> Heatmap {
        let n = labels.len().max(1) as f64;
        let margin = 170.0;
        let cell = (560.0 / n).clamp(18.0, 56.0);
        let mut cells = Vec::new();
        for (i, row) in values.iter().enumerate() {
            for (j, value) in row.iter().enumerate() {
                let Some(v) = value else { continue };
                cells.push(HeatCell {
                    x: margin + j as f64 * cell,
                    y: margin + i as f64 * cell,
                    fill: colour(*v),
                    text: if cell >= 30.0 {
                        text(*v)
                    } else {
                        String::new()
                    },
                    title: format!("{} vs {}: {}", labels[i], labels[j], text(*v)),
                });
            }
        }
        Heatmap {
            size: margin + n * cell + 10.0,
            margin,
            cell,
            labels: labels
                .iter()
                .enumerate()
                .map(|(i, l)| Tick {
                    pos: margin + (i as f64 + 0.5) * cell,
                    label: l.clone(),
                })
                .collect(),
            cells,
        }
    }
}

/// Red (0) through white (0.5) to blue (1), for win rates.
pub fn diverging(v: f64) -> String {
    let v = v.clamp(0.0, 1.0);
    let (r, g, b) = if v < 0.5 {
        let t = v / 0.5;
        (
            214.0 + (255.0 - 214.0) * t,
            69.0 + (255.0 - 69.0) * t,
            65.0 + (255.0 - 65.0) * t,
        )
    } else {
        let t = (v - 0.5) / 0.5;
        (
            255.0 - (255.0 - 49.0) * t,
            255.0 - (255.0 - 130.0) * t,
            255.0 - (255.0 - 189.0) * t,
        )
    };
    format!("rgb({:.0},{:.0},{:.0})", r, g, b)
}

/// White to dark blue by `v / max`, for counts.
pub fn sequential(v: f64, max: f64) -> String {
    let t = if max > 0.0 {
        (v / max).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let c = |from: f64, to: f64| from + (to - from) * t;
    format!(
        "rgb({:.0},{:.0},{:.0})",
        c(247.0, 8.0),
        c(251.0, 69.0),
        c(255.0, 148.0)
    )
}

/// A line through (x label, value) points.
#[derive(Clone, Debug)]
pub struct LineChart {
    pub width: f64,
    pub height: f64,
    pub path: String,
    pub points: Vec<(f64, f64, String)>,
    pub y_ticks: Vec<Tick>,
    pub x_ticks: Vec<Tick>,
}

impl LineChart {
    pub fn new(series: &[(String, f64)]) -> LineChart {
        let (width, height, left, right, top, bottom) = (720.0, 240.0, 60.0, 700.0, 15.0, 205.0);
        let low = series.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
        let high = series.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
        let (low, high) = if low.is_finite() && high > low + 1.0 {
            let pad = (high - low) * 0.1;
            (low - pad, high + pad)
        } else if low.is_finite() {
            (low - 50.0, low + 50.0)
        } else {
            (950.0, 1050.0)
        };
        let n = series.len();
        let x = |i: usize| {
            if n <= 1 {
                (left + right) / 2.0
            } else {
                left + i as f64 / (n - 1) as f64 * (right - left)
            }
        };
        let y = |v: f64| bottom - (v - low) / (high - low) * (bottom - top);
        let points: Vec<(f64, f64, String)> = series
            .iter()
            .enumerate()
            .map(|(i, (label, v))| (x(i), y(*v), format!("{label}: {v:.1}")))
            .collect();
        let path = points
            .iter()
            .enumerate()
            .map(|(i, (px, py, _))| format!("{}{px:.1},{py:.1}", if i == 0 { "M" } else { " L" }))
            .collect();
        let step = n.div_ceil(6).max(1);
        let x_ticks = series
            .iter()
            .enumerate()
            .filter(|(i, _)| i % step == 0 || *i + 1 == n)
            .map(|(i, (label, _))| Tick {
                pos: x(i),
                label: label.clone(),
            })
            .collect();
        let y_ticks = nice_ticks(low, high, 5)
            .into_iter()
            .map(|v| Tick {
                pos: y(v),
                label: format!("{v:.0}"),
            })
            .collect();
        LineChart {
            width,
            height,
            path,
            points,
            y_ticks,
            x_ticks,
        }
    }
}

/// Round tick values covering [low, high], about `count` of them.
pub fn nice_ticks(low: f64, high: f64, count: usize) -> Vec<f64> {
    if high.partial_cmp(&low) != Some(std::cmp::Ordering::Greater) || count == 0 {
        return Vec::new();
    }
    let raw = (high - low) / count as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    // The round step (1, 2 or 5 times a power of ten) nearest to the raw one.
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .min_by(|a, b| (a - raw).abs().total_cmp(&(b - raw).abs()))
        .unwrap_or(magnitude);
    let mut v = (low / step).ceil() * step;
    let mut ticks = Vec::new();
    while v <= high + step * 1e-9 {
        ticks.push(v);
        v += step;
    }
    ticks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_inside_the_range() {
        let t = nice_ticks(953.0, 1087.0, 6);
        assert_eq!(
            t,
            vec![960.0, 980.0, 1000.0, 1020.0, 1040.0, 1060.0, 1080.0]
        );
    }

    #[test]
    fn ratings_chart_orders_points_and_bars() {
        let chart = RatingsChart::new(&[
            ("a".into(), 1050.0, Some(1030.0), Some(1070.0)),
            ("b".into(), 950.0, Some(930.0), Some(970.0)),
        ]);
        assert!(chart.rows[0].x > chart.rows[1].x);
        assert!(chart.rows[0].x_low < chart.rows[0].x && chart.rows[0].x < chart.rows[0].x_high);
        assert!(
            chart
                .rows
                .iter()
                .all(|r| r.x_low >= chart.left && r.x_high <= chart.right)
        );
    }

    #[test]
    fn win_rate_colours_run_from_red_through_white_to_blue() {
        assert_eq!(diverging(0.5), "rgb(255,255,255)");
        assert_eq!(diverging(0.0), "rgb(214,69,65)");
        assert_eq!(diverging(1.0), "rgb(49,130,189)");
    }
}

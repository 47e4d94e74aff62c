//! Geometry for the server-rendered SVG charts (readable without JavaScript). The
//! templates draw what these structs place; nothing here knows about HTML.

/// A label placed at a position along an axis.
#[derive(Clone, Debug)]
pub struct Tick {
    pub pos: f64,
    pub label: String,
}

/// Width in pixels that `text` takes at the charts' 12 px label size: an estimate
/// (about 7 px a character, wide letters a little more) that errs on the wide side,
/// so that label areas fit the longest name.
pub fn text_width(text: &str) -> f64 {
    text.chars()
        .map(|c| match c {
            'm' | 'w' | 'M' | 'W' | '@' => 11.0,
            'A'..='Z' => 8.5,
            'i' | 'j' | 'l' | '.' | ',' | ':' | '\'' | '|' | ' ' => 4.0,
            c if c.is_ascii() => 7.0,
            // Wide scripts (CJK and the like) take about a square each.
            _ => 12.0,
        })
        .sum()
}

/// A row of the ratings chart: a model's rating and, when known, its interval.
#[derive(Clone, Debug)]
pub struct RatingRow {
    pub label: String,
    pub rating: f64,
    pub interval: Option<(f64, f64)>,
}

/// Ratings as points with confidence-interval bars, one row per model.
#[derive(Clone, Debug)]
pub struct RatingsChart {
    pub width: f64,
    pub height: f64,
    /// Left edge of the plot area (model names go to its left).
    pub left: f64,
    pub right: f64,
    /// Bottom of the plot area (the ticks and the axis title go below it).
    pub bottom: f64,
    pub rows: Vec<RatingBar>,
    pub ticks: Vec<Tick>,
    /// The x axis's title.
    pub axis_title: String,
    /// Names above their bars (a phone's layout) instead of to their left.
    pub stacked: bool,
}

#[derive(Clone, Debug)]
pub struct RatingBar {
    pub y: f64,
    pub x: f64,
    /// The interval's ends; equal to `x` when the interval is unknown.
    pub x_low: f64,
    pub x_high: f64,
    pub label: String,
    /// Whether the row has an interval to draw.
    pub has_interval: bool,
    /// The numbers, shown on hover.
    pub title: String,
}

pub const ROW_HEIGHT: f64 = 26.0;

impl RatingsChart {
    /// `rows` best first; `interval_name` names the intervals in the hover text (e.g.
    /// "95% CI"), or `None` when the method has none.
    pub fn new(rows: &[RatingRow], interval_name: Option<&str>) -> RatingsChart {
        let longest = rows
            .iter()
            .map(|r| text_width(&r.label))
            .fold(0.0, f64::max);
        let left = (longest + 18.0).clamp(60.0, 360.0);
        Self::layout(rows, interval_name, left, left + 520.0, ROW_HEIGHT, false)
    }

    /// The same chart for a phone: 360 px wide, each name above its bar.
    pub fn stacked(rows: &[RatingRow], interval_name: Option<&str>) -> RatingsChart {
        Self::layout(rows, interval_name, 12.0, 340.0, 44.0, true)
    }

    fn layout(
        rows: &[RatingRow],
        interval_name: Option<&str>,
        left: f64,
        right: f64,
        row_height: f64,
        stacked: bool,
    ) -> RatingsChart {
        let width = right + 20.0;
        let (low, high) = rating_range(rows);
        let x = |v: f64| left + (v - low) / (high - low) * (right - left);
        let bars = rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let (lo, hi) = r.interval.unwrap_or((r.rating, r.rating));
                let title = match (r.interval, interval_name) {
                    (Some((lo, hi)), Some(name)) => format!(
                        "{}: {:.1} ({name} {:.1} to {:.1})",
                        r.label, r.rating, lo, hi
                    ),
                    (None, Some(_)) => format!("{}: {:.1} (interval unknown)", r.label, r.rating),
                    (_, None) => format!("{}: {:.1}", r.label, r.rating),
                };
                RatingBar {
                    y: if stacked { 30.0 } else { 20.0 } + i as f64 * row_height,
                    x: x(r.rating),
                    x_low: x(lo),
                    x_high: x(hi),
                    label: r.label.clone(),
                    has_interval: r.interval.is_some(),
                    title,
                }
            })
            .collect::<Vec<_>>();
        let bottom = if stacked { 18.0 } else { 8.0 } + rows.len() as f64 * row_height;
        let height = bottom + 48.0;
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
            bottom,
            rows: bars,
            ticks,
            axis_title: if stacked {
                "Rating (400 points = 10:1 odds)".into()
            } else {
                "Rating (Elo scale: 400 points = 10:1 odds)".into()
            },
            stacked,
        }
    }
}

/// The rating axis for `rows`: every rating and interval with 5% to spare on each
/// side (±100 points around a lone rating, 900–1100 for no rows).
pub fn rating_range(rows: &[RatingRow]) -> (f64, f64) {
    let low = rows
        .iter()
        .map(|r| r.interval.map_or(r.rating, |i| i.0))
        .fold(f64::INFINITY, f64::min);
    let high = rows
        .iter()
        .map(|r| r.interval.map_or(r.rating, |i| i.1))
        .fold(f64::NEG_INFINITY, f64::max);
    if low.is_finite() && high.is_finite() && high > low {
        let pad = (high - low) * 0.05;
        (low - pad, high + pad)
    } else if low.is_finite() {
        (low - 100.0, low + 100.0)
    } else {
        (900.0, 1100.0)
    }
}

/// A square matrix of coloured cells with row and column labels.
#[derive(Clone, Debug)]
pub struct Heatmap {
    pub width: f64,
    pub height: f64,
    /// Left edge of the cells (row labels go to its left).
    pub left: f64,
    /// Top edge of the cells (column labels, slanted, go above it).
    pub top: f64,
    pub cell: f64,
    pub rows: Vec<Tick>,
    pub columns: Vec<Tick>,
    pub cells: Vec<HeatCell>,
    /// The colour scale: stops from left to right, and its labels.
    pub legend: Vec<LegendStop>,
    pub legend_y: f64,
}

#[derive(Clone, Debug)]
pub struct HeatCell {
    pub x: f64,
    pub y: f64,
    pub fill: String,
    /// The text's colour class: `ink-dark` on light cells, `ink-light` on dark ones.
    pub ink: &'static str,
    pub text: String,
    pub title: String,
}

/// A swatch of the heatmap's colour legend.
#[derive(Clone, Debug)]
pub struct LegendStop {
    pub x: f64,
    pub fill: String,
    pub label: String,
}

/// Cells keep one size whatever the number of models: the chart grows and its box
/// scrolls instead, so numbers stay readable.
pub const CELL: f64 = 38.0;

impl Heatmap {
    /// `values[i][j]` for row model i against column model j; `colour` maps a value
    /// to a fill, `text` to the cell label; `legend` gives (value, label) stops.
    pub fn new<T: Copy>(
        labels: &[String],
        values: &[Vec<Option<T>>],
        colour: impl Fn(T) -> String,
        text: impl Fn(T) -> String,
        legend: &[(T, String)],
    ) -> Heatmap {
        let n = labels.len() as f64;
        let longest = labels.iter().map(|l| text_width(l)).fold(0.0, f64::max);
        let left = (longest + 14.0).clamp(60.0, 360.0);
        // Column labels slant at 60°: they rise by sin 60° of their length.
        let top = (longest * 0.87 + 14.0).clamp(40.0, 320.0);
        let cell = CELL;
        let mut cells = Vec::new();
        for (i, row) in values.iter().enumerate() {
            for (j, value) in row.iter().enumerate() {
                let Some(v) = value else { continue };
                let fill = colour(*v);
                cells.push(HeatCell {
                    x: left + j as f64 * cell,
                    y: top + i as f64 * cell,
                    ink: ink(&fill),
                    fill,
                    text: text(*v),
                    title: format!("{} vs {}: {}", labels[i], labels[j], text(*v)),
                });
            }
        }
        let legend_y = top + n * cell + 16.0;
        let stops = legend
            .iter()
            .enumerate()
            .map(|(k, (v, label))| LegendStop {
                x: left + k as f64 * 56.0,
                fill: colour(*v),
                label: label.clone(),
            })
            .collect::<Vec<_>>();
        let legend_right = left + stops.len() as f64 * 56.0;
        let at = |i: usize| (i as f64 + 0.5) * cell;
        Heatmap {
            // The last column's slanted label reaches half its length to the right.
            width: (left + n * cell + longest * 0.5).max(legend_right) + 12.0,
            height: legend_y + 34.0,
            left,
            top,
            cell,
            rows: labels
                .iter()
                .enumerate()
                .map(|(i, l)| Tick {
                    pos: top + at(i),
                    label: l.clone(),
                })
                .collect(),
            columns: labels
                .iter()
                .enumerate()
                .map(|(i, l)| Tick {
                    pos: left + at(i),
                    label: l.clone(),
                })
                .collect(),
            cells,
            legend: stops,
            legend_y,
        }
    }
}

/// Text colour class for a cell filled with `fill` (`rgb(r,g,b)`), by its luminance
/// (a class, since the page's CSP allows no inline styles and CSS outranks `fill`).
fn ink(fill: &str) -> &'static str {
    let channels: Vec<f64> = fill
        .trim_start_matches("rgb(")
        .trim_end_matches(')')
        .split(',')
        .filter_map(|c| c.trim().parse().ok())
        .collect();
    match channels[..] {
        [r, g, b] if 0.299 * r + 0.587 * g + 0.114 * b < 140.0 => "ink-light",
        _ => "ink-dark",
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

/// A model's rating over time, on a time axis: one point per day with votes, a
/// solid line between consecutive points, a dashed one across days without votes.
#[derive(Clone, Debug)]
pub struct LineChart {
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
    /// Segments between points: (x1, y1, x2, y2, across a gap).
    pub segments: Vec<(f64, f64, f64, f64, bool)>,
    pub points: Vec<(f64, f64, String)>,
    pub y_ticks: Vec<Tick>,
    pub x_ticks: Vec<Tick>,
}

impl LineChart {
    /// `series`: (day as `YYYY-MM-DD`, rating) in time order; `step_days` the spacing
    /// of the points when there are votes every day (history is sampled on long
    /// periods). Days that do not parse are left out.
    pub fn new(series: &[(String, f64)], step_days: i64) -> LineChart {
        use chrono::NaiveDate;
        let (width, height, left, right, top, bottom) = (720.0, 250.0, 60.0, 700.0, 15.0, 200.0);
        let dated: Vec<(NaiveDate, f64)> = series
            .iter()
            .filter_map(|(d, v)| Some((NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()?, *v)))
            .collect();
        let low = dated.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
        let high = dated.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
        let (low, high) = if low.is_finite() && high > low + 1.0 {
            let pad = (high - low) * 0.1;
            (low - pad, high + pad)
        } else if low.is_finite() {
            (low - 50.0, low + 50.0)
        } else {
            (950.0, 1050.0)
        };
        let (first, last) = match (dated.first(), dated.last()) {
            (Some(f), Some(l)) => (f.0, l.0),
            _ => (NaiveDate::MIN, NaiveDate::MIN),
        };
        // At least a week wide, so that two days do not fill the whole axis.
        let span = (last - first).num_days().max(7) as f64;
        let x = |d: NaiveDate| left + (d - first).num_days() as f64 / span * (right - left);
        let y = |v: f64| bottom - (v - low) / (high - low) * (bottom - top);
        let points: Vec<(f64, f64, String)> = dated
            .iter()
            .map(|(d, v)| (x(*d), y(*v), format!("{}: {v:.1}", d.format("%Y-%m-%d"))))
            .collect();
        let segments = dated
            .windows(2)
            .zip(points.windows(2))
            .map(|(d, p)| {
                let gap = (d[1].0 - d[0].0).num_days() > step_days.max(1);
                (p[0].0, p[0].1, p[1].0, p[1].1, gap)
            })
            .collect();
        let x_ticks = date_ticks(first, span as i64)
            .into_iter()
            .map(|(d, label)| Tick { pos: x(d), label })
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
            left,
            right,
            top,
            bottom,
            segments,
            points,
            y_ticks,
            x_ticks,
        }
    }
}

/// Dates for the ticks of a time axis from `first` over `span` days: days, weeks,
/// months or years, at most about seven of them, with labels to match.
fn date_ticks(first: chrono::NaiveDate, span: i64) -> Vec<(chrono::NaiveDate, String)> {
    use chrono::{Datelike, Duration, NaiveDate};
    let last = first + Duration::days(span);
    let mut ticks = Vec::new();
    if span <= 10 {
        let mut d = first;
        while d <= last {
            ticks.push((d, d.format("%b %-d").to_string()));
            d += Duration::days(1);
        }
    } else if span <= 70 {
        // Mondays.
        let mut d = first + Duration::days((7 - first.weekday().num_days_from_monday() as i64) % 7);
        while d <= last {
            ticks.push((d, d.format("%b %-d").to_string()));
            d += Duration::days(7 * (span / 49 + 1));
        }
    } else {
        let months = (span / 30 / 7 + 1) as u32;
        let (mut year, mut month) = (first.year(), first.month());
        loop {
            // The first of the next month on the grid.
            month += 1;
            if month > 12 {
                month = 1;
                year += 1;
            }
            if (month - 1) % months != 0 {
                continue;
            }
            let Some(d) = NaiveDate::from_ymd_opt(year, month, 1) else {
                break;
            };
            if d > last {
                break;
            }
            let label = if month == 1 || ticks.is_empty() {
                d.format("%b %Y").to_string()
            } else {
                d.format("%b").to_string()
            };
            ticks.push((d, label));
        }
    }
    ticks
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
        let row = |label: &str, rating: f64, interval| RatingRow {
            label: label.into(),
            rating,
            interval,
        };
        let chart = RatingsChart::new(
            &[
                row("a", 1050.0, Some((1030.0, 1070.0))),
                row("b", 950.0, Some((930.0, 970.0))),
                row("c", 1000.0, None),
            ],
            Some("95% CI"),
        );
        assert!(chart.rows[0].x > chart.rows[1].x);
        assert!(chart.rows[0].x_low < chart.rows[0].x && chart.rows[0].x < chart.rows[0].x_high);
        assert!(
            chart
                .rows
                .iter()
                .all(|r| r.x_low >= chart.left && r.x_high <= chart.right)
        );
        assert!(!chart.rows[2].has_interval);
        assert!(chart.rows[2].title.contains("interval unknown"));
        assert!(chart.rows[0].title.contains("95% CI 1030.0 to 1070.0"));
    }

    #[test]
    fn label_areas_fit_the_longest_name() {
        let long = "imagenhub_PlayGroundV2_generation".to_string();
        let row = |label: &String| RatingRow {
            label: label.clone(),
            rating: 1000.0,
            interval: None,
        };
        let short = RatingsChart::new(&[row(&"x".to_string())], None);
        let wide = RatingsChart::new(&[row(&long)], None);
        assert!(wide.left >= text_width(&long));
        assert!(wide.left > short.left);
        let map = Heatmap::new(
            &[long.clone(), "x".into()],
            &[vec![None, Some(0.5)], vec![Some(0.5), None]],
            diverging,
            |v| format!("{v}"),
            &[(0.0, "0%".into()), (1.0, "100%".into())],
        );
        assert!(map.left >= text_width(&long));
        assert_eq!(map.cell, CELL);
        assert_eq!(map.legend.len(), 2);
    }

    #[test]
    fn the_time_axis_spaces_points_by_date_and_marks_gaps() {
        let series = [
            ("2024-01-01".to_string(), 1000.0),
            ("2024-01-02".to_string(), 1010.0),
            ("2024-01-20".to_string(), 1020.0),
        ];
        let chart = LineChart::new(&series, 1);
        let xs: Vec<f64> = chart.points.iter().map(|p| p.0).collect();
        // One day apart, then eighteen: the second step is eighteen times longer.
        assert!(((xs[2] - xs[1]) / (xs[1] - xs[0]) - 18.0).abs() < 1e-9);
        assert_eq!(
            chart.segments.iter().map(|s| s.4).collect::<Vec<_>>(),
            vec![false, true]
        );
        assert!(!chart.x_ticks.is_empty());
    }

    #[test]
    fn win_rate_colours_run_from_red_through_white_to_blue() {
        assert_eq!(diverging(0.5), "rgb(255,255,255)");
        assert_eq!(diverging(0.0), "rgb(214,69,65)");
        assert_eq!(diverging(1.0), "rgb(49,130,189)");
    }
}

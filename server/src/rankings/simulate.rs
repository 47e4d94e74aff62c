//! `arena simulate`: matchmaking strategies on simulated voters, compared by the voter
//! actions and voter seconds each needs before the leaderboard is right
//! ([`arena_evaluator::simulate`] runs them; this prints them and draws the curves).

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context;
use arena_evaluator::simulate::{
    DesignReport, Scenario, ScenarioReport, Settings, TAU_TARGET, WIDTH_TARGET, compare,
    standard_designs,
};
use clap::{Args, ValueEnum};

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Runs per strategy and scenario (seeds 0..N).
    #[arg(long, default_value_t = 20)]
    pub seeds: u64,
    /// Models with known ratings, evenly spaced.
    #[arg(long, default_value_t = 20)]
    pub models: usize,
    /// Rating points between neighbouring models.
    #[arg(long, default_value_t = 30.0)]
    pub gap: f64,
    /// Points between the best three models in the close-top-three scenario.
    #[arg(long, default_value_t = 15.0)]
    pub top_gap: f64,
    /// Which scenarios to run.
    #[arg(long, value_enum, default_value = "all")]
    pub scenario: ScenarioChoice,
    /// Share of pairwise votes that are ties (and of K-wise battles skipped).
    #[arg(long, default_value_t = 0.1)]
    pub tie_rate: f64,
    /// Share of active battles drawn uniformly.
    #[arg(long, default_value_t = 0.2)]
    pub exploration: f64,
    /// A run gives up after this many voter actions.
    #[arg(long, default_value_t = 400_000)]
    pub max_actions: u64,
    /// Write one SVG of the interval widths per scenario into this folder.
    #[arg(long)]
    pub svg: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "table")]
    pub output: SimulateOutput,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScenarioChoice {
    /// Evenly spaced models.
    Spread,
    /// Evenly spaced, the best three closer together.
    CloseTop,
    /// Both.
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SimulateOutput {
    Table,
    Json,
}

pub fn run(args: SimulateArgs) -> anyhow::Result<()> {
    if args.models < 4 {
        anyhow::bail!("--models must be at least 4 (battles of four images)");
    }
    if !(0.0..1.0).contains(&args.tie_rate) || !(0.0..=1.0).contains(&args.exploration) {
        anyhow::bail!("--tie-rate must be in [0, 1) and --exploration in [0, 1]");
    }
    if args.seeds == 0 || args.max_actions == 0 {
        anyhow::bail!("--seeds and --max-actions must be positive");
    }
    let mut scenarios = Vec::new();
    if args.scenario != ScenarioChoice::CloseTop {
        scenarios.push(("spread", Scenario::evenly_spaced(args.models, args.gap)));
    }
    if args.scenario != ScenarioChoice::Spread {
        scenarios.push((
            "close-top",
            Scenario::close_top_three(args.models, args.gap, args.top_gap),
        ));
    }
    let settings = Settings {
        tie_rate: args.tie_rate,
        exploration: args.exploration,
        max_actions: args.max_actions,
        seed: 0,
    };
    let designs = standard_designs();
    let mut reports = Vec::new();
    for (slug, scenario) in &scenarios {
        let report = compare(scenario, &designs, &settings, args.seeds);
        if let Some(dir) = &args.svg {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let path = dir.join(format!("simulate-{slug}.svg"));
            std::fs::write(&path, width_chart(&report))
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        reports.push(report);
    }
    match args.output {
        SimulateOutput::Json => println!("{}", serde_json::to_string_pretty(&reports)?),
        SimulateOutput::Table => {
            for report in &reports {
                print!("{}", table(report, &settings, args.seeds));
            }
        }
    }
    Ok(())
}

fn cell(actions: Option<u64>, seconds: Option<f64>, ratio: Option<f64>, runs: usize) -> String {
    match (actions, seconds, ratio) {
        (Some(a), Some(s), Some(r)) => format!("{a} ({:.1} h, ×{r:.2}) [{runs}]", s / 3600.0),
        _ => format!("not reached [{runs}]"),
    }
}

/// One scenario as a plain-text table.
pub fn table(report: &ScenarioReport, settings: &Settings, seeds: u64) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} — {seeds} runs per strategy, {:.0}% ties, exploration {}, at most {} actions",
        report.scenario.name,
        settings.tie_rate * 100.0,
        settings.exploration,
        settings.max_actions
    );
    let _ = writeln!(
        out,
        "median voter actions (voter hours, × uniform pairs) [runs that got there] until:"
    );
    let headers = [
        "strategy".to_string(),
        "s/battle".to_string(),
        format!("Kendall τ ≥ {TAU_TARGET}"),
        "top three separated".to_string(),
        format!("mean 95% interval < {WIDTH_TARGET}"),
    ];
    let rows: Vec<[String; 5]> = report
        .designs
        .iter()
        .map(|d: &DesignReport| {
            let (t, s, r, n) = (
                &d.median_actions,
                &d.median_seconds,
                &d.actions_vs_baseline,
                &d.reached_runs,
            );
            [
                d.label.clone(),
                format!("{}", d.seconds_per_battle),
                cell(t.tau, s.tau, r.tau, n.tau),
                cell(t.top_three, s.top_three, r.top_three, n.top_three),
                cell(t.width, s.width, r.width, n.width),
            ]
        })
        .collect();
    let widths: Vec<usize> = (0..5)
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain([headers[c].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let _ = writeln!(out, "{}", line(&headers));
    for row in &rows {
        let _ = writeln!(out, "{}", line(row));
    }
    out.push('\n');
    out
}

const COLOURS: [&str; 4] = ["#6b7280", "#2563eb", "#d97706", "#dc2626"];

/// Median mean interval width against voter actions (log–log), one line per strategy,
/// with the target as a dashed line.
pub fn width_chart(report: &ScenarioReport) -> String {
    let (w, h) = (720.0, 420.0);
    let (left, right, top, bottom) = (64.0, 170.0, 40.0, 48.0);
    let points: Vec<&(u64, f64, f64)> = report
        .designs
        .iter()
        .flat_map(|d| d.curve.iter())
        .filter(|p| p.1.is_finite())
        .collect();
    let max_x = points.iter().map(|p| p.0).max().unwrap_or(10).max(10) as f64;
    let min_x = points.iter().map(|p| p.0).min().unwrap_or(1).max(1) as f64;
    let max_y = points
        .iter()
        .map(|p| p.1)
        .fold(WIDTH_TARGET * 2.0, f64::max)
        .min(2000.0);
    let min_y = points
        .iter()
        .map(|p| p.1)
        .fold(WIDTH_TARGET, f64::min)
        .max(1.0)
        * 0.8;
    let x = |v: f64| left + (v.ln() - min_x.ln()) / (max_x.ln() - min_x.ln()) * (w - left - right);
    let y = |v: f64| {
        top + (max_y.ln() - v.clamp(min_y, max_y).ln()) / (max_y.ln() - min_y.ln())
            * (h - top - bottom)
    };
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" font-family="system-ui, sans-serif" font-size="12">
<rect width="{w}" height="{h}" fill="#fff"/>
<text x="{left}" y="22" font-size="14" font-weight="600">{}</text>
"##,
        escape(&report.scenario.name)
    );
    // Decade ticks on both axes.
    let mut decade = 10f64.powf(min_x.log10().floor());
    while decade <= max_x {
        for m in [1.0, 2.0, 5.0] {
            let v = decade * m;
            if v >= min_x && v <= max_x {
                let px = x(v);
                let _ = writeln!(
                    svg,
                    r##"<line x1="{px:.1}" y1="{top}" x2="{px:.1}" y2="{:.1}" stroke="#e5e7eb"/><text x="{px:.1}" y="{:.1}" text-anchor="middle" fill="#4b5563">{}</text>"##,
                    h - bottom,
                    h - bottom + 16.0,
                    format_count(v)
                );
            }
        }
        decade *= 10.0;
    }
    for v in [
        1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0,
    ] {
        if v >= min_y && v <= max_y {
            let py = y(v);
            let _ = writeln!(
                svg,
                r##"<line x1="{left}" y1="{py:.1}" x2="{:.1}" y2="{py:.1}" stroke="#e5e7eb"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#4b5563">{v}</text>"##,
                w - right,
                left - 6.0,
                py + 4.0
            );
        }
    }
    let target = y(WIDTH_TARGET);
    let _ = writeln!(
        svg,
        r##"<line x1="{left}" y1="{target:.1}" x2="{:.1}" y2="{target:.1}" stroke="#111827" stroke-dasharray="5 4"/>
<text x="{:.1}" y="{:.1}" fill="#111827">target {WIDTH_TARGET}</text>
<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#111827">voter actions (log scale)</text>
<text transform="translate(16 {:.1}) rotate(-90)" text-anchor="middle" fill="#111827">mean 95% interval width, points (median of runs)</text>"##,
        w - right,
        w - right + 6.0,
        target + 4.0,
        left + (w - left - right) / 2.0,
        h - 10.0,
        top + (h - top - bottom) / 2.0
    );
    for (d, colour) in report.designs.iter().zip(COLOURS.iter().cycle()) {
        let path: Vec<String> = d
            .curve
            .iter()
            .filter(|p| p.1.is_finite())
            .map(|p| format!("{:.1},{:.1}", x(p.0 as f64), y(p.1)))
            .collect();
        if path.is_empty() {
            continue;
        }
        let _ = writeln!(
            svg,
            r##"<polyline fill="none" stroke="{colour}" stroke-width="2" points="{}"/>"##,
            path.join(" ")
        );
    }
    for (i, (d, colour)) in report
        .designs
        .iter()
        .zip(COLOURS.iter().cycle())
        .enumerate()
    {
        let ly = top + 14.0 + 20.0 * i as f64;
        let lx = w - right + 16.0;
        let _ = writeln!(
            svg,
            r##"<line x1="{lx}" y1="{ly}" x2="{:.1}" y2="{ly}" stroke="{colour}" stroke-width="3"/><text x="{:.1}" y="{:.1}">{}</text>"##,
            lx + 18.0,
            lx + 24.0,
            ly + 4.0,
            escape(&d.label)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

fn format_count(v: f64) -> String {
    if v >= 1e6 {
        format!("{}M", v / 1e6)
    } else if v >= 1e3 {
        format!("{}k", v / 1e3)
    } else {
        format!("{v}")
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

//! The results as a markdown table (`benchmarks.md`) and a chart (`benchmarks.png`).

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};
use plotters::prelude::*;

use crate::stats::Stats;
use crate::suite::Results;

#[allow(clippy::cast_precision_loss)]
fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn yes(met: bool) -> &'static str {
    if met { "met" } else { "not met" }
}

/// The markdown report.
pub fn markdown(r: &Results) -> String {
    let mut s = String::new();
    let m = &r.machine;
    let _ = writeln!(s, "Command: `{}`; {:.0} s.", r.command, r.seconds);
    let _ = writeln!(
        s,
        "Machine: {} ({} cores), {:.0} GiB, Linux {}; load average {} before, {} after. \
         ONNX Runtime {} on every side, {} intra-op threads (the plugin: `ONNXFX_THREADS`; its pixel \
         passes use every core). {} interleaved rounds per row; figures are min / median / max.\n",
        m.cpu,
        m.cores,
        m.memory_gib,
        m.kernel,
        m.load_before,
        m.load_after,
        m.onnxruntime,
        r.threads,
        r.rounds
    );
    s.push_str(
        "| model | frame | tensor × runs | raw `Session::run` ms | plugin render action ms | \
         `ofx-host render` process ms | Python ms | plugin ÷ raw | plugin ÷ Python |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for c in &r.cells {
        let _ = writeln!(
            s,
            "| {} | {}x{} | {}x{} × {} | {} | {} | {} | {} | {} | {} |",
            c.model,
            c.frame.0,
            c.frame.1,
            c.tensor.0,
            c.tensor.1,
            c.runs,
            c.raw_ms.text(1),
            c.plugin_ms.text(1),
            c.process_ms.text(0),
            c.python_ms.text(1),
            c.plugin_over_raw.text(3),
            c.plugin_over_python.text(3),
        );
    }
    let conv = &r.conversion;
    let ratio = |g: &Stats| g.median / conv.memcpy_gbs.median;
    let _ = writeln!(
        s,
        "\nPixel conversion, {}x{} float RGBA ({:.0} MiB), premultiplied linear ↔ straight sRGB NCHW, \
         the frame loop's passes ({} threads), GB/s:\n\n\
         | pass | GB/s | × memcpy (medians) |\n| --- | --- | --- |\n\
         | memcpy (one thread) | {} | 1.00 |\n\
         | host image → tensor | {} | {:.2} |\n\
         | tensor → host image | {} | {:.2} |",
        conv.width,
        conv.height,
        mib(conv.bytes),
        conv.threads,
        conv.memcpy_gbs.text(2),
        conv.to_tensor_gbs.text(2),
        ratio(&conv.to_tensor_gbs),
        conv.from_tensor_gbs.text(2),
        ratio(&conv.from_tensor_gbs),
    );
    let mem = &r.memory;
    let limit = mem.frame_buffers + (1 << 30);
    let _ = writeln!(
        s,
        "\nMemory: {}x{} → {}x{} through `{}` (tiling on, automatic tile size): frame buffers (source \
         + output, float RGBA) {:.0} MiB; resident at the start of the render action {:.0} MiB; peak \
         during it {:.0} MiB (frame buffers + 1 GiB = {:.0} MiB: {}); the process's peak, host copies \
         included, {:.0} MiB; render action {:.0} ms.",
        mem.source.0,
        mem.source.1,
        mem.output.0,
        mem.output.1,
        r.memory_model,
        mib(mem.frame_buffers),
        mib(mem.rss_at_start),
        mib(mem.peak_rss),
        mib(limit),
        yes(mem.peak_rss <= limit),
        mib(mem.process_max_rss),
        mem.action_ms
    );
    let _ = writeln!(
        s,
        "\nConcurrency: `{}` at {}x{}, instances rendering one frame each at once against the same \
         frames one after the other:\n\n\
         | instances | one after the other ms | at once ms | throughput ratio | CPU s one after the \
         other | CPU s at once |\n| --- | --- | --- | --- | --- | --- |",
        r.concurrency_model, r.concurrency_frame.0, r.concurrency_frame.1
    );
    for c in &r.concurrency {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            c.instances,
            c.sequential_ms.text(0),
            c.concurrent_ms.text(0),
            c.throughput_ratio.text(3),
            c.sequential_cpu_s.text(2),
            c.concurrent_cpu_s.text(2),
        );
    }
    s.push_str(
        "\nFirst render of a new instance (the session is created) against a second instance with \
         the same model (a cache hit), fresh process each time; instance creation + model file + \
         render, and the render action alone, ms:\n\n\
         | model | frame | first | second | first action | second action |\n\
         | --- | --- | --- | --- | --- | --- |\n",
    );
    for c in &r.cold {
        let _ = writeln!(
            s,
            "| {} | {}x{} | {} | {} | {} | {} |",
            c.model,
            c.frame.0,
            c.frame.1,
            c.first_ms.text(0),
            c.second_ms.text(0),
            c.first_action_ms.text(0),
            c.second_action_ms.text(0),
        );
    }
    let _ = writeln!(s, "\nGPU: {}", r.gpu);
    s.push_str(&targets(r));
    s
}

/// The targets against the medians.
fn targets(r: &Results) -> String {
    let mut s = String::from("\n| target | measured (median) | |\n| --- | --- | --- |\n");
    for c in r.cells.iter().filter(|c| c.frame == (1920, 1080)) {
        let v = c.plugin_over_raw.median;
        let _ = writeln!(
            s,
            "| plugin ÷ raw ≤ 1.03 at 1080p, {} | {v:.3} | {} |",
            c.model,
            yes(v <= 1.03)
        );
    }
    for c in &r.cells {
        let v = c.plugin_over_python.median;
        let _ = writeln!(
            s,
            "| plugin ÷ Python ≤ 0.8, {} {}x{} | {v:.3} | {} |",
            c.model,
            c.frame.0,
            c.frame.1,
            yes(v <= 0.8)
        );
    }
    let conv = &r.conversion;
    let worst = conv.to_tensor_gbs.median.min(conv.from_tensor_gbs.median) / conv.memcpy_gbs.median;
    let _ = writeln!(
        s,
        "| conversion ≥ 0.5 × memcpy (slower direction) | {worst:.2} | {} |",
        yes(worst >= 0.5)
    );
    let mem = &r.memory;
    let _ = writeln!(
        s,
        "| 8K peak RSS ≤ frame buffers + 1 GiB | {:.0} MiB ≤ {:.0} MiB | {} |",
        mib(mem.peak_rss),
        mib(mem.frame_buffers + (1 << 30)),
        yes(mem.peak_rss <= mem.frame_buffers + (1 << 30))
    );
    for c in &r.concurrency {
        let v = c.throughput_ratio.median;
        let _ = writeln!(
            s,
            "| concurrent ≥ 0.95 × sequential, {} instances | {v:.3} | {} |",
            c.instances,
            yes(v >= 0.95)
        );
    }
    s
}

/// A system font for the chart's text (the chart is skipped without one).
fn font() -> Option<&'static [u8]> {
    let candidates = [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    ];
    let bytes = candidates.iter().find_map(|p| std::fs::read(p).ok())?;
    Some(Box::leak(bytes.into_boxed_slice()))
}

/// One bar series: its legend, colour and the figure it shows of each cell.
type Series = (&'static str, RGBColor, fn(&crate::suite::Cell) -> Stats);

const WIDTH: u32 = 1400;
const HEIGHT: u32 = 560;

fn label(r: &Results, i: usize) -> String {
    r.cells
        .get(i)
        .map(|c| format!("{} {}p", c.model, c.frame.1))
        .unwrap_or_default()
}

/// Two panels: median times per cell (log scale) for raw, plugin and Python; the ratios with their
/// min–max range and the targets.
#[allow(clippy::cast_precision_loss)]
pub fn chart(r: &Results, path: &Path) -> Result<bool> {
    let Some(font) = font() else {
        return Ok(false);
    };
    plotters::style::register_font("sans-serif", FontStyle::Normal, font)
        .map_err(|_| anyhow::anyhow!("the system font could not be read"))?;
    let (w, h) = (WIDTH as usize, HEIGHT as usize);
    let mut buffer = vec![0u8; w * h * 3];
    let n = r.cells.len().max(1) as f64;
    let draw = |buffer: &mut [u8]| -> Result<(), Box<dyn std::error::Error + '_>> {
        let root = BitMapBackend::with_buffer(buffer, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE)?;
        let (left, right) = root.split_horizontally(WIDTH / 2);
        let lo = r
            .cells
            .iter()
            .flat_map(|c| [c.raw_ms.median, c.plugin_ms.median, c.python_ms.median])
            .fold(f64::INFINITY, f64::min)
            .max(0.01)
            * 0.5;
        let hi = r
            .cells
            .iter()
            .flat_map(|c| [c.raw_ms.max, c.plugin_ms.max, c.python_ms.max])
            .fold(1.0, f64::max)
            * 2.0;
        let mut times = ChartBuilder::on(&left)
            .caption(
                format!("median time per frame, ms ({} threads)", r.threads),
                ("sans-serif", 20),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(-0.5..n - 0.5, (lo..hi).log_scale())?;
        times
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(r.cells.len().max(1))
            .x_label_formatter(&|x| label(r, x.round().max(0.0) as usize))
            .label_style(("sans-serif", 13))
            .draw()?;
        let sides: [Series; 3] = [
            ("raw Session::run", RGBColor(90, 90, 90), |c| c.raw_ms),
            ("plugin render action", RGBColor(31, 119, 180), |c| {
                c.plugin_ms
            }),
            ("Python numpy + onnxruntime", RGBColor(255, 127, 14), |c| {
                c.python_ms
            }),
        ];
        for (k, (name, colour, get)) in sides.into_iter().enumerate() {
            let x0 = -0.36 + 0.24 * k as f64;
            times
                .draw_series(r.cells.iter().enumerate().map(|(i, c)| {
                    let x = i as f64 + x0;
                    Rectangle::new([(x, lo), (x + 0.22, get(c).median)], colour.filled())
                }))?
                .label(name)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled())
                });
            times.draw_series(r.cells.iter().enumerate().map(|(i, c)| {
                let x = i as f64 + x0 + 0.11;
                PathElement::new(vec![(x, get(c).min), (x, get(c).max)], BLACK)
            }))?;
        }
        times
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 13))
            .position(SeriesLabelPosition::UpperLeft)
            .draw()?;

        let top = r
            .cells
            .iter()
            .flat_map(|c| [c.plugin_over_raw.max, c.plugin_over_python.max])
            .fold(1.2, f64::max)
            * 1.1;
        let mut ratios = ChartBuilder::on(&right)
            .caption("ratios (bar: median, line: min–max)", ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(-0.5..n - 0.5, 0.0..top)?;
        ratios
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(r.cells.len().max(1))
            .x_label_formatter(&|x| label(r, x.round().max(0.0) as usize))
            .label_style(("sans-serif", 13))
            .draw()?;
        let pairs: [Series; 2] = [
            (
                "plugin ÷ raw (target ≤ 1.03)",
                RGBColor(44, 160, 44),
                |c| c.plugin_over_raw,
            ),
            (
                "plugin ÷ Python (target ≤ 0.8)",
                RGBColor(214, 39, 40),
                |c| c.plugin_over_python,
            ),
        ];
        for (k, (name, colour, get)) in pairs.into_iter().enumerate() {
            let x0 = -0.3 + 0.32 * k as f64;
            ratios
                .draw_series(r.cells.iter().enumerate().map(|(i, c)| {
                    let x = i as f64 + x0;
                    Rectangle::new([(x, 0.0), (x + 0.28, get(c).median)], colour.filled())
                }))?
                .label(name)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled())
                });
            ratios.draw_series(r.cells.iter().enumerate().map(|(i, c)| {
                let x = i as f64 + x0 + 0.14;
                PathElement::new(vec![(x, get(c).min), (x, get(c).max)], BLACK)
            }))?;
        }
        for (target, colour) in [(1.03, RGBColor(44, 160, 44)), (0.8, RGBColor(214, 39, 40))] {
            ratios.draw_series(LineSeries::new(
                [(-0.5, target), (n - 0.5, target)],
                colour.stroke_width(1),
            ))?;
        }
        ratios
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 13))
            .position(SeriesLabelPosition::UpperRight)
            .draw()?;
        root.present()?;
        Ok(())
    };
    draw(&mut buffer).map_err(|e| anyhow::anyhow!("drawing the chart: {e}"))?;
    let file = std::fs::File::create(path).with_context(|| format!("{}", path.display()))?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), WIDTH, HEIGHT);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(&buffer)?;
    writer.finish()?;
    Ok(true)
}

/// Writes `benchmarks.md` and `benchmarks.png` into `out` and prints the table.
pub fn write(r: &Results, out: &Path) -> Result<()> {
    let text = markdown(r);
    std::fs::write(out.join("benchmarks.md"), &text)?;
    let png = out.join("benchmarks.png");
    let drew = chart(r, &png)?;
    println!("\n{text}");
    if drew {
        println!("bench: chart {}", png.display());
    } else {
        println!(
            "bench: no chart: no DejaVu or Liberation font found (apt-get install fonts-dejavu-core)"
        );
    }
    println!("bench: table {}", out.join("benchmarks.md").display());
    Ok(())
}

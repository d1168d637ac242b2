//! The render path of an instance: clip preferences, region of definition, regions of interest,
//! identity, then the Render action between sequence actions, with the host owning every image.

use std::collections::BTreeMap;
use std::ffi::{CStr, CString};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::ofx_str;
use crate::status::Status;
use crate::types::{Components, Context, Field, PixelDepth, Premultiplication, RectD, RectI};

use super::action;
use super::error::HostError;
use super::handles::{Registered, lock};
use super::image::Image;
use super::instance::{
    InstanceInner, Prefs, PrefsKey, RenderOptions, RenderReport, Sequence, State,
};
use super::objects::{ClipImage, ClipNode, RenderSlot};
use super::pixels::PixelBuffer;
use super::props::PropertySet;

/// `kOfxImageEffectOutputClipName`.
const OUTPUT: &str = "Output";

/// Frames from frame sources kept between renders (a temporal effect asks for the same neighbours again).
const FRAME_CACHE: usize = 16;

/// The whole frames in `ranges` other than `time`, at most 64 (a plugin asking for more is clamped).
fn frames_in(ranges: &[(f64, f64)], time: f64) -> Vec<f64> {
    let mut frames: Vec<f64> = Vec::new();
    for (a, b) in ranges {
        let mut f = a.ceil();
        while f <= *b && frames.len() < 64 {
            if f != time && !frames.contains(&f) {
                frames.push(f);
            }
            f += 1.0;
        }
    }
    frames
}

/// Larger outputs are refused: a region of definition this big is a plugin bug, not a picture.
const MAX_PIXELS: f64 = (1u64 << 28) as f64;

/// The preferred order of depths when the requested one is not supported.
const DEPTH_ORDER: [PixelDepth; 4] = [
    PixelDepth::Float,
    PixelDepth::Half,
    PixelDepth::Short,
    PixelDepth::Byte,
];

fn choose_depth(
    requested: Option<PixelDepth>,
    supported: &[PixelDepth],
    warnings: &mut Vec<String>,
) -> PixelDepth {
    if let Some(d) = requested.filter(|d| supported.contains(d)) {
        return d;
    }
    let best = DEPTH_ORDER
        .into_iter()
        .find(|d| supported.contains(d))
        .unwrap_or(PixelDepth::Float);
    if let Some(r) = requested {
        warnings.push(format!(
            "the plugin does not support {} pixels; using {}",
            r.as_str(),
            best.as_str()
        ));
    }
    best
}

fn choose_components(requested: Components, supported: &[Components]) -> Components {
    if supported.is_empty() || supported.contains(&requested) {
        return requested;
    }
    [Components::Rgba, Components::Rgb, Components::Alpha]
        .into_iter()
        .find(|c| supported.contains(c))
        .unwrap_or(requested)
}

fn suffixed(prefix: &str, clip: &CStr) -> CString {
    let mut bytes = prefix.as_bytes().to_vec();
    bytes.extend_from_slice(clip.to_bytes());
    // Clip names are checked NUL-free C strings, so this cannot fail; an empty name is harmless.
    CString::new(bytes).unwrap_or_default()
}

fn rect_d(v: &[f64]) -> Option<RectD> {
    match v {
        [x1, y1, x2, y2, ..] => Some(RectD::new(*x1, *y1, *x2, *y2)),
        _ => None,
    }
}

fn union(a: Option<RectD>, b: RectD) -> RectD {
    match a {
        None => b,
        Some(a) => RectD::new(
            a.x1.min(b.x1),
            a.y1.min(b.y1),
            a.x2.max(b.x2),
            a.y2.max(b.y2),
        ),
    }
}

/// `image` covers (0, 0, w, h); the part under `window` (pixels outside the image are transparent).
fn crop(image: &Image, window: RectI) -> Image {
    let mut out = Image::new(window.width(), window.height());
    let h = image.height() as i64;
    for y in window.y1..window.y2 {
        let src_row = h - 1 - i64::from(y);
        if src_row < 0 || src_row >= h {
            continue;
        }
        for x in window.x1..window.x2 {
            if let Some(px) = usize::try_from(x)
                .ok()
                .and_then(|x| image.pixel(x, src_row as usize))
            {
                out.set_pixel((x - window.x1) as usize, (window.y2 - 1 - y) as usize, px);
            }
        }
    }
    out
}

/// The pixel size of an image of `w` × `h` canonical pixels at `scale` (rounded out, like RoDs).
fn scaled_size(w: usize, h: usize, scale: f64) -> (usize, usize) {
    let r = RectD::new(0.0, 0.0, w as f64, h as f64)
        .scaled(scale, scale)
        .round_out();
    (r.width().max(1), r.height().max(1))
}

/// An input clip with its image for this render.
struct Input {
    clip: Arc<ClipNode>,
    name: String,
    image: Arc<Image>,
    optional: bool,
}

impl InstanceInner {
    fn output_clip(&self) -> Result<Arc<ClipNode>, HostError> {
        self.effect
            .clip(ofx_str!(kOfxImageEffectOutputClipName))
            .ok_or_else(|| HostError::PluginData {
                what: format!(
                    "{} ({} context)",
                    self.core.info.id,
                    super::names::context(self.context)
                ),
                reason: "the plugin defined no Output clip".into(),
            })
    }

    fn sequence_args(
        first: f64,
        last: f64,
        scale: f64,
        sequential: bool,
    ) -> Registered<PropertySet> {
        let a = action::in_args();
        a.define_doubles(ofx_str!(kOfxImageEffectPropFrameRange), &[first, last]);
        a.define_double(ofx_str!(kOfxImageEffectPropFrameStep), 1.0);
        a.define_int(ofx_str!(kOfxPropIsInteractive), 0);
        a.define_doubles(ofx_str!(kOfxImageEffectPropRenderScale), &[scale, scale]);
        a.define_int(
            ofx_str!(kOfxImageEffectPropSequentialRenderStatus),
            i32::from(sequential),
        );
        a.define_int(ofx_str!(kOfxImageEffectPropInteractiveRenderStatus), 0);
        a.register()
    }

    fn set_frame_range(&self, first: f64, last: f64) {
        *lock(&self.effect.timeline) = (first, first, last);
        self.effect.props.set_double(
            ofx_str!(kOfxImageEffectInstancePropEffectDuration),
            last - first + 1.0,
        );
        for clip in lock(&self.effect.clips).iter() {
            clip.props
                .set_doubles(ofx_str!(kOfxImageEffectPropFrameRange), &[first, last]);
            clip.props.set_doubles(
                ofx_str!(kOfxImageEffectPropUnmappedFrameRange),
                &[first, last],
            );
        }
    }

    pub(crate) fn begin_sequence(
        &self,
        first: f64,
        last: f64,
        options: &RenderOptions,
    ) -> Result<(), HostError> {
        check_options(options)?;
        if !(first.is_finite() && last.is_finite() && first <= last) {
            return Err(HostError::InvalidRequest(format!(
                "invalid frame range {first}..{last}"
            )));
        }
        let _serial = self.core.serial();
        let mut st = self.state()?;
        if st.sequence.is_some() {
            return Err(HostError::InvalidRequest(
                "a sequence is already open".into(),
            ));
        }
        self.set_frame_range(first, last);
        // Clip preferences come before the sequence, once the inputs are known; their warnings go
        // with the first render's report.
        let inputs = self.inputs(&st);
        if !inputs.is_empty() {
            self.update_project(&inputs);
            let mut warnings = Vec::new();
            self.clip_preferences(&mut st, options, &inputs, &mut warnings)?;
            st.pending_warnings.extend(warnings);
        }
        let args = Self::sequence_args(first, last, options.render_scale, true);
        let action = ofx_str!(kOfxImageEffectActionBeginSequenceRender);
        self.run(action, Some(&args), None, || {
            format!("begin of sequence {first}-{last}")
        })?;
        st.sequence = Some(Sequence {
            first,
            last,
            scale: options.render_scale,
        });
        Ok(())
    }

    pub(crate) fn end_sequence(&self) -> Result<(), HostError> {
        let _serial = self.core.serial();
        let mut st = self.state()?;
        self.end_sequence_locked(&mut st)
    }

    pub(crate) fn end_sequence_locked(&self, st: &mut State) -> Result<(), HostError> {
        let seq = st
            .sequence
            .take()
            .ok_or_else(|| HostError::InvalidRequest("no sequence is open".into()))?;
        let args = Self::sequence_args(seq.first, seq.last, seq.scale, true);
        let action = ofx_str!(kOfxImageEffectActionEndSequenceRender);
        self.run(action, Some(&args), None, || {
            format!("end of sequence {}-{}", seq.first, seq.last)
        })?;
        Ok(())
    }

    pub(crate) fn render(
        &self,
        time: f64,
        options: &RenderOptions,
    ) -> Result<RenderReport, HostError> {
        check_options(options)?;
        if !time.is_finite() {
            return Err(HostError::InvalidRequest(format!("invalid time {time}")));
        }
        let _serial = self.core.serial();
        let mut st = self.state()?;
        self.effect.abort.store(false, Ordering::Relaxed);
        self.effect
            .abort_on_progress
            .store(options.abort_on_progress, Ordering::Relaxed);
        st.time = time;
        if st.sequence.is_none() {
            self.set_frame_range(time, time);
        }
        lock(&self.effect.timeline).0 = time;
        let mut warnings = std::mem::take(&mut st.pending_warnings);
        let inputs = self.inputs(&st);
        let described = &self.descriptor.description;
        if let Some(missing) = described
            .clips
            .iter()
            .find(|c| !c.optional && c.name != OUTPUT && !inputs.iter().any(|i| i.name == c.name))
        {
            return Err(HostError::InvalidRequest(format!(
                "the input clip {} has no image (set a source first)",
                missing.name
            )));
        }
        self.update_project(&inputs);
        let prefs = self.clip_preferences(&mut st, options, &inputs, &mut warnings)?;
        let scale = options.render_scale;
        let rod = self.region_of_definition(time, scale, &inputs)?;
        let rod_px = rod.scaled(scale, scale).round_out();
        let window = match options.render_window {
            Some(w) => w.intersect(&rod_px).ok_or_else(|| {
                HostError::InvalidRequest(format!(
                    "the render window {w:?} is outside the output {rod_px:?}"
                ))
            })?,
            None => rod_px,
        };
        let output = self.output_clip()?;
        *lock(&output.rod) = rod;
        self.regions_of_interest(time, scale, window, &inputs)?;

        let frame = || format!("frame {time}");
        if let Some(clip) = self.is_identity(time, scale, window, options.field)? {
            let input =
                inputs
                    .iter()
                    .find(|i| i.name == clip)
                    .ok_or_else(|| HostError::PluginData {
                        what: format!("IsIdentity of {}", frame()),
                        reason: format!("the plugin named clip {clip:?}, which has no image"),
                    })?;
            let scaled = self.scaled_source(&mut st, input, scale);
            return Ok(RenderReport {
                image: crop(&scaled, window),
                render_action: None,
                identity: Some(clip),
                depth: prefs.depth,
                components: prefs
                    .components
                    .get(&input.name)
                    .copied()
                    .unwrap_or(options.components),
                premultiplication: options.source_premultiplication,
                region_of_definition: rod,
                render_window: window,
                output_bounds: window,
                bounds_image: None,
                unreleased_images: 0,
                warnings,
            });
        }

        // The images of this render, in a slot of its own: every connected input at the render scale,
        // and the output.
        let slot = RenderSlot::fresh();
        for input in inputs.iter().filter(|_| !options.withhold_source_images) {
            let scaled = self.scaled_source(&mut st, input, scale);
            let comps = prefs
                .components
                .get(&input.name)
                .copied()
                .unwrap_or(options.components);
            let whole = RectI::new(0, 0, to_i32(scaled.width()), to_i32(scaled.height()));
            let bounds = match options.source_bounds {
                Some(r) => match whole.intersect(&r) {
                    Some(b) => b,
                    // Nothing of this input under the region: it has no image for this render.
                    None => continue,
                },
                None => whole,
            };
            let buffer =
                PixelBuffer::new(prefs.depth, comps, bounds, options.negative_row_bytes)
                    .ok_or_else(|| HostError::OutOfMemory(format!("the {} image", input.name)))?;
            // SAFETY: the buffer is new; no plugin has it yet.
            unsafe { buffer.fill_from(&scaled, whole) };
            st.serial += 1;
            input.clip.set_image(
                slot,
                ClipImage {
                    buffer: Arc::new(buffer),
                    rod_pixels: whole,
                    premultiplication: source_premult(options, comps),
                    render_scale: scale,
                    field: options.field,
                    time,
                    depth_label: options.image_depth_label.clone(),
                    unique_id: format!("{:x}-{}-{}", self.effect.id(), input.name, st.serial),
                    current: true,
                    temporal: st.providers.contains_key(&input.name),
                },
            );
        }
        // Frames in time: what GetFramesNeeded asks of each clip with a frame source.
        if self.core.description.temporal_clip_access
            && !st.providers.is_empty()
            && !options.withhold_source_images
        {
            let needed = self.frames_needed(time, &inputs)?;
            for input in &inputs {
                let Some(provider) = st.providers.get(&input.name).cloned() else {
                    continue;
                };
                let comps = prefs
                    .components
                    .get(&input.name)
                    .copied()
                    .unwrap_or(options.components);
                for frame in needed
                    .get(&input.name)
                    .map(|ranges| frames_in(ranges, time))
                    .unwrap_or_default()
                {
                    let Some(image) =
                        self.frame_image(&mut st, &input.name, &provider, frame, scale)
                    else {
                        continue;
                    };
                    let whole = RectI::new(0, 0, to_i32(image.width()), to_i32(image.height()));
                    let buffer =
                        PixelBuffer::new(prefs.depth, comps, whole, options.negative_row_bytes)
                            .ok_or_else(|| {
                                HostError::OutOfMemory(format!("the {} image", input.name))
                            })?;
                    // SAFETY: the buffer is new; no plugin has it yet.
                    unsafe { buffer.fill_from(&image, whole) };
                    st.serial += 1;
                    input.clip.set_image(
                        slot,
                        ClipImage {
                            buffer: Arc::new(buffer),
                            rod_pixels: whole,
                            premultiplication: source_premult(options, comps),
                            render_scale: scale,
                            field: options.field,
                            time: frame,
                            depth_label: options.image_depth_label.clone(),
                            unique_id: format!(
                                "{:x}-{}-{}",
                                self.effect.id(),
                                input.name,
                                st.serial
                            ),
                            current: false,
                            temporal: true,
                        },
                    );
                }
            }
        }
        let out_comps = prefs
            .components
            .get(OUTPUT)
            .copied()
            .unwrap_or(options.components);
        let pad = i32::try_from(options.bounds_padding).unwrap_or(i32::MAX / 4);
        let bounds = RectI::new(
            window.x1.saturating_sub(pad),
            window.y1.saturating_sub(pad),
            window.x2.saturating_add(pad),
            window.y2.saturating_add(pad),
        );
        let out_buffer = Arc::new(
            PixelBuffer::new(prefs.depth, out_comps, bounds, options.negative_row_bytes)
                .ok_or_else(|| HostError::OutOfMemory("the output image".into()))?,
        );
        if let Some(fill) = options.output_fill {
            let canvas = Image::filled(bounds.width(), bounds.height(), fill);
            // SAFETY: the buffer is new; no plugin has it yet.
            unsafe { out_buffer.fill_from(&canvas, bounds) };
        }
        st.serial += 1;
        output.set_image(
            slot,
            ClipImage {
                buffer: Arc::clone(&out_buffer),
                rod_pixels: rod_px,
                premultiplication: prefs.output_premultiplication,
                render_scale: scale,
                field: options.field,
                time,
                depth_label: options.image_depth_label.clone(),
                unique_id: format!("{:x}-Output-{}", self.effect.id(), st.serial),
                current: true,
                temporal: false,
            },
        );
        let in_sequence = st.sequence.is_some();
        // The instance's state is free during the Render action: a plugin that declared itself fully
        // thread-safe may render other frames of this instance meanwhile, and parameter changes reach it
        // as they would from a host's interface thread.
        drop(st);
        let result = {
            let _gate = self.render_gate();
            if options.abort_at_start {
                self.effect.abort.store(true, Ordering::Relaxed);
            }
            let _slot = RenderSlot::enter(slot);
            self.render_action(in_sequence, time, scale, window, options)
        };
        let unreleased = {
            let images = lock(&self.effect.images);
            images.iter().filter(|(_, s)| *s == slot).count()
        };
        for clip in lock(&self.effect.clips).iter() {
            clip.clear_image(slot);
        }
        let elapsed = result?;
        if unreleased > 0 {
            warnings.push(format!(
                "the plugin did not release {unreleased} image(s) fetched during the render"
            ));
        }
        // SAFETY: the Render action has returned and its multiThread workers have been joined; the
        // plugin has no business writing the output any more.
        let (image, bounds_image) = unsafe {
            (
                out_buffer.read(window),
                options.output_fill.map(|_| out_buffer.read(bounds)),
            )
        };
        Ok(RenderReport {
            image,
            render_action: Some(elapsed),
            identity: None,
            depth: prefs.depth,
            components: out_comps,
            premultiplication: prefs.output_premultiplication,
            region_of_definition: rod,
            render_window: window,
            output_bounds: bounds,
            bounds_image,
            unreleased_images: unreleased,
            warnings,
        })
    }

    /// Render, wrapped in a one-frame sequence when none is open.
    fn render_action(
        &self,
        sequential: bool,
        time: f64,
        scale: f64,
        window: RectI,
        options: &RenderOptions,
    ) -> Result<std::time::Duration, HostError> {
        let own_sequence = (!sequential && !options.skip_sequence_actions)
            .then(|| Self::sequence_args(time, time, scale, false));
        if let Some(args) = &own_sequence {
            let action = ofx_str!(kOfxImageEffectActionBeginSequenceRender);
            self.run(action, Some(args), None, || {
                format!("begin of sequence for frame {time}")
            })?;
        }
        let a = action::in_args();
        a.define_double(ofx_str!(kOfxPropTime), time);
        a.define_str(
            ofx_str!(kOfxImageEffectPropFieldToRender),
            options.field.as_cstr(),
        );
        a.define_ints(
            ofx_str!(kOfxImageEffectPropRenderWindow),
            &[window.x1, window.y1, window.x2, window.y2],
        );
        a.define_doubles(ofx_str!(kOfxImageEffectPropRenderScale), &[scale, scale]);
        a.define_int(
            ofx_str!(kOfxImageEffectPropSequentialRenderStatus),
            i32::from(sequential),
        );
        a.define_int(ofx_str!(kOfxImageEffectPropInteractiveRenderStatus), 0);
        a.define_int(ofx_str!(kOfxImageEffectPropRenderQualityDraft), 0);
        let a = a.register();
        let action = ofx_str!(kOfxImageEffectActionRender);
        let rendered = self
            .run(action, Some(&a), None, || format!("render of frame {time}"))
            .and_then(|c| {
                // Render must be trapped: "not handled" leaves the output undefined.
                if c.status == Status::OK {
                    Ok(c.elapsed)
                } else {
                    Err(HostError::Action {
                        what: format!("render of frame {time}"),
                        action: action::name(action),
                        status: c.status,
                        messages: Vec::new(),
                    })
                }
            });
        if let Some(args) = &own_sequence {
            let action = ofx_str!(kOfxImageEffectActionEndSequenceRender);
            let ended = self.run(action, Some(args), None, || {
                format!("end of sequence for frame {time}")
            });
            // A render failure is the one to report; a failing end only when the render succeeded.
            if rendered.is_ok() {
                ended?;
            }
        }
        rendered
    }

    /// The connected input clips and their images, in clip definition order.
    fn inputs(&self, st: &State) -> Vec<Input> {
        let described = &self.descriptor.description;
        lock(&self.effect.clips)
            .iter()
            .filter(|c| !c.is_output())
            .filter_map(|c| {
                let name = c.name.to_string_lossy().into_owned();
                let image = st.sources.get(&name)?.clone();
                let optional = described.clip(&name).is_some_and(|d| d.optional);
                Some(Input {
                    clip: Arc::clone(c.arc()),
                    name,
                    image,
                    optional,
                })
            })
            .collect()
    }

    /// Sets each input's region of definition and the project size from the source.
    fn update_project(&self, inputs: &[Input]) {
        for clip in lock(&self.effect.clips).iter().filter(|c| !c.is_output()) {
            *lock(&clip.rod) = RectD::default();
        }
        for i in inputs {
            *lock(&i.clip.rod) =
                RectD::new(0.0, 0.0, i.image.width() as f64, i.image.height() as f64);
        }
        if let Some(src) = inputs
            .iter()
            .find(|i| i.name == "Source")
            .or(inputs.first())
        {
            let size = [src.image.width() as f64, src.image.height() as f64];
            self.effect
                .props
                .set_doubles(ofx_str!(kOfxImageEffectPropProjectSize), &size);
            self.effect
                .props
                .set_doubles(ofx_str!(kOfxImageEffectPropProjectExtent), &size);
        }
    }

    /// GetFramesNeeded: the frame ranges each input clip needs for the frame at `time` (the default
    /// answer, the frame itself, when the plugin does not trap the action).
    fn frames_needed(
        &self,
        time: f64,
        inputs: &[Input],
    ) -> Result<BTreeMap<String, Vec<(f64, f64)>>, HostError> {
        let a = action::in_args();
        a.define_double(ofx_str!(kOfxPropTime), time);
        let a = a.register();
        let out = action::out_args();
        for i in inputs {
            out.define_doubles(
                &suffixed("OfxImageClipPropFrameRange_", &i.clip.name),
                &[time, time],
            );
        }
        let out = out.register();
        let action = ofx_str!(kOfxImageEffectActionGetFramesNeeded);
        self.run(action, Some(&a), Some(&out), || {
            format!("frames needed for frame {time}")
        })?;
        let mut needed = BTreeMap::new();
        for i in inputs {
            let values = out
                .doubles(&suffixed("OfxImageClipPropFrameRange_", &i.clip.name))
                .unwrap_or_default();
            let ranges: Vec<(f64, f64)> = values
                .chunks_exact(2)
                .map(|r| (r[0].min(r[1]), r[0].max(r[1])))
                .filter(|(a, b)| a.is_finite() && b.is_finite())
                .collect();
            needed.insert(i.name.clone(), ranges);
        }
        Ok(needed)
    }

    /// The image of `clip` at `frame` from its frame source, at the render scale (a few kept).
    fn frame_image(
        &self,
        st: &mut State,
        clip: &str,
        provider: &super::instance::FrameSource,
        frame: f64,
        scale: f64,
    ) -> Option<Arc<Image>> {
        let key = (clip.to_owned(), frame.to_bits(), scale.to_bits());
        if let Some(image) = st
            .frame_cache
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, i)| i)
        {
            return Some(Arc::clone(image));
        }
        let image = provider(frame)?;
        let image = if scale == 1.0 {
            image
        } else {
            let (w, h) = scaled_size(image.width(), image.height(), scale);
            image.resized(w, h)
        };
        let image = Arc::new(image);
        st.frame_cache.push((key, Arc::clone(&image)));
        if st.frame_cache.len() > FRAME_CACHE {
            st.frame_cache.remove(0);
        }
        Some(image)
    }

    fn scaled_source(&self, st: &mut State, input: &Input, scale: f64) -> Arc<Image> {
        if scale == 1.0 {
            return Arc::clone(&input.image);
        }
        if let Some((s, img)) = st.scaled.get(&input.name)
            && *s == scale
        {
            return Arc::clone(img);
        }
        let (w, h) = scaled_size(input.image.width(), input.image.height(), scale);
        let img = Arc::new(input.image.resized(w, h));
        st.scaled
            .insert(input.name.clone(), (scale, Arc::clone(&img)));
        img
    }

    /// Runs GetClipPreferences when anything it depends on changed, and applies the answer to the clips.
    fn clip_preferences(
        &self,
        st: &mut State,
        options: &RenderOptions,
        inputs: &[Input],
        warnings: &mut Vec<String>,
    ) -> Result<Prefs, HostError> {
        let key = PrefsKey {
            depth: options.depth,
            components: options.components,
            premultiplication: options.source_premultiplication,
            connected: inputs.iter().map(|i| i.name.clone()).collect(),
        };
        if let Some(p) = st.prefs.as_ref().filter(|p| p.key == key) {
            return Ok(p.clone());
        }
        let described = &self.descriptor.description;
        let depth = choose_depth(options.depth, &self.core.description.pixel_depths, warnings);
        let output = self.output_clip()?;
        let clips: Vec<Arc<ClipNode>> = inputs
            .iter()
            .map(|i| Arc::clone(&i.clip))
            .chain(std::iter::once(Arc::clone(&output)))
            .collect();
        let supported = |clip: &ClipNode| {
            described
                .clip(&clip.name.to_string_lossy())
                .map(|d| d.components.clone())
                .unwrap_or_default()
        };
        let out = action::out_args();
        for clip in &clips {
            let comps = choose_components(options.components, &supported(clip));
            if !clip.is_output() {
                // What the input really carries before any preference (plugins read these to choose
                // the output's components and depth).
                clip.props.set_str(
                    ofx_str!(kOfxImageClipPropUnmappedComponents),
                    comps.as_cstr(),
                );
                clip.props.set_str(
                    ofx_str!(kOfxImageClipPropUnmappedPixelDepth),
                    depth.as_cstr(),
                );
            }
            out.define_str(
                &suffixed("OfxImageClipPropComponents_", &clip.name),
                comps.as_cstr(),
            );
            out.define_str(
                &suffixed("OfxImageClipPropDepth_", &clip.name),
                depth.as_cstr(),
            );
            out.define_double(&suffixed("OfxImageClipPropPAR_", &clip.name), 1.0);
        }
        let default_premult = if inputs.is_empty() {
            Premultiplication::Opaque
        } else {
            options.source_premultiplication
        };
        out.define_double(
            ofx_str!(kOfxImageEffectPropFrameRate),
            super::instance::FRAME_RATE,
        );
        out.define_str(ofx_str!(kOfxImageClipPropFieldOrder), Field::None.as_cstr());
        out.define_str(
            ofx_str!(kOfxImageEffectPropPreMultiplication),
            default_premult.as_cstr(),
        );
        out.define_int(ofx_str!(kOfxImageClipPropContinuousSamples), 0);
        out.define_int(ofx_str!(kOfxImageEffectFrameVarying), 0);
        let out = out.register();
        let action = ofx_str!(kOfxImageEffectActionGetClipPreferences);
        self.run(action, None, Some(&out), || "clip preferences".to_owned())?;

        // Apply what is valid; this host runs one depth for all clips (the output's).
        let out_depth_name = suffixed("OfxImageClipPropDepth_", &output.name);
        let depth = match out
            .string(&out_depth_name, 0)
            .as_deref()
            .map(PixelDepth::from_cstr)
        {
            Some(Some(d))
                if self.core.description.pixel_depths.contains(&d)
                    || self.core.description.pixel_depths.is_empty() =>
            {
                d
            }
            Some(other) => {
                warnings.push(format!(
                    "clip preferences asked for an unsupported output depth {other:?}; using {}",
                    depth.as_str()
                ));
                depth
            }
            None => depth,
        };
        let mut components = BTreeMap::new();
        for clip in &clips {
            let name = clip.name.to_string_lossy().into_owned();
            let fallback = choose_components(options.components, &supported(clip));
            let asked = out.string(&suffixed("OfxImageClipPropComponents_", &clip.name), 0);
            let comps = match asked.as_deref().map(Components::from_cstr) {
                Some(Some(c)) => c,
                _ => {
                    warnings.push(format!(
                        "clip preferences gave clip {name} unusable components {asked:?}"
                    ));
                    fallback
                }
            };
            let clip_depth = out.string(&suffixed("OfxImageClipPropDepth_", &clip.name), 0);
            if clip_depth.as_deref() != Some(depth.as_cstr()) {
                warnings.push(format!(
                    "clip preferences asked for depth {clip_depth:?} on clip {name}; this host uses one depth ({}) for all clips",
                    depth.as_str()
                ));
            }
            if out.double(&suffixed("OfxImageClipPropPAR_", &clip.name), 0) != Some(1.0) {
                warnings.push(format!(
                    "clip preferences changed the pixel aspect ratio of {name}; it stays 1"
                ));
            }
            clip.props
                .set_str(ofx_str!(kOfxImageEffectPropComponents), comps.as_cstr());
            clip.props
                .set_str(ofx_str!(kOfxImageEffectPropPixelDepth), depth.as_cstr());
            if !clip.is_output() {
                clip.props.set_str(
                    ofx_str!(kOfxImageEffectPropPreMultiplication),
                    source_premult(options, comps).as_cstr(),
                );
                // OpenFX 1.5 colour management: the colourspace the input's values are in.
                if let Some(colourspace) = &options.source_colourspace {
                    clip.props
                        .set_str(crate::colour::PROP_CLIP_COLOURSPACE, colourspace);
                }
            }
            components.insert(name, comps);
        }
        let premult = out
            .string(ofx_str!(kOfxImageEffectPropPreMultiplication), 0)
            .and_then(|s| Premultiplication::from_cstr(&s))
            .unwrap_or(default_premult);
        output.props.set_str(
            ofx_str!(kOfxImageEffectPropPreMultiplication),
            premult.as_cstr(),
        );
        let prefs = Prefs {
            key,
            depth,
            components,
            output_premultiplication: premult,
        };
        st.prefs = Some(prefs.clone());
        Ok(prefs)
    }

    /// The output's region of definition in canonical coordinates (the plugin's, or the context's
    /// default when it does not trap the action).
    fn region_of_definition(
        &self,
        time: f64,
        scale: f64,
        inputs: &[Input],
    ) -> Result<RectD, HostError> {
        let rod_of =
            |i: &Input| RectD::new(0.0, 0.0, i.image.width() as f64, i.image.height() as f64);
        let default = match self.context {
            Context::Filter => inputs.iter().find(|i| i.name == "Source").map(rod_of),
            _ => inputs
                .iter()
                .filter(|i| !i.optional || i.name == "Source")
                .map(rod_of)
                .fold(None, |a, r| Some(union(a, r))),
        };
        let project = self
            .effect
            .props
            .doubles(ofx_str!(kOfxImageEffectPropProjectExtent))
            .unwrap_or_default();
        let default = default.unwrap_or(RectD::new(
            0.0,
            0.0,
            project.first().copied().unwrap_or(0.0),
            project.get(1).copied().unwrap_or(0.0),
        ));
        let a = action::in_args();
        a.define_double(ofx_str!(kOfxPropTime), time);
        a.define_doubles(ofx_str!(kOfxImageEffectPropRenderScale), &[scale, scale]);
        let a = a.register();
        let out = action::out_args();
        out.define_doubles(
            ofx_str!(kOfxImageEffectPropRegionOfDefinition),
            &[default.x1, default.y1, default.x2, default.y2],
        );
        let out = out.register();
        let action = ofx_str!(kOfxImageEffectActionGetRegionOfDefinition);
        let called = self.run(action, Some(&a), Some(&out), || {
            format!("region of definition of frame {time}")
        })?;
        let rod = if called.status == Status::OK {
            out.doubles(ofx_str!(kOfxImageEffectPropRegionOfDefinition))
                .as_deref()
                .and_then(rect_d)
                .unwrap_or(default)
        } else {
            default
        };
        let ok = [rod.x1, rod.y1, rod.x2, rod.y2]
            .iter()
            .all(|v| v.is_finite())
            && rod.x2 > rod.x1
            && rod.y2 > rod.y1;
        let pixels = (rod.x2 - rod.x1) * (rod.y2 - rod.y1) * scale * scale;
        if !ok || pixels > MAX_PIXELS {
            return Err(HostError::PluginData {
                what: format!("region of definition of frame {time}"),
                reason: format!("unusable region {rod:?}"),
            });
        }
        Ok(rod)
    }

    /// GetRegionsOfInterest. This host always provides whole input images, so the answer is only
    /// logged.
    fn regions_of_interest(
        &self,
        time: f64,
        scale: f64,
        window: RectI,
        inputs: &[Input],
    ) -> Result<(), HostError> {
        let roi = window.to_rect_d().scaled(1.0 / scale, 1.0 / scale);
        let roi = [roi.x1, roi.y1, roi.x2, roi.y2];
        let a = action::in_args();
        a.define_double(ofx_str!(kOfxPropTime), time);
        a.define_doubles(ofx_str!(kOfxImageEffectPropRenderScale), &[scale, scale]);
        a.define_doubles(ofx_str!(kOfxImageEffectPropRegionOfInterest), &roi);
        let a = a.register();
        let out = action::out_args();
        for i in inputs {
            out.define_doubles(&suffixed("OfxImageClipPropRoI_", &i.clip.name), &roi);
        }
        let out = out.register();
        let action = ofx_str!(kOfxImageEffectActionGetRegionsOfInterest);
        self.run(action, Some(&a), Some(&out), || {
            format!("regions of interest of frame {time}")
        })?;
        for i in inputs {
            let asked = out.doubles(&suffixed("OfxImageClipPropRoI_", &i.clip.name));
            tracing::debug!(clip = %i.name, ?asked, "region of interest");
        }
        Ok(())
    }

    /// IsIdentity: the clip the output equals, when the plugin says so.
    fn is_identity(
        &self,
        time: f64,
        scale: f64,
        window: RectI,
        field: Field,
    ) -> Result<Option<String>, HostError> {
        let a = action::in_args();
        a.define_double(ofx_str!(kOfxPropTime), time);
        a.define_str(ofx_str!(kOfxImageEffectPropFieldToRender), field.as_cstr());
        a.define_ints(
            ofx_str!(kOfxImageEffectPropRenderWindow),
            &[window.x1, window.y1, window.x2, window.y2],
        );
        a.define_doubles(ofx_str!(kOfxImageEffectPropRenderScale), &[scale, scale]);
        let a = a.register();
        let out = action::out_args();
        out.define_str(ofx_str!(kOfxPropName), c"");
        out.define_double(ofx_str!(kOfxPropTime), time);
        let out = out.register();
        let action = ofx_str!(kOfxImageEffectActionIsIdentity);
        let called = self.run(action, Some(&a), Some(&out), || {
            format!("identity test of frame {time}")
        })?;
        if called.status != Status::OK {
            return Ok(None);
        }
        let name = out.string(ofx_str!(kOfxPropName), 0).unwrap_or_default();
        let identity_time = out.double(ofx_str!(kOfxPropTime), 0);
        if identity_time.is_some_and(|t| t != time) {
            tracing::debug!(
                time,
                ?identity_time,
                "identity at another time: this host has one image per clip"
            );
        }
        match name.to_str() {
            Ok("") => Err(HostError::PluginData {
                what: format!("identity test of frame {time}"),
                reason: "IsIdentity returned kOfxStatOK without naming a clip".into(),
            }),
            Ok(n) => Ok(Some(n.to_owned())),
            Err(_) => Err(HostError::PluginData {
                what: format!("identity test of frame {time}"),
                reason: format!("the identity clip name {name:?} is not UTF-8"),
            }),
        }
    }
}

fn source_premult(options: &RenderOptions, comps: Components) -> Premultiplication {
    if comps == Components::Rgb {
        Premultiplication::Opaque
    } else {
        options.source_premultiplication
    }
}

fn check_options(o: &RenderOptions) -> Result<(), HostError> {
    if !(o.render_scale.is_finite() && o.render_scale > 0.0 && o.render_scale <= 8.0) {
        return Err(HostError::InvalidRequest(format!(
            "invalid render scale {} (0 < scale <= 8)",
            o.render_scale
        )));
    }
    Ok(())
}

fn to_i32(v: usize) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_and_components_choice() {
        let mut w = Vec::new();
        let all = [PixelDepth::Byte, PixelDepth::Short, PixelDepth::Float];
        assert_eq!(
            choose_depth(Some(PixelDepth::Short), &all, &mut w),
            PixelDepth::Short
        );
        assert_eq!(choose_depth(None, &all, &mut w), PixelDepth::Float);
        assert!(w.is_empty());
        assert_eq!(
            choose_depth(Some(PixelDepth::Half), &all, &mut w),
            PixelDepth::Float
        );
        assert_eq!(w.len(), 1);
        assert_eq!(
            choose_depth(None, &[PixelDepth::Byte], &mut w),
            PixelDepth::Byte
        );
        assert_eq!(
            choose_components(Components::Rgba, &[Components::Rgb]),
            Components::Rgb
        );
        assert_eq!(
            choose_components(Components::Rgb, &[Components::Rgba, Components::Rgb]),
            Components::Rgb
        );
        assert_eq!(choose_components(Components::Alpha, &[]), Components::Alpha);
    }

    #[test]
    fn crop_maps_bottom_left_windows() {
        let mut img = Image::new(3, 2);
        img.set_pixel(0, 1, [1.0; 4]); // bottom-left pixel (row 1 from the top)
        let c = crop(&img, RectI::new(0, 0, 2, 1));
        assert_eq!((c.width(), c.height()), (2, 1));
        assert_eq!(c.pixel(0, 0), Some([1.0; 4]));
        let outside = crop(&img, RectI::new(-1, -1, 1, 0));
        assert_eq!(outside.pixel(1, 0), Some([0.0; 4]));
        assert_eq!(scaled_size(5, 3, 0.5), (3, 2));
    }
}

//! Unit tests of the manifest module: parsing, validation messages, warnings, affine maps, layering,
//! graph checks, and the protobuf reader and writer (synthetic bytes, malformed bytes, and the real
//! models of `scripts/make_test_models.py`).

use std::io::Cursor;
use std::path::{Path, PathBuf};

use super::graph::implied_scale;
use super::onnx::{self, encode};
use super::*;

fn parse(json: &str) -> Result<(Document, Vec<Warning>), Error> {
    Document::parse(json, &Origin::Text)
}

fn errors(json: &str) -> Vec<String> {
    match parse(json) {
        Ok(_) => panic!("expected errors for {json}"),
        Err(e) => match e.field_errors() {
            [] => vec![e.to_string()],
            list => list
                .iter()
                .map(|f| format!("{}: {}", f.path, f.message))
                .collect(),
        },
    }
}

/// Resolves a document on its own (no graph): the errors that need the channel count show here.
fn resolve_text(json: &str) -> Result<Resolved, Error> {
    let (doc, _) = parse(json)?;
    doc.resolve(Layer::Sidecar, &Origin::Text, None, &Overrides::default())
}

fn resolve_errors(json: &str, graph: Option<&GraphInfo>) -> Vec<String> {
    let (doc, _) = parse(json).expect("parses");
    match doc.resolve(Layer::Sidecar, &Origin::Text, graph, &Overrides::default()) {
        Ok(_) => panic!("expected errors for {json}"),
        Err(e) => e
            .field_errors()
            .iter()
            .map(|f| format!("{}: {}", f.path, f.message))
            .collect(),
    }
}

fn dims(spec: &[&str]) -> Option<Vec<Dim>> {
    Some(
        spec.iter()
            .map(|d| match d.parse::<u64>() {
                Ok(v) => Dim::Fixed(v),
                Err(_) => Dim::Named(d.to_string()),
            })
            .collect(),
    )
}

fn tensor(name: &str, spec: &[&str]) -> GraphTensor {
    GraphTensor::new(name, Some(ElemType::FLOAT), dims(spec))
}

fn graph(inputs: Vec<GraphTensor>, outputs: Vec<GraphTensor>) -> GraphInfo {
    GraphInfo {
        name: Some("g".to_string()),
        inputs,
        outputs,
    }
}

fn simple_graph() -> GraphInfo {
    graph(
        vec![tensor("image", &["N", "3", "H", "W"])],
        vec![tensor("output", &["N", "3", "H", "W"])],
    )
}

const FULL: &str = r#"{
  "schema": "onnxfx.manifest/1",
  "name": "Denoise", "version": 3, "task": "denoise", "license": "Apache-2.0",
  "authors": ["A", "B"], "source": "https://example.org/denoise", "description": "test",
  "inputs": [{
    "name": "image", "kind": "image", "clip": "Source", "time_offset": 0, "layout": "NHWC",
    "channels": "bgr", "normalize": {"mean": [0.4, 0.5, 0.6], "std": [0.2, 0.25, 0.5]},
    "encoding": "srgb", "hdr": false, "size": {"multiple_of": 8}
  }],
  "outputs": [
    {"name": "output", "role": "color", "layout": "nhwc", "channels": "bgr", "normalize": "-1..1",
     "encoding": "srgb", "hdr": false, "scale": 2},
    {"name": "matte", "role": "alpha", "channels": "gray"}
  ],
  "tiling": {"tile": [512, 256], "overlap": 32}
}"#;

// ---- parsing ----------------------------------------------------------------------------------------

#[test]
fn a_full_document_parses_every_field() {
    let (doc, warnings) = parse(FULL).expect("valid");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(doc.info.name.as_deref(), Some("Denoise"));
    assert_eq!(doc.info.version.as_deref(), Some("3"));
    assert_eq!(
        doc.info.authors,
        Some(vec!["A".to_string(), "B".to_string()])
    );
    let inputs = doc.inputs.as_ref().expect("inputs");
    let input = &inputs[0].layer;
    assert_eq!(inputs[0].name, "image");
    assert_eq!(input.layout, Some(Layout::Nhwc));
    assert_eq!(input.channels, Some(ChannelOrder::Bgr));
    assert_eq!(input.encoding, Some(Encoding::Srgb));
    assert_eq!(input.hdr, Some(false));
    assert_eq!(input.size, Some(SizeConstraint::MultipleOf(8)));
    assert_eq!(input.time_offset, Some(0));
    let outputs = doc.outputs.as_ref().expect("outputs");
    assert_eq!(outputs[0].layer.scale, Some(2));
    assert_eq!(
        outputs[0].layer.normalize,
        Some(Normalize::Preset(Preset::MinusOneOne))
    );
    assert_eq!(outputs[1].layer.role, Some(OutputRole::Alpha));
    assert_eq!(
        doc.tiling.tile,
        Some(TileSize {
            width: 512,
            height: 256
        })
    );
    assert_eq!(doc.tiling.overlap, Some(32));

    let resolved = resolve_text(FULL).expect("resolves");
    let m = &resolved.manifest;
    assert_eq!(m.primary_input().map(|i| i.name.as_str()), Some("image"));
    assert_eq!(m.color_output().and_then(|o| o.scale), Some(2));
    assert_eq!(m.alpha_output().map(|o| o.name.as_str()), Some("matte"));
    assert_eq!(m.inputs[0].clip, "Source");
}

#[test]
fn every_wrong_value_is_reported_with_its_path() {
    let cases: &[(&str, &str, &str)] = &[
        (
            r#""layout": "ncwh""#,
            "inputs[0].layout",
            "unknown value \"ncwh\" (expected one of: nchw, nhwc)",
        ),
        (
            r#""channels": "rgbx""#,
            "inputs[0].channels",
            "expected one of: rgb, bgr, rgba, bgra, gray",
        ),
        (
            r#""channels": 3"#,
            "inputs[0].channels",
            "expected a string, found the number 3",
        ),
        (
            r#""encoding": "log""#,
            "inputs[0].encoding",
            "expected one of: linear, srgb, rec709, acescct",
        ),
        (r#""hdr": "yes""#, "inputs[0].hdr", "expected true or false"),
        (
            r#""normalize": "0..2""#,
            "inputs[0].normalize",
            "unknown value \"0..2\"",
        ),
        (
            r#""normalize": {"std": [1, 1, 1]}"#,
            "inputs[0].normalize.mean",
            "missing",
        ),
        (
            r#""normalize": {"mean": 0.5, "std": [1, 0, 1]}"#,
            "inputs[0].normalize.std[1]",
            "must not be 0",
        ),
        (
            r#""normalize": {"mean": [1, "a", 1], "std": 1}"#,
            "inputs[0].normalize.mean[1]",
            "expected a number",
        ),
        (
            r#""normalize": {"mean": [1, 1, 1, 1, 1], "std": 1}"#,
            "inputs[0].normalize.mean",
            "list of 1 to 4",
        ),
        (
            r#""normalize": {"range": [1, 1]}"#,
            "inputs[0].normalize.range",
            "must differ",
        ),
        (
            r#""normalize": {"range": [0]}"#,
            "inputs[0].normalize.range",
            "expected [low, high]",
        ),
        (
            r#""normalize": {"range": [0, 1], "scale": 2}"#,
            "inputs[0].normalize",
            "expected one form",
        ),
        (
            r#""normalize": {"mean": 0, "std": 1, "max_pixel_value": 0}"#,
            "inputs[0].normalize.max_pixel_value",
            "greater than 0",
        ),
        (
            r#""normalize": {"scale": 0}"#,
            "inputs[0].normalize.scale",
            "must not be 0",
        ),
        (
            r#""size": {"multiple_of": 0}"#,
            "inputs[0].size.multiple_of",
            "from 1 to 65536, found the number 0",
        ),
        (
            r#""size": {"fixed": [64]}"#,
            "inputs[0].size.fixed",
            "expected [width, height]",
        ),
        (
            r#""size": {"fixed": [64, 1.5]}"#,
            "inputs[0].size.fixed[1]",
            "whole number",
        ),
        (
            r#""size": {"fixed": [64, 64], "multiple_of": 8}"#,
            "inputs[0].size",
            "exactly one of",
        ),
        (
            r#""size": "some""#,
            "inputs[0].size",
            "unknown value \"some\"",
        ),
        (
            r#""kind": "scalar""#,
            "inputs[0].kind",
            "unknown value \"scalar\" (expected one of: image, float, int, string, state)",
        ),
        (r#""clip": """#, "inputs[0].clip", "must not be empty"),
        (
            r#""time_offset": 1.5"#,
            "inputs[0].time_offset",
            "whole number of frames",
        ),
    ];
    for (field, path, message) in cases {
        let json = format!(
            r#"{{"schema": "onnxfx.manifest/1", "inputs": [{{"name": "image", {field}}}]}}"#
        );
        let got = errors(&json);
        assert!(
            got.iter()
                .any(|e| e.starts_with(&format!("{path}: ")) && e.contains(message)),
            "{field}: wanted `{path}: …{message}…`, got {got:?}"
        );
    }

    let output_cases: &[(&str, &str, &str)] = &[
        (r#""scale": 0"#, "outputs[0].scale", "from 1 to 64"),
        (r#""scale": 65"#, "outputs[0].scale", "from 1 to 64"),
        (
            r#""role": "matte""#,
            "outputs[0].role",
            "expected one of: color, alpha, ignore",
        ),
    ];
    for (field, path, message) in output_cases {
        let json =
            format!(r#"{{"schema": "onnxfx.manifest/1", "outputs": [{{"name": "o", {field}}}]}}"#);
        let got = errors(&json);
        assert!(
            got.iter()
                .any(|e| e.starts_with(&format!("{path}: ")) && e.contains(message)),
            "{field}: wanted `{path}: …{message}…`, got {got:?}"
        );
    }

    let root_cases: &[(&str, &str, &str)] = &[
        (
            r#""inputs": {}"#,
            "inputs",
            "expected a list, found an object",
        ),
        (
            r#""inputs": [{"layout": "nchw"}]"#,
            "inputs[0].name",
            "missing",
        ),
        (
            r#""inputs": [{"name": "a"}, {"name": "a"}]"#,
            "inputs[1].name",
            "listed twice",
        ),
        (r#""inputs": [3]"#, "inputs[0]", "expected an object"),
        (r#""authors": 3"#, "authors", "list of strings"),
        (r#""authors": ["a", 3]"#, "authors[1]", "expected a string"),
        (r#""name": 3"#, "name", "expected a string"),
        (r#""tiling": {"tile": 0}"#, "tiling.tile", "from 1 to 65536"),
        (
            r#""tiling": {"tile": 64, "overlap": 32}"#,
            "tiling.overlap",
            "less than half the tile",
        ),
        (
            r#""tiling": {"tile": [64, 64, 64]}"#,
            "tiling.tile",
            "expected [width, height]",
        ),
        (
            r#""tiling": {"overlap": -1}"#,
            "tiling.overlap",
            "from 0 to 65536",
        ),
    ];
    for (field, path, message) in root_cases {
        let json = format!(r#"{{"schema": "onnxfx.manifest/1", {field}}}"#);
        let got = errors(&json);
        assert!(
            got.iter()
                .any(|e| e.starts_with(&format!("{path}: ")) && e.contains(message)),
            "{field}: wanted `{path}: …{message}…`, got {got:?}"
        );
    }
}

#[test]
fn several_errors_are_all_listed() {
    let got = errors(
        r#"{"schema": "onnxfx.manifest/1", "inputs": [{"name": "a", "layout": "x", "hdr": 1}],
            "tiling": {"tile": 0}}"#,
    );
    assert_eq!(got.len(), 3, "{got:?}");
}

#[test]
fn the_schema_is_required_and_versioned() {
    assert!(errors(r#"{"name": "x"}"#)[0].starts_with("schema: missing"));
    assert!(errors(r#"{"schema": "onnxfx.manifest/2"}"#)[0].contains("newer schema"));
    assert!(errors(r#"{"schema": "other/1"}"#)[0].contains("is not \"onnxfx.manifest/1\""));
    assert!(errors(r#"{"schema": 1}"#)[0].contains("expected a string"));
    assert!(errors("[1, 2]")[0].contains("expected an object"));
    // A minor revision written as 1.x is read by this version.
    assert!(parse(r#"{"schema": "onnxfx.manifest/1.2"}"#).is_ok());
}

#[test]
fn json_syntax_errors_give_line_and_column() {
    match parse("{\n  \"schema\": \"onnxfx.manifest/1\",\n  oops\n}") {
        Err(Error::Json { line, column, .. }) => assert_eq!((line, column), (3, 3)),
        other => panic!("{other:?}"),
    }
    match Document::parse_bytes(b"{\"a\": \"\xff\"}", &Origin::Text) {
        Err(Error::Json { message, .. }) => assert!(message.contains("UTF-8")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn documents_are_bounded() {
    let big = format!(
        r#"{{"schema": "onnxfx.manifest/1", "description": "{}"}}"#,
        "x".repeat(MAX_DOCUMENT_BYTES as usize)
    );
    assert!(matches!(parse(&big), Err(Error::TooLarge { .. })));
    // Deep nesting is refused by serde_json's recursion limit, not by a stack overflow.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(matches!(parse(&deep), Err(Error::Json { .. })));
}

#[test]
fn unknown_keys_warn_and_suggest() {
    let (doc, warnings) = parse(
        r#"{"schema": "onnxfx.manifest/1", "licence": "MIT", "nmae": "x", "x-vendor": {"a": 1},
            "frobnicate": 1, "tile": 3,
            "inputs": [{"name": "image", "chanels": "rgb", "scale": 2, "mean": [1]}],
            "outputs": [{"name": "output", "size": "any"}],
            "tiling": {"tile": 64, "overlpa": 8}}"#,
    )
    .expect("warnings only");
    let text: Vec<String> = warnings
        .iter()
        .map(|w| format!("{}: {}", w.path, w.message))
        .collect();
    let expect = [
        "licence: unknown key ignored: the key is \"license\"",
        "nmae: unknown key ignored (did you mean \"name\"?)",
        "frobnicate: unknown key ignored",
        "tile: unknown key ignored: put it under \"tiling\"",
        "inputs[0].chanels: unknown key ignored (did you mean \"channels\"?)",
        "inputs[0].scale: unknown key ignored: only outputs have it",
        "inputs[0].mean: unknown key ignored: it belongs under \"normalize\"",
        "outputs[0].size: unknown key ignored: only inputs have it (an output's size is the input's times \"scale\")",
        "tiling.overlpa: unknown key ignored (did you mean \"overlap\"?)",
    ];
    for e in expect {
        assert!(
            text.iter().any(|t| t == e),
            "missing warning `{e}` in {text:?}"
        );
    }
    assert!(!text.iter().any(|t| t.contains("x-vendor")), "{text:?}");
    assert_eq!(text.len(), expect.len(), "{text:?}");
    assert_eq!(doc.info.license, None);
    assert_eq!(doc.inputs.expect("inputs")[0].layer.channels, None);
}

#[test]
fn the_documented_example_is_a_valid_manifest() {
    let doc = include_str!("../../docs/manifest.md");
    let start = doc.find("```json\n").expect("an example") + "```json\n".len();
    let end = start + doc[start..].find("```").expect("its end");
    let (_, warnings) = parse(&doc[start..end]).expect("the example parses");
    assert!(warnings.is_empty(), "{warnings:?}");
    let resolved = resolve_text(&doc[start..end]).expect("the example resolves");
    assert_eq!(
        resolved.manifest.color_output().and_then(|o| o.scale),
        Some(2)
    );
}

// ---- affine maps ------------------------------------------------------------------------------------

fn affine(normalize: &Normalize, channels: usize) -> Affine {
    normalize.affine(channels).expect("valid map")
}

#[test]
fn every_normalisation_is_one_affine_map_per_channel() {
    let preset = |p| affine(&Normalize::Preset(p), 3);
    assert!(preset(Preset::ZeroOne).is_identity());
    assert_eq!(preset(Preset::ZeroTo255).scale(), &[255.0; 3]);
    assert_eq!(preset(Preset::ZeroTo255).offset(), &[0.0; 3]);
    assert_eq!(preset(Preset::MinusOneOne).scale(), &[2.0; 3]);
    assert_eq!(preset(Preset::MinusOneOne).offset(), &[-1.0; 3]);
    assert_eq!(preset(Preset::Studio).scale(), &[219.0; 3]);
    assert_eq!(preset(Preset::Studio).offset(), &[16.0; 3]);

    let range = affine(
        &Normalize::Range {
            low: -0.5,
            high: 0.5,
        },
        1,
    );
    assert_eq!(
        (range.scale(), range.offset()),
        (&[1.0f32][..], &[-0.5f32][..])
    );

    // torchvision: (x - mean) / std on 0..1 values.
    let mean = [0.485, 0.456, 0.406];
    let std = [0.229, 0.224, 0.225];
    let torch = affine(
        &Normalize::MeanStd {
            mean: Numbers::PerChannel(mean.to_vec()),
            std: Numbers::PerChannel(std.to_vec()),
            max_pixel_value: 1.0,
        },
        3,
    );
    // mmcv / Caffe: mean and std in 0..255 code values.
    let caffe = affine(
        &Normalize::MeanStd {
            mean: Numbers::PerChannel(vec![123.675, 116.28, 103.53]),
            std: Numbers::PerChannel(vec![58.395, 57.12, 57.375]),
            max_pixel_value: 255.0,
        },
        3,
    );
    for c in 0..3 {
        for x in [0.0f32, 0.25, 1.0, 4.0] {
            let want = (f64::from(x) - mean[c]) / std[c];
            assert!((f64::from(torch.to_model(c, x)) - want).abs() < 1e-5);
            let want =
                (f64::from(x) * 255.0 - [123.675, 116.28, 103.53][c]) / [58.395, 57.12, 57.375][c];
            assert!((f64::from(caffe.to_model(c, x)) - want).abs() < 1e-4);
        }
    }
    // A single number applies to every channel.
    let half = affine(
        &Normalize::MeanStd {
            mean: Numbers::All(0.5),
            std: Numbers::All(0.5),
            max_pixel_value: 1.0,
        },
        4,
    );
    assert_eq!(half, affine(&Normalize::Preset(Preset::MinusOneOne), 4));

    let raw = affine(
        &Normalize::Affine {
            scale: Numbers::PerChannel(vec![1.0, 2.0, 4.0]),
            offset: Numbers::All(0.5),
        },
        3,
    );
    assert_eq!(raw.scale(), &[1.0, 2.0, 4.0]);
    assert_eq!(raw.offset(), &[0.5; 3]);
}

#[test]
fn outputs_invert_the_map_and_8_bit_values_come_back_exactly() {
    for normalize in [
        Normalize::Preset(Preset::ZeroTo255),
        Normalize::Preset(Preset::MinusOneOne),
        Normalize::Preset(Preset::Studio),
        Normalize::MeanStd {
            mean: Numbers::PerChannel(vec![0.485, 0.456, 0.406]),
            std: Numbers::PerChannel(vec![0.229, 0.224, 0.225]),
            max_pixel_value: 1.0,
        },
    ] {
        let map = affine(&normalize, 3);
        let inverse = map.inverse();
        for c in 0..3 {
            for code in 0..=255u8 {
                let x = f32::from(code) / 255.0;
                let y = map.to_model(c, x);
                for back in [map.from_model(c, y), inverse.to_model(c, y)] {
                    assert_eq!(
                        (back * 255.0).round() as u8,
                        code,
                        "{normalize:?} channel {c}"
                    );
                    assert!((back - x).abs() < 1e-5);
                }
            }
        }
        assert_eq!(inverse.inverse(), map);
    }
}

#[test]
fn the_channel_count_decides_how_many_numbers_a_map_needs() {
    let json = r#"{"schema": "onnxfx.manifest/1", "inputs": [{"name": "image",
        "normalize": {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5]}}]}"#;
    let got = resolve_errors(json, None);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].starts_with("inputs[0].normalize.std: expected 3 numbers, found 2"),
        "{got:?}"
    );
    // With four channels, the three means are the short list.
    let json = r#"{"schema": "onnxfx.manifest/1", "inputs": [{"name": "image", "channels": "rgba",
        "normalize": {"mean": [0.5, 0.5, 0.5], "std": 0.5}}]}"#;
    let got = resolve_errors(json, None);
    assert!(
        got[0].starts_with("inputs[0].normalize.mean: expected 4 numbers, found 3"),
        "{got:?}"
    );
    // Gray: one number.
    let json = r#"{"schema": "onnxfx.manifest/1", "inputs": [{"name": "image", "channels": "gray",
        "normalize": {"scale": [2, 2]}}]}"#;
    let got = resolve_errors(json, None);
    assert!(
        got[0].starts_with("inputs[0].normalize.scale: expected 1 number, found 2"),
        "{got:?}"
    );
    // A map whose f32 scale underflows to zero is refused.
    let json = r#"{"schema": "onnxfx.manifest/1", "inputs": [{"name": "image",
        "normalize": {"scale": 1e-60}}]}"#;
    let got = resolve_errors(json, None);
    assert!(got[0].contains("invertible"), "{got:?}");
}

// ---- graph inference --------------------------------------------------------------------------------

#[test]
fn the_graph_implies_layout_channels_size_and_scale() {
    let nchw = tensor("x", &["N", "3", "H", "W"]);
    let nhwc = tensor("x", &["1", "32", "48", "3"]);
    assert_eq!(nchw.implied_layout(), Some(Layout::Nchw));
    assert_eq!(nhwc.implied_layout(), Some(Layout::Nhwc));
    assert_eq!(tensor("x", &["N", "C", "H", "W"]).implied_layout(), None);
    assert_eq!(tensor("x", &["1", "10"]).implied_layout(), None);
    assert_eq!(nhwc.implied_channels(Layout::Nhwc), Some(ChannelOrder::Rgb));
    assert_eq!(
        tensor("x", &["1", "1", "H", "W"]).implied_channels(Layout::Nchw),
        Some(ChannelOrder::Gray)
    );
    assert_eq!(
        tensor("x", &["1", "4", "H", "W"]).implied_channels(Layout::Nchw),
        Some(ChannelOrder::Rgba)
    );
    assert_eq!(
        tensor("x", &["1", "2", "H", "W"]).implied_channels(Layout::Nchw),
        None
    );
    assert_eq!(
        nhwc.implied_size(Layout::Nhwc),
        Some(SizeConstraint::Fixed {
            width: 48,
            height: 32
        })
    );
    assert_eq!(nchw.implied_size(Layout::Nchw), None);

    // A DATA_CHANNEL denotation beats the heuristic.
    let mut denoted = tensor("x", &["1", "3", "3", "3"]);
    denoted.dim_denotations = vec![None, None, None, Some("DATA_CHANNEL".to_string())];
    assert_eq!(denoted.implied_layout(), Some(Layout::Nhwc));

    let out = tensor("y", &["1", "64", "96", "3"]);
    assert_eq!(
        implied_scale(&nhwc, Layout::Nhwc, &out, Layout::Nhwc),
        Ok(Some(2))
    );
    let same = tensor("y", &["N", "3", "H", "W"]);
    assert_eq!(
        implied_scale(&nchw, Layout::Nchw, &same, Layout::Nchw),
        Ok(Some(1))
    );
    let other = tensor("y", &["N", "3", "H2", "W2"]);
    assert_eq!(
        implied_scale(&nchw, Layout::Nchw, &other, Layout::Nchw),
        Ok(None)
    );
    let odd = tensor("y", &["1", "50", "96", "3"]);
    assert!(implied_scale(&nhwc, Layout::Nhwc, &odd, Layout::Nhwc).is_err());
}

#[test]
fn infer_uses_the_graph_and_documented_defaults() {
    let g = graph(
        vec![tensor("image", &["1", "32", "48", "3"])],
        vec![
            tensor("out", &["1", "64", "96", "3"]),
            tensor("aux", &["1", "64", "96", "1"]),
        ],
    );
    let resolved = Manifest::infer(&g).expect("infers");
    let m = &resolved.manifest;
    let input = &m.inputs[0];
    assert_eq!(input.format.layout, Layout::Nhwc);
    assert_eq!(input.format.channels, ChannelOrder::Rgb);
    assert_eq!(input.format.normalize, DEFAULT_NORMALIZE);
    assert_eq!(input.format.encoding, DEFAULT_ENCODING);
    assert!(!input.format.hdr, "sRGB defaults to no HDR");
    assert!(input.format.affine.is_identity());
    assert_eq!(
        input.size,
        SizeConstraint::Fixed {
            width: 48,
            height: 32
        }
    );
    assert_eq!(input.clip, DEFAULT_CLIP);
    assert_eq!(m.outputs[0].role, OutputRole::Color);
    assert_eq!(m.outputs[0].scale, Some(2));
    assert_eq!(m.outputs[1].role, OutputRole::Ignore);
    assert_eq!(m.info.name.as_deref(), None);
    assert_eq!(resolved.source, DocumentSource::None);
    assert_eq!(resolved.provenance.get("inputs[0].layout"), Layer::Graph);
    assert_eq!(
        resolved.provenance.get("inputs[0].encoding"),
        Layer::Default
    );

    let plain = Manifest::infer(&simple_graph()).expect("infers");
    assert_eq!(plain.manifest.inputs[0].format.layout, DEFAULT_LAYOUT);
    assert_eq!(plain.manifest.inputs[0].size, SizeConstraint::Any);
    assert_eq!(plain.manifest.outputs[0].scale, Some(1));
    let dynamic = graph(
        vec![tensor("image", &["N", "3", "H", "W"])],
        vec![tensor("output", &["N", "3", "H2", "W2"])],
    );
    assert_eq!(
        Manifest::infer(&dynamic).expect("infers").manifest.outputs[0].scale,
        None
    );
}

#[test]
fn the_graph_checks_what_the_layers_say() {
    let two = graph(
        vec![tensor("image", &["N", "3", "H", "W"])],
        vec![tensor("output", &["N", "2", "H", "W"])],
    );
    let e = Manifest::infer(&two).expect_err("two channels");
    assert!(
        e.to_string()
            .contains("outputs[0].channels: the graph's output \"output\" has 2 channels"),
        "{e}"
    );

    let flat = graph(
        vec![tensor("image", &["1", "10"])],
        vec![tensor("output", &["1", "10"])],
    );
    let e = Manifest::infer(&flat).expect_err("not an image");
    assert!(
        e.to_string()
            .contains("inputs[0]: the graph's input \"image\" has shape [1, 10]"),
        "{e}"
    );

    let g = simple_graph();
    let doc = |fields: &str| {
        format!(r#"{{"schema": "onnxfx.manifest/1", "inputs": [{{"name": "image", {fields}}}]}}"#)
    };
    let got = resolve_errors(&doc(r#""channels": "rgba""#), Some(&g));
    assert!(
        got[0].starts_with(
            "inputs[0].channels: \"rgba\" is 4 channels but the graph's input \"image\" has 3"
        ),
        "{got:?}"
    );
    // Symbolic dims cannot contradict a layout; static ones can.
    assert!(
        parse(&doc(r#""layout": "nhwc""#))
            .expect("parses")
            .0
            .resolve(
                Layer::Sidecar,
                &Origin::Text,
                Some(&g),
                &Overrides::default()
            )
            .is_ok()
    );
    let fixed = graph(
        vec![tensor("image", &["1", "3", "64", "64"])],
        vec![tensor("output", &["1", "3", "64", "64"])],
    );
    let got = resolve_errors(&doc(r#""layout": "nhwc""#), Some(&fixed));
    assert!(got[0].starts_with("inputs[0].channels: the graph's input \"image\" has 64 channels (shape [1, 3, 64, 64], layout nhwc from the sidecar manifest)"), "{got:?}");
    let got = resolve_errors(&doc(r#""size": {"multiple_of": 8}"#), Some(&fixed));
    assert!(
        got[0].starts_with("inputs[0].size: the graph's input \"image\" only takes 64x64"),
        "{got:?}"
    );
    let ok = doc(r#""size": {"fixed": [64, 64]}"#);
    assert!(
        parse(&ok)
            .expect("parses")
            .0
            .resolve(
                Layer::Sidecar,
                &Origin::Text,
                Some(&fixed),
                &Overrides::default()
            )
            .is_ok()
    );

    let got = resolve_errors(
        r#"{"schema": "onnxfx.manifest/1", "outputs": [{"name": "output", "scale": 2}]}"#,
        Some(&fixed),
    );
    assert!(
        got[0].starts_with("outputs[0].scale: states x2 but the graph's shapes give x1"),
        "{got:?}"
    );

    let got = resolve_errors(
        r#"{"schema": "onnxfx.manifest/1", "inputs": [{"name": "picture"}]}"#,
        Some(&g),
    );
    assert_eq!(
        got,
        ["inputs[0].name: the model has no input \"picture\" (its inputs: \"image\")"]
    );

    let got = resolve_errors(
        r#"{"schema": "onnxfx.manifest/1", "outputs": [{"name": "output", "role": "alpha"}]}"#,
        Some(&g),
    );
    assert!(
        got[0].starts_with("outputs[0].role: an alpha output has one channel"),
        "{got:?}"
    );

    let got = resolve_errors(
        r#"{"schema": "onnxfx.manifest/1", "inputs": [{"name": "image", "size": {"multiple_of": 8}}],
            "tiling": {"tile": 100}}"#,
        Some(&g),
    );
    assert!(
        got[0].starts_with("tiling.tile: 100x100 is not a multiple of 8"),
        "{got:?}"
    );
}

#[test]
fn ignored_outputs_are_not_checked_and_unlisted_tensors_warn() {
    let g = graph(
        vec![
            tensor("image", &["N", "3", "H", "W"]),
            tensor("strength", &["1"]),
        ],
        vec![
            tensor("output", &["N", "3", "H", "W"]),
            tensor("logits", &["N", "1000"]),
        ],
    );
    let json = r#"{"schema": "onnxfx.manifest/1", "inputs": [{"name": "image"}]}"#;
    let (doc, _) = parse(json).expect("parses");
    // "strength" is a rank-1 float tensor: a value the node feeds from a slider, not an image.
    let resolved = doc
        .resolve(
            Layer::Sidecar,
            &Origin::Text,
            Some(&g),
            &Overrides::default(),
        )
        .expect("strength is a float input");
    assert_eq!(resolved.manifest.inputs[1].kind, InputKind::Float);
    assert_eq!(resolved.provenance.get("inputs[1].kind"), Layer::Graph);

    let g = graph(
        vec![tensor("image", &["N", "3", "H", "W"])],
        vec![
            tensor("output", &["N", "3", "H", "W"]),
            tensor("logits", &["N", "1000"]),
        ],
    );
    let resolved = doc
        .resolve(
            Layer::Sidecar,
            &Origin::Text,
            Some(&g),
            &Overrides::default(),
        )
        .expect("logits is ignored");
    assert_eq!(resolved.manifest.outputs[1].role, OutputRole::Ignore);
    let json = r#"{"schema": "onnxfx.manifest/1", "outputs": [{"name": "output"}]}"#;
    let (doc, _) = parse(json).expect("parses");
    let resolved = doc
        .resolve(
            Layer::Sidecar,
            &Origin::Text,
            Some(&g),
            &Overrides::default(),
        )
        .expect("resolves");
    let text: Vec<String> = resolved.warnings.iter().map(ToString::to_string).collect();
    assert!(
        text.iter()
            .any(|w| w.contains("outputs: the graph's output \"logits\" is not listed")),
        "{text:?}"
    );
}

// ---- layering ---------------------------------------------------------------------------------------

fn summary_with(metadata: &[(&str, &str)], graph: GraphInfo) -> onnx::OnnxSummary {
    onnx::OnnxSummary {
        metadata: metadata
            .iter()
            .map(|(k, v)| onnx::MetadataEntry {
                key: k.to_string(),
                value: Some(v.to_string()),
                value_len: v.len() as u64,
            })
            .collect(),
        graph,
        ..onnx::OnnxSummary::default()
    }
}

#[test]
fn each_layer_overrides_the_ones_below() {
    let model = Path::new("/models/m.onnx");
    let g = simple_graph();
    // Image keys: bgr, srgb, 0..255.
    let keys = [
        ("Image.BitmapPixelFormat", "Bgr8"),
        ("Image.ColorSpaceGamma", "SRGB"),
        ("Image.NominalPixelRange", "NominalRange_0_255"),
    ];
    let only_keys =
        ModelDescription::from_parts(model, summary_with(&keys, g.clone()), None).expect("reads");
    let r = only_keys.resolve(&Overrides::default()).expect("resolves");
    let input = &r.manifest.inputs[0].format;
    assert_eq!(input.channels, ChannelOrder::Bgr);
    assert_eq!(input.encoding, Encoding::Srgb);
    assert!(!input.hdr, "sRGB defaults to no HDR");
    assert_eq!(input.affine.scale(), &[255.0; 3]);
    assert_eq!(r.provenance.get("inputs[0].channels"), Layer::ImageKeys);
    assert_eq!(
        r.manifest.outputs[0].format.encoding,
        Encoding::Srgb,
        "keys apply to the colour output"
    );
    assert_eq!(r.manifest.info.name.as_deref(), Some("g"));
    assert_eq!(r.provenance.get("name"), Layer::Graph);

    // The embedded manifest beats the keys, field by field.
    let embedded = r#"{"schema": "onnxfx.manifest/1", "name": "embedded",
        "inputs": [{"name": "image", "encoding": "rec709"}]}"#;
    let mut with_embedded = keys.to_vec();
    with_embedded.push((METADATA_KEY, embedded));
    let d = ModelDescription::from_parts(model, summary_with(&with_embedded, g.clone()), None)
        .expect("reads");
    let r = d.resolve(&Overrides::default()).expect("resolves");
    assert_eq!(r.source, DocumentSource::Embedded);
    assert_eq!(r.manifest.inputs[0].format.encoding, Encoding::Rec709);
    assert_eq!(
        r.manifest.inputs[0].format.channels,
        ChannelOrder::Bgr,
        "still from the keys"
    );
    assert_eq!(r.manifest.info.name.as_deref(), Some("embedded"));
    assert_eq!(r.provenance.get("inputs[0].encoding"), Layer::Embedded);

    // A sidecar replaces the embedded document whole: its silence is not the embedded one's voice.
    let sidecar = br#"{"schema": "onnxfx.manifest/1", "inputs": [{"name": "image", "hdr": true}]}"#;
    let d = ModelDescription::from_parts(
        model,
        summary_with(&with_embedded, g.clone()),
        Some(sidecar.to_vec()),
    )
    .expect("reads");
    let r = d.resolve(&Overrides::default()).expect("resolves");
    assert_eq!(
        r.source,
        DocumentSource::Sidecar(PathBuf::from("/models/m.onnx.json"))
    );
    assert_eq!(
        r.manifest.inputs[0].format.encoding,
        Encoding::Srgb,
        "from the keys, not the embedded"
    );
    assert!(r.manifest.inputs[0].format.hdr);
    assert_eq!(r.manifest.info.name.as_deref(), Some("g"));
    assert_eq!(r.provenance.get("inputs[0].hdr"), Layer::Sidecar);
    assert!(
        r.warnings
            .iter()
            .any(|w| w.to_string().contains("replaces it as a whole")),
        "{:?}",
        r.warnings
    );

    // Parameters beat everything.
    let overrides = Overrides {
        input: FormatOverrides {
            channels: Some(ChannelOrder::Rgb),
            normalize: Some(Normalize::Preset(Preset::MinusOneOne)),
            encoding: Some(Encoding::AcesCct),
            hdr: Some(false),
            ..FormatOverrides::default()
        },
        output: FormatOverrides {
            encoding: Some(Encoding::Linear),
            ..FormatOverrides::default()
        },
        scale: Some(1),
        tile: Some(TileSize {
            width: 256,
            height: 256,
        }),
        overlap: Some(16),
        ..Overrides::default()
    };
    let r = d.resolve(&overrides).expect("resolves");
    let input = &r.manifest.inputs[0].format;
    assert_eq!(input.channels, ChannelOrder::Rgb);
    assert_eq!(input.encoding, Encoding::AcesCct);
    assert!(!input.hdr);
    assert_eq!(input.affine.offset(), &[-1.0; 3]);
    assert_eq!(r.manifest.outputs[0].format.encoding, Encoding::Linear);
    assert_eq!(r.manifest.tiling.overlap, Some(16));
    for path in [
        "inputs[0].channels",
        "inputs[0].encoding",
        "outputs[0].encoding",
        "tiling.tile",
    ] {
        assert_eq!(r.provenance.get(path), Layer::Parameter, "{path}");
    }
}

#[test]
fn parameters_are_validated_like_documents() {
    let d =
        ModelDescription::from_parts(Path::new("m.onnx"), summary_with(&[], simple_graph()), None)
            .expect("reads");
    let bad = Overrides {
        input: FormatOverrides {
            normalize: Some(Normalize::MeanStd {
                mean: Numbers::PerChannel(vec![0.5, 0.5]),
                std: Numbers::All(0.5),
                max_pixel_value: 1.0,
            }),
            ..FormatOverrides::default()
        },
        tile: Some(TileSize {
            width: 64,
            height: 64,
        }),
        overlap: Some(40),
        roles: vec![("nothing".to_string(), OutputRole::Alpha)],
        ..Overrides::default()
    };
    let e = d.resolve(&bad).expect_err("bad parameters");
    let text = e.to_string();
    assert!(
        text.contains("parameters: inputs[0].normalize.mean: expected 3 numbers, found 2"),
        "{text}"
    );
    assert!(
        text.contains("parameters: tiling.overlap: 40 on each side"),
        "{text}"
    );

    let roles = Overrides {
        roles: vec![
            ("output".to_string(), OutputRole::Ignore),
            ("nothing".to_string(), OutputRole::Alpha),
        ],
        ..Overrides::default()
    };
    let r = d.resolve(&roles).expect("resolves");
    assert_eq!(r.manifest.outputs[0].role, OutputRole::Ignore);
    assert!(r.manifest.color_output().is_none());
    assert!(
        r.warnings
            .iter()
            .any(|w| w.to_string().contains("no output \"nothing\""))
    );
}

#[test]
fn image_keys_read_every_documented_value() {
    let origin = Origin::Text;
    let mut warnings = Vec::new();
    for (value, channels) in [
        ("Gray8", ChannelOrder::Gray),
        ("Rgb8", ChannelOrder::Rgb),
        ("Bgr8", ChannelOrder::Bgr),
        ("Rgba8", ChannelOrder::Rgba),
        ("bgra8", ChannelOrder::Bgra),
    ] {
        let keys =
            ImageKeys::from_metadata([("Image.BitmapPixelFormat", value)], &origin, &mut warnings);
        assert_eq!(keys.channels, Some(channels));
    }
    for (value, encoding) in [("Linear", Encoding::Linear), ("SRGB", Encoding::Srgb)] {
        let keys =
            ImageKeys::from_metadata([("Image.ColorSpaceGamma", value)], &origin, &mut warnings);
        assert_eq!(keys.encoding, Some(encoding));
    }
    for (value, preset) in [
        ("NominalRange_0_255", Preset::ZeroTo255),
        ("Normalized_0_1", Preset::ZeroOne),
        ("Normalized_1_1", Preset::MinusOneOne),
        ("NominalRange_16_235", Preset::Studio),
    ] {
        let keys =
            ImageKeys::from_metadata([("Image.NominalPixelRange", value)], &origin, &mut warnings);
        assert_eq!(keys.normalize, Some(Normalize::Preset(preset)));
    }
    assert!(warnings.is_empty());
    let keys = ImageKeys::from_metadata(
        [("Image.ColorSpaceGamma", "Rec2020"), ("author", "x")],
        &origin,
        &mut warnings,
    );
    assert!(keys.is_empty());
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0]
            .to_string()
            .contains("metadata_props[Image.ColorSpaceGamma]: unknown value \"Rec2020\"")
    );
}

#[test]
fn image_keys_follow_image_denotations_when_the_graph_has_them() {
    let mut g = graph(
        vec![
            tensor("image", &["N", "3", "H", "W"]),
            tensor("guide", &["N", "3", "H", "W"]),
        ],
        vec![tensor("output", &["N", "3", "H", "W"])],
    );
    g.inputs[1].denotation = Some("IMAGE".to_string());
    let d = ModelDescription::from_parts(
        Path::new("m.onnx"),
        summary_with(&[("Image.BitmapPixelFormat", "Bgr8")], g),
        None,
    )
    .expect("reads");
    let r = d.resolve(&Overrides::default()).expect("resolves");
    assert_eq!(r.manifest.inputs[0].format.channels, ChannelOrder::Rgb);
    assert_eq!(r.manifest.inputs[1].format.channels, ChannelOrder::Bgr);
    assert_eq!(r.manifest.outputs[0].format.channels, ChannelOrder::Rgb);
}

#[test]
fn a_resolved_manifest_serialises_to_a_document_that_resolves_the_same() {
    let resolved = resolve_text(FULL).expect("resolves");
    let text = resolved.manifest.to_json_pretty();
    assert!(
        text.starts_with("{\n  \"schema\": \"onnxfx.manifest/1\",\n  \"name\": \"Denoise\""),
        "{text}"
    );
    let (doc, warnings) = parse(&text).expect("its own output parses");
    assert!(warnings.is_empty(), "{warnings:?}");
    let again = doc
        .resolve(Layer::Sidecar, &Origin::Text, None, &Overrides::default())
        .expect("resolves");
    assert_eq!(again.manifest, resolved.manifest);

    for normalize in [
        r#"{"range": [-2, 2]}"#,
        r#"{"scale": [1, 2, 3], "offset": 1}"#,
        r#"{"mean": 0.5, "std": [1, 2, 3], "max_pixel_value": 255}"#,
    ] {
        let json = format!(
            r#"{{"schema": "onnxfx.manifest/1", "inputs": [{{"name": "i", "normalize": {normalize}}}]}}"#
        );
        let first = resolve_text(&json).expect("resolves").manifest;
        let second = resolve_text(&first.to_json_pretty())
            .expect("resolves")
            .manifest;
        assert_eq!(first, second, "{normalize}");
    }
}

// ---- protobuf -----------------------------------------------------------------------------------------

fn synthetic(blob: usize, metadata: &[(&str, &str)]) -> Vec<u8> {
    encode::model(
        &[
            encode::value_info("image", &[Err("N"), Ok(3), Err("H"), Err("W")]),
            encode::value_info("w", &[Ok(4)]),
        ],
        &[encode::value_info(
            "output",
            &[Err("N"), Ok(3), Err("H"), Err("W")],
        )],
        blob,
        metadata,
    )
}

fn summary_of(bytes: &[u8]) -> Result<onnx::OnnxSummary, onnx::WireError> {
    onnx::read_summary_from(Cursor::new(bytes), bytes.len() as u64)
}

#[test]
fn the_wire_reader_finds_metadata_and_graph_tensors() {
    let bytes = synthetic(100_000, &[("a", "1"), (METADATA_KEY, "{}"), ("b", "2")]);
    let s = summary_of(&bytes).expect("reads");
    assert_eq!(s.ir_version, Some(8));
    assert_eq!(s.producer_name.as_deref(), Some("onnxfx tests"));
    let keys: Vec<&str> = s.metadata.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, ["a", METADATA_KEY, "b"]);
    assert_eq!(s.graph.name.as_deref(), Some("synthetic"));
    // "w" is an initializer listed as an input (IR < 4): a weight, not an input.
    let inputs: Vec<&str> = s.graph.inputs.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(inputs, ["image"]);
    assert_eq!(s.graph.inputs[0].shape_text(), "[N, 3, H, W]");
    assert_eq!(s.graph.inputs[0].elem_type, Some(ElemType::FLOAT));
    assert_eq!(s.graph.outputs[0].name, "output");
}

#[test]
fn set_metadata_keeps_every_other_byte() {
    let original = synthetic(
        1000,
        &[
            ("a", "1"),
            (METADATA_KEY, "old"),
            ("b", "2"),
            (METADATA_KEY, "older"),
        ],
    );
    let mut out = Vec::new();
    let dropped = onnx::set_metadata(
        Cursor::new(&original),
        original.len() as u64,
        &mut out,
        METADATA_KEY,
        Some("new"),
    )
    .expect("writes");
    assert_eq!(dropped, 2);
    let without = synthetic(1000, &[("a", "1"), ("b", "2")]);
    let appended = onnx::encode_metadata_entry(METADATA_KEY, "new");
    assert_eq!(out, [without.clone(), appended].concat());
    let s = summary_of(&out).expect("reads");
    let ours: Vec<_> = s.metadata_values(METADATA_KEY).collect();
    assert_eq!(ours.len(), 1);
    assert_eq!(ours[0].value.as_deref(), Some("new"));

    let mut removed = Vec::new();
    onnx::set_metadata(
        Cursor::new(&out),
        out.len() as u64,
        &mut removed,
        METADATA_KEY,
        None,
    )
    .expect("writes");
    assert_eq!(removed, without);
}

#[test]
fn metadata_values_are_bounded() {
    let huge = "x".repeat(onnx::MAX_METADATA_VALUE_BYTES as usize + 1);
    let bytes = synthetic(10, &[(METADATA_KEY, &huge)]);
    let s = summary_of(&bytes).expect("reads");
    assert_eq!(s.metadata[0].value, None);
    assert_eq!(s.metadata[0].value_len, huge.len() as u64);
    let e = ModelDescription::from_parts(Path::new("m.onnx"), s, None).expect_err("too large");
    assert!(matches!(e, Error::TooLarge { .. }), "{e}");
}

#[test]
fn a_huge_model_is_read_by_seeking_over_its_weights() {
    use std::io::{Seek, SeekFrom, Write};
    // A 3 GiB weight as a sparse file: reading it into memory would take seconds and gigabytes.
    let blob: u64 = 3 << 30;
    let mut weight_head = Vec::new();
    encode::len_field(&mut weight_head, 8, b"w");
    encode::len_prefix(&mut weight_head, 9, blob);
    let mut graph_head = Vec::new();
    encode::len_field(&mut graph_head, 2, b"huge");
    encode::len_prefix(&mut graph_head, 5, weight_head.len() as u64 + blob);
    graph_head.extend(&weight_head);
    let mut graph_tail = Vec::new();
    encode::len_field(
        &mut graph_tail,
        11,
        &encode::value_info("image", &[Ok(1), Ok(3), Err("H"), Err("W")]),
    );
    encode::len_field(
        &mut graph_tail,
        12,
        &encode::value_info("output", &[Ok(1), Ok(3), Err("H"), Err("W")]),
    );
    let mut head = Vec::new();
    encode::varint_field(&mut head, 1, 8);
    encode::len_prefix(
        &mut head,
        7,
        graph_head.len() as u64 + blob + graph_tail.len() as u64,
    );
    head.extend(&graph_head);
    let mut tail = graph_tail;
    tail.extend(onnx::encode_metadata_entry(
        METADATA_KEY,
        r#"{"schema": "onnxfx.manifest/1", "name": "huge", "inputs": [{"name": "image", "encoding": "srgb"}]}"#,
    ));

    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("huge.onnx");
    let mut file = std::fs::File::create(&path).expect("create");
    file.write_all(&head).expect("write");
    file.seek(SeekFrom::Current(i64::try_from(blob).expect("fits")))
        .expect("seek");
    file.write_all(&tail).expect("write");
    drop(file);

    let started = std::time::Instant::now();
    let r = ModelDescription::read(&path)
        .expect("reads")
        .resolve(&Overrides::default())
        .expect("resolves");
    assert!(
        started.elapsed().as_secs() < 5,
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(r.manifest.info.name.as_deref(), Some("huge"));
    assert_eq!(r.manifest.inputs[0].format.encoding, Encoding::Srgb);
    assert_eq!(r.manifest.inputs[0].name, "image");
}

/// A tiny deterministic generator, so that failures reproduce.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn malformed_protobuf_never_panics() {
    let good = synthetic(
        300,
        &[
            ("a", "1"),
            (METADATA_KEY, r#"{"schema": "onnxfx.manifest/1"}"#),
        ],
    );
    // Every truncation.
    for n in 0..good.len() {
        let cut = &good[..n];
        let _ = summary_of(cut);
        let _ = onnx::set_metadata(
            Cursor::new(cut),
            n as u64,
            &mut Vec::new(),
            METADATA_KEY,
            Some("{}"),
        );
    }
    // Random bit flips and random bytes.
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    for _ in 0..3000 {
        let mut bytes = good.clone();
        for _ in 0..1 + rng.next() % 4 {
            let i = (rng.next() % bytes.len() as u64) as usize;
            bytes[i] ^= 1 << (rng.next() % 8);
        }
        if let Ok(s) = summary_of(&bytes)
            && let Ok(d) = ModelDescription::from_parts(Path::new("m.onnx"), s, None)
        {
            let _ = d.resolve(&Overrides::default());
        }
        let _ = onnx::set_metadata(
            Cursor::new(&bytes),
            bytes.len() as u64,
            &mut Vec::new(),
            METADATA_KEY,
            None,
        );
        let len = (rng.next() % 200) as usize;
        let noise: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let _ = summary_of(&noise);
    }
    // A length that claims gigabytes, and an endless varint.
    let mut lie = Vec::new();
    encode::varint_field(&mut lie, 1, 8);
    lie.extend([0x3a, 0xff, 0xff, 0xff, 0xff, 0x0f]); // field 7 (graph), 4 GiB long
    let e = summary_of(&lie).expect_err("runs past the end");
    assert!(e.message.contains("runs past the end"), "{e}");
    let e = summary_of(
        &[0x08; 1]
            .iter()
            .copied()
            .chain([0xff; 20])
            .collect::<Vec<u8>>(),
    )
    .expect_err("varint");
    assert!(e.message.contains("varint"), "{e}");
    // Not protobuf at all: JSON, and an empty file.
    assert!(summary_of(b"{\"schema\": \"onnxfx.manifest/1\"}").is_err());
    assert!(
        summary_of(b"")
            .expect_err("empty")
            .message
            .contains("no graph")
    );
}

#[test]
fn malformed_json_never_panics() {
    let pieces = [
        "{",
        "}",
        "[",
        "]",
        "\"schema\"",
        ":",
        ",",
        "\"onnxfx.manifest/1\"",
        "\"inputs\"",
        "\"name\"",
        "\"normalize\"",
        "\"std\"",
        "1e999",
        "-0",
        "null",
        "true",
        "\"\\u0000\"",
        "\"é\"",
        "{\"mean\":1}",
    ];
    let mut rng = XorShift(42);
    for _ in 0..5000 {
        let n = 1 + rng.next() % 30;
        let text: String = (0..n)
            .map(|_| pieces[(rng.next() % pieces.len() as u64) as usize])
            .collect();
        if let Ok((doc, _)) = parse(&text) {
            let _ = doc.resolve(
                Layer::Sidecar,
                &Origin::Text,
                Some(&simple_graph()),
                &Overrides::default(),
            );
        }
    }
    let mut full = FULL.as_bytes().to_vec();
    for i in 0..full.len() {
        let _ = Document::parse_bytes(&full[..i], &Origin::Text);
        let saved = full[i];
        full[i] = b'"';
        let _ = Document::parse_bytes(&full, &Origin::Text);
        full[i] = saved;
    }
}

// ---- real files ---------------------------------------------------------------------------------------

/// The models `cargo xtask models` generates (`$ONNXFX_TEST_MODELS`, else target/test-models).
fn test_models() -> PathBuf {
    let dir = std::env::var_os("ONNXFX_TEST_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-models"));
    assert!(
        dir.join("manifest_embedded.onnx").is_file(),
        "{} has no test models: run `cargo xtask test-models`",
        dir.display()
    );
    dir
}

fn scratch_copy(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join(name);
    std::fs::copy(test_models().join(name), &path).expect("copy");
    (dir, path)
}

#[test]
fn real_models_read_as_generated() {
    let models = test_models();
    let d = ModelDescription::read(&models.join("manifest_embedded.onnx")).expect("reads");
    let r = d.resolve(&Overrides::default()).expect("resolves");
    assert_eq!(r.source, DocumentSource::Embedded);
    let m = &r.manifest;
    assert_eq!(m.info.name.as_deref(), Some("BGR gain (test)"));
    assert_eq!(m.inputs[0].format.channels, ChannelOrder::Bgr);
    assert_eq!(m.inputs[0].format.affine.scale(), &[255.0; 3]);
    assert_eq!(m.inputs[0].size, SizeConstraint::MultipleOf(8));
    assert_eq!(m.outputs[0].scale, Some(1));
    assert_eq!(
        m.tiling.tile,
        Some(TileSize {
            width: 256,
            height: 256
        })
    );
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);

    let r = ModelDescription::read(&models.join("manifest_image_keys.onnx"))
        .expect("reads")
        .resolve(&Overrides::default())
        .expect("resolves");
    assert_eq!(r.source, DocumentSource::None);
    assert_eq!(r.manifest.inputs[0].format.channels, ChannelOrder::Bgr);
    assert_eq!(r.manifest.inputs[0].format.encoding, Encoding::Srgb);
    assert_eq!(
        r.manifest.inputs[0].format.normalize,
        Normalize::Preset(Preset::ZeroTo255)
    );

    let r = ModelDescription::read(&models.join("manifest_sidecar.onnx"))
        .expect("reads")
        .resolve(&Overrides::default())
        .expect("resolves");
    assert!(matches!(r.source, DocumentSource::Sidecar(_)));
    assert_eq!(r.manifest.info.name.as_deref(), Some("identity (sidecar)"));
    assert_eq!(r.manifest.inputs[0].format.channels, ChannelOrder::Rgb);
    let text: Vec<String> = r.warnings.iter().map(ToString::to_string).collect();
    assert!(
        text.iter()
            .any(|w| w.contains("licence: unknown key ignored")),
        "{text:?}"
    );
    assert!(
        text.iter().any(|w| w.contains("replaces it as a whole")),
        "{text:?}"
    );

    let r = ModelDescription::read(&models.join("manifest_nhwc_fixed.onnx"))
        .expect("reads")
        .resolve(&Overrides::default())
        .expect("resolves");
    assert_eq!(r.manifest.inputs[0].format.layout, Layout::Nhwc);
    assert_eq!(
        r.manifest.inputs[0].size,
        SizeConstraint::Fixed {
            width: 48,
            height: 32
        }
    );
    assert_eq!(r.manifest.outputs[0].scale, Some(2));

    let e = ModelDescription::read(&models.join("manifest_bad.onnx"))
        .expect("reads")
        .resolve(&Overrides::default())
        .expect_err("bad manifest");
    assert!(
        e.to_string()
            .contains("inputs[0].normalize.std: expected 3 numbers, found 2"),
        "{e}"
    );

    for plain in [
        "invert.onnx",
        "upscale2x.onnx",
        "luma.onnx",
        "rgba_identity.onnx",
        "fixed_64.onnx",
    ] {
        let d = ModelDescription::read(&models.join(plain)).expect("reads");
        d.resolve(&Overrides::default())
            .unwrap_or_else(|e| panic!("{plain}: {e}"));
    }
    let upscale = ModelDescription::read(&models.join("upscale2x.onnx")).expect("reads");
    assert_eq!(
        upscale
            .resolve(&Overrides::default())
            .expect("resolves")
            .manifest
            .outputs[0]
            .scale,
        None
    );
    for broken in ["corrupt.onnx", "truncated.onnx"] {
        let e = ModelDescription::read(&models.join(broken)).expect_err("not readable");
        assert!(matches!(e, Error::Onnx { .. }), "{broken}: {e}");
    }
}

#[test]
fn embedding_round_trips_on_real_files() {
    let (_dir, path) = scratch_copy("manifest_embedded.onnx");
    let before = std::fs::read(&path).expect("read");
    let json = r#"{"schema": "onnxfx.manifest/1", "name": "rewritten", "inputs": [{"name": "image", "channels": "rgb"}]}"#;
    let resolved = embed_manifest(&path, json).expect("embeds");
    assert_eq!(resolved.manifest.info.name.as_deref(), Some("rewritten"));
    let after = std::fs::read(&path).expect("read");
    let summary = onnx::read_summary(&path).expect("reads");
    let ours: Vec<_> = summary.metadata_values(METADATA_KEY).collect();
    assert_eq!(ours.len(), 1);
    assert_eq!(ours[0].value.as_deref(), Some(json));
    assert!(
        summary.metadata.iter().any(|e| e.key == "converted_by"),
        "other entries are kept"
    );
    assert!(after.ends_with(&onnx::encode_metadata_entry(METADATA_KEY, json)));
    // Everything but the old entry is byte-identical, in order.
    let old_entry_len =
        before.len() + onnx::encode_metadata_entry(METADATA_KEY, json).len() - after.len();
    assert!(old_entry_len > 0);

    // An invalid manifest is refused and the file is left alone.
    let e = embed_manifest(
        &path,
        r#"{"schema": "onnxfx.manifest/1", "inputs": [{"name": "nope"}]}"#,
    )
    .expect_err("no such input");
    assert!(
        e.to_string().contains("the model has no input \"nope\""),
        "{e}"
    );
    assert_eq!(std::fs::read(&path).expect("read"), after);

    assert_eq!(remove_manifest(&path).expect("removes"), 1);
    let d = ModelDescription::read(&path).expect("reads");
    assert_eq!(d.source(), DocumentSource::None);
    // No temporary files are left behind.
    let left: Vec<_> = std::fs::read_dir(path.parent().expect("folder"))
        .expect("list")
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
}

#[test]
fn embedding_fixes_a_broken_manifest_and_keeps_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, path) = scratch_copy("manifest_bad.onnx");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let json = r#"{"schema": "onnxfx.manifest/1", "inputs": [{"name": "image", "normalize": {"mean": 0.5, "std": 0.5}}]}"#;
    embed_manifest(&path, json).expect("replaces the broken one");
    let mode = std::fs::metadata(&path).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    let r = ModelDescription::read(&path)
        .expect("reads")
        .resolve(&Overrides::default())
        .expect("valid now");
    assert_eq!(r.manifest.inputs[0].format.affine.offset(), &[-1.0; 3]);
}

#[test]
fn the_sidecar_is_only_ever_next_to_the_model() {
    assert_eq!(
        sidecar_path(Path::new("a/b.onnx")),
        PathBuf::from("a/b.onnx.json")
    );
    let (dir, path) = scratch_copy("invert.onnx");
    // A document that names other files is just a document: nothing it says is opened.
    std::fs::write(
        dir.path().join("invert.onnx.json"),
        r#"{"schema": "onnxfx.manifest/1", "source": "/etc/passwd", "x-include": "../secret.json"}"#,
    )
    .expect("write");
    let r = ModelDescription::read(&path)
        .expect("reads")
        .resolve(&Overrides::default())
        .expect("resolves");
    assert_eq!(r.manifest.info.source.as_deref(), Some("/etc/passwd"));
    // A sidecar that is too large, or a folder, is an error, not a hang or a silent default.
    std::fs::write(
        dir.path().join("invert.onnx.json"),
        vec![b' '; MAX_DOCUMENT_BYTES as usize + 1],
    )
    .expect("write");
    assert!(matches!(
        ModelDescription::read(&path),
        Err(Error::TooLarge { .. })
    ));
    std::fs::remove_file(dir.path().join("invert.onnx.json")).expect("remove");
    std::fs::create_dir(dir.path().join("invert.onnx.json")).expect("mkdir");
    assert!(matches!(
        ModelDescription::read(&path),
        Err(Error::Io { .. })
    ));
}

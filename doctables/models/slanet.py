"""SLANet-plus in two parts: its image encoder in onnxruntime, its decoder step by step in numpy.

The exported graph runs the decoder (an attention GRU cell emitting one structure token and one
cell box per step) as an ONNX Loop that carries every decoder weight through each iteration,
projects the image features again at every step and scatters each step into full-length output
buffers; onnxruntime spends about 0.3 ms per step on that bookkeeping, and a table takes 50 to
400 steps. Here the encoder is cut out of the same file and run by onnxruntime, the image
projection is computed once, and the step (a few small matrix-vector products) runs in numpy
with the file's own weights. The outputs are the full graph's (same tokens, boxes equal to
float rounding: tests/models/test_models.py compares them); any graph that does not have this
decoder's weights and shapes is run whole instead (`load_structure_model`).

Cutting the graph needs the onnx package, whose import takes about half a second: the table
image does it once at build time (`python -m doctables.models.slanet MODEL.onnx`), and a split
made at load time is kept in $XDG_CACHE_HOME/doctables for the next process.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort
from threadpoolctl import ThreadpoolController

from doctables.models.runtime import ModelSpec, OnnxModel, session_options

# Paddle's parameter names in the SLANet head: attention (linear_0..2), GRU cell, structure
# head (linear_3, linear_4), location head (linear_5, linear_6).
_WEIGHTS = (
    "linear_0.w_0", "linear_1.w_0", "linear_1.b_0", "linear_2.w_0",
    "gru_cell_0.w_0", "gru_cell_0.b_0", "gru_cell_0.w_1", "gru_cell_0.b_1",
    "linear_3.w_0", "linear_3.b_0", "linear_4.w_0", "linear_4.b_0",
    "linear_5.w_0", "linear_5.b_0", "linear_6.w_0", "linear_6.b_0",
)
_DEFAULT_MAX_STEPS = 501
# The decoder's products are a few hundred wide: BLAS threads would only spin against
# onnxruntime's pool for them, so they run on the calling thread (controller made on first use).
_blas: ThreadpoolController | None = None


def _single_threaded_blas():
    global _blas
    if _blas is None:
        _blas = ThreadpoolController()
    return _blas.limit(limits=1, user_api="blas")


@dataclass(frozen=True)
class _Decoder:
    """The decoder's weights, laid out for row-vector products."""

    feature_projection: np.ndarray  # C x H: image features -> attention space
    hidden_projection: np.ndarray  # H x H
    hidden_bias: np.ndarray  # H
    attention_score: np.ndarray  # H: attention energies from tanh(features + hidden)
    gru_input_context: np.ndarray  # C x 3H: the context part of the GRU's input weights
    gru_input_token: np.ndarray  # classes x 3H: the previous token's one-hot part
    gru_input_bias: np.ndarray  # 3H
    gru_hidden: np.ndarray  # H x 3H
    gru_hidden_bias: np.ndarray  # 3H
    structure: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # H x H, H, H x classes, classes
    location: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # H x H, H, H x 8, 8
    max_steps: int

    @property
    def classes(self) -> int:
        return self.gru_input_token.shape[0]

    @classmethod
    def from_weights(cls, weights: dict[str, np.ndarray], max_steps: int) -> _Decoder | None:
        """None unless the weights have the SLANet decoder's shapes."""
        if any(name not in weights for name in _WEIGHTS):
            return None
        w = {name: weights[name].astype(np.float32) for name in _WEIGHTS}
        channels, hidden = w["linear_0.w_0"].shape
        classes = w["linear_4.w_0"].shape[-1]
        boxes = w["linear_6.w_0"].shape[-1]
        expected = {
            "linear_1.w_0": (hidden, hidden), "linear_1.b_0": (hidden,), "linear_2.w_0": (hidden, 1),
            "gru_cell_0.w_0": (3 * hidden, channels + classes), "gru_cell_0.b_0": (3 * hidden,),
            "gru_cell_0.w_1": (3 * hidden, hidden), "gru_cell_0.b_1": (3 * hidden,),
            "linear_3.w_0": (hidden, hidden), "linear_3.b_0": (hidden,),
            "linear_4.w_0": (hidden, classes), "linear_4.b_0": (classes,),
            "linear_5.w_0": (hidden, hidden), "linear_5.b_0": (hidden,),
            "linear_6.w_0": (hidden, boxes), "linear_6.b_0": (boxes,),
        }
        if any(w[name].shape != shape for name, shape in expected.items()):
            return None
        gru_input = np.ascontiguousarray(w["gru_cell_0.w_0"].T)
        return cls(
            feature_projection=w["linear_0.w_0"],
            hidden_projection=w["linear_1.w_0"],
            hidden_bias=w["linear_1.b_0"],
            attention_score=np.ascontiguousarray(w["linear_2.w_0"][:, 0]),
            gru_input_context=np.ascontiguousarray(gru_input[:channels]),
            gru_input_token=np.ascontiguousarray(gru_input[channels:]),
            gru_input_bias=w["gru_cell_0.b_0"],
            gru_hidden=np.ascontiguousarray(w["gru_cell_0.w_1"].T),
            gru_hidden_bias=w["gru_cell_0.b_1"],
            structure=(w["linear_3.w_0"], w["linear_3.b_0"], w["linear_4.w_0"], w["linear_4.b_0"]),
            location=(w["linear_5.w_0"], w["linear_5.b_0"], w["linear_6.w_0"], w["linear_6.b_0"]),
            max_steps=max_steps,
        )

    def decode(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(cell locations: steps x 8, token probabilities: steps x classes) for one image's
        features (positions x channels), greedy, up to and including the end token."""
        hidden_size = self.hidden_projection.shape[0]
        projected = features @ self.feature_projection  # once, not per step
        energies = np.empty_like(projected)
        hidden = np.zeros(hidden_size, dtype=np.float32)
        token = 0  # the start token
        end = self.classes - 1
        w3, b3, w4, b4 = self.structure
        hiddens: list[np.ndarray] = []
        logits: list[np.ndarray] = []
        for _ in range(self.max_steps):
            np.add(projected, hidden @ self.hidden_projection + self.hidden_bias, out=energies)
            np.tanh(energies, out=energies)
            scores = energies @ self.attention_score
            weights = np.exp(scores - scores.max())
            context = (weights / weights.sum()) @ features
            gate_input = context @ self.gru_input_context + self.gru_input_token[token] + self.gru_input_bias
            gate_hidden = hidden @ self.gru_hidden + self.gru_hidden_bias
            reset_update = _sigmoid(gate_input[: 2 * hidden_size] + gate_hidden[: 2 * hidden_size])
            candidate = np.tanh(
                gate_input[2 * hidden_size:] + reset_update[:hidden_size] * gate_hidden[2 * hidden_size:]
            )
            hidden = (hidden - candidate) * reset_update[hidden_size:] + candidate
            step_logits = (hidden @ w3 + b3) @ w4 + b4
            hiddens.append(hidden)
            logits.append(step_logits)
            token = int(step_logits.argmax())
            if token == end:
                break
        # Probabilities and boxes of every step at once (the loop only needs the argmax).
        stacked = np.stack(logits)
        probabilities = np.exp(stacked - stacked.max(axis=1, keepdims=True))
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        w5, b5, w6, b6 = self.location
        locations = _sigmoid((np.stack(hiddens) @ w5 + b5) @ w6 + b6)
        return locations, probabilities


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class SplitSlaNet:
    """Drop-in for the whole-graph `OnnxModel` of a SLANet structure model: same `run`
    outputs (locations 1 x steps x 8, probabilities 1 x steps x classes), same `labels`."""

    def __init__(self, spec: ModelSpec, encoder: bytes, decoder: _Decoder, labels: list[str]) -> None:
        self.spec = spec
        self.session = ort.InferenceSession(
            encoder, sess_options=session_options(spec.threads), providers=["CPUExecutionProvider"]
        )
        self.input_name = self.session.get_inputs()[0].name
        self.decoder = decoder
        self.labels = labels

    @classmethod
    def from_parts(cls, spec: ModelSpec, parts: SlaNetParts) -> SplitSlaNet | None:
        """The model from its saved parts; None when the weights are not the decoder's."""
        decoder = _Decoder.from_weights(parts.weights, parts.max_steps)
        return cls(spec, parts.encoder, decoder, parts.labels) if decoder is not None else None

    def run(self, tensor: np.ndarray) -> list[np.ndarray]:
        features = self.session.run(None, {self.input_name: tensor})[0]  # batch x positions x channels
        with _single_threaded_blas():
            decoded = [self.decoder.decode(image_features) for image_features in features]
        steps = max(len(p) for _, p in decoded)
        locations = np.zeros((len(decoded), steps, decoded[0][0].shape[1]), dtype=np.float32)
        probabilities = np.zeros((len(decoded), steps, self.decoder.classes), dtype=np.float32)
        for i, (boxes, probs) in enumerate(decoded):
            locations[i, : len(boxes)] = boxes
            probabilities[i, : len(probs)] = probs
        return [locations, probabilities]


@dataclass(frozen=True)
class SlaNetParts:
    """What the split model is made of: the encoder graph, the decoder's weights, its step
    limit and the token labels. Saved once (`save_parts`), it loads without the onnx package."""

    encoder: bytes
    weights: dict[str, np.ndarray]
    max_steps: int
    labels: list[str]


def split_slanet(spec: ModelSpec) -> SplitSlaNet | None:
    """The split form of the model at `spec.path`, or None when its graph is not SLANet's.
    A prepared split (`prepare_split`) beside the model or in the cache is used when there is
    one; else the graph is split here, and the parts cached when the cache can be written."""
    name = prepared_name(spec.path)
    prepared = next((d / name for d in (Path(spec.path).parent, _cache_dir()) if (d / name).is_file()), None)
    parts = load_parts(prepared) if prepared is not None else None
    if parts is None:
        try:
            parts = slanet_parts(spec.path)
        except ImportError:  # no onnx package and no prepared split: the graph runs whole
            return None
        if parts is None:
            return None
        with contextlib.suppress(OSError):
            save_parts(parts, _cache_dir() / name)
    return SplitSlaNet.from_parts(spec, parts)


def slanet_parts(path: str) -> SlaNetParts | None:
    """Cut the model at `path` into its parts, or None when its graph is not SLANet's (no
    single decoder Loop fed by the encoder's features and these weights)."""
    import onnx  # only needed here, when no prepared split exists
    from onnx import numpy_helper

    model = onnx.load(path)
    graph = model.graph
    loops = [node for node in graph.node if node.op_type == "Loop"]
    if len(loops) != 1 or len(graph.input) != 1:
        return None
    constants: dict[str, np.ndarray] = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    for node in graph.node:
        if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
            constants[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
    loop = loops[0]
    weights = {_parameter_name(name): constants[name] for name in loop.input if name in constants}
    # The step limit: the decoder's integer scalar bound (Paddle's max_text_length, 500) + 1.
    bounds = [int(v) for v in weights.values() if v.ndim == 0 and v.dtype.kind == "i" and v > 1]
    max_steps = bounds[0] + 1 if len(bounds) == 1 else _DEFAULT_MAX_STEPS
    producers = {output: node for node in graph.node for output in node.output}
    features = [name for name in loop.input if name not in constants and name in producers
                and producers[name].op_type == "Transpose"]
    if _Decoder.from_weights(weights, max_steps) is None or len(features) != 1:
        return None
    metadata = {p.key: p.value for p in model.metadata_props}
    return SlaNetParts(
        encoder=_subgraph(model, features[0], producers),
        weights={name: weights[name] for name in _WEIGHTS},
        max_steps=max_steps,
        labels=metadata.get("character", "").splitlines(),
    )


def prepared_name(path: str) -> str:
    """File name of the prepared split of the model at `path`: tied to the file's content."""
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
    return f"{Path(path).stem}.{digest}.split.npz"


def prepare_split(path: str, directory: str | Path | None = None) -> Path | None:
    """Split the SLANet model at `path` once, ahead of time (the table image does this at
    build time), into `directory` (default: beside the model). None when it is not SLANet."""
    parts = slanet_parts(path)
    if parts is None:
        return None
    target = Path(directory or Path(path).parent) / prepared_name(path)
    save_parts(parts, target)
    return target


def save_parts(parts: SlaNetParts, target: Path) -> None:
    """Write the parts as one .npz (written aside and renamed: readers never see half a file)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    with partial.open("wb") as out:
        np.savez(
            out,
            encoder=np.frombuffer(parts.encoder, dtype=np.uint8),
            max_steps=np.array(parts.max_steps),
            labels=np.array("\n".join(parts.labels)),
            **{f"weight:{name}": value for name, value in parts.weights.items()},
        )
    partial.replace(target)


def load_parts(path: Path) -> SlaNetParts | None:
    """The parts saved at `path`; None when the file cannot be read as such."""
    try:
        with np.load(path, allow_pickle=False) as saved:
            return SlaNetParts(
                encoder=saved["encoder"].tobytes(),
                weights={key.split(":", 1)[1]: saved[key] for key in saved.files if key.startswith("weight:")},
                max_steps=int(saved["max_steps"]),
                labels=str(saved["labels"]).split("\n") if str(saved["labels"]) else [],
            )
    except (OSError, ValueError, KeyError):
        return None


def _cache_dir() -> Path:
    """Where splits made at load time are kept: $XDG_CACHE_HOME/doctables (~/.cache)."""
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "doctables"


def _parameter_name(name: str) -> str:
    """'linear_0.w_0' for the tensor names an exporter may suffix ('linear_0.w_0.0')."""
    for weight in _WEIGHTS:
        if name == weight or name.startswith(weight + "."):
            return weight
    return name


def _subgraph(model, output: str, producers: dict) -> bytes:
    """The model cut down to the nodes that compute `output` from the graph input."""
    import onnx

    needed: set[int] = set()
    pending = [output]
    while pending:
        node = producers.get(pending.pop())
        if node is None or id(node) in needed:
            continue
        needed.add(id(node))
        pending.extend(node.input)
    nodes = [node for node in model.graph.node if id(node) in needed]
    used = {name for node in nodes for name in node.input}
    graph = onnx.helper.make_graph(
        nodes,
        "slanet-encoder",
        list(model.graph.input),
        [onnx.helper.make_tensor_value_info(output, onnx.TensorProto.FLOAT, None)],
        [i for i in model.graph.initializer if i.name in used],
    )
    encoder = onnx.helper.make_model(graph, opset_imports=model.opset_import, ir_version=model.ir_version)
    return encoder.SerializeToString()


def load_structure_model(spec: ModelSpec, decoder: str = "auto") -> OnnxModel | SplitSlaNet:
    """The structure model as the recogniser runs it: split when `decoder` is 'auto' and the
    graph is SLANet's, else the whole graph in onnxruntime."""
    if decoder not in ("auto", "graph"):
        raise ValueError(f"structure decoder must be 'auto' or 'graph', not {decoder!r}")
    if not Path(spec.path).is_file():
        raise FileNotFoundError(f"ONNX model not found: {spec.path}")
    if decoder == "auto":
        split = split_slanet(spec)
        if split is not None:
            return split
    return OnnxModel(spec)


def main(argv: list[str] | None = None) -> int:
    """`python -m doctables.models.slanet MODEL.onnx [DIR]`: prepare the split ahead of time."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    if not 1 <= len(args) <= 2:
        print("usage: python -m doctables.models.slanet MODEL.onnx [DIR]", file=sys.stderr)
        return 2
    target = prepare_split(args[0], args[1] if len(args) > 1 else None)
    if target is None:
        print(f"{args[0]} is not a SLANet model: nothing to prepare", file=sys.stderr)
        return 1
    print(target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Chapter 4's online path (IMDB + bert-base-uncased, full mode) exercised offline on stand-ins of the same shape.

The stand-ins are made here (never downloaded) and served through `dsel_course.core.hub_stand_ins`, the hook at the two
places the course reaches the hub, so every line after the download runs as it would online. Each test below fails if
one thing the online path depends on breaks: IMDB's split names, the `split` column, the unlabelled split left out, an
uncased tokenizer, a new classification head, the full-mode sizes, the trainer's 16-bit branches, the Colab install line.
"""
import json, re, shutil, warnings
from pathlib import Path
import numpy as np
import pytest
import datasets
from datasets import Dataset, DatasetDict

from dsel_course.core import hub_stand_ins, hub_stand_in, hub_online, OfflineError
from dsel_course.data import load_corpus, load_hub_dataset
from dsel_course.models import load_tokenizer, load_classifier
from dsel_course.labs import finetune as ch4          # chapter 4's task choice and splits
from dsel_course.training import trainer              # chapter 4's trainer
from dsel_course.labs import full_path as fp

ROOT = Path(__file__).resolve().parents[1]
datasets.disable_progress_bars()


@pytest.fixture(scope="module")
def stand_ins(tmp_path_factory):
    "An IMDB-shaped DatasetDict (12 reviews per class and labelled split) and a tiny uncased BERT folder."
    dd = fp.imdb_stand_in(24, seed=0)
    folder = fp.bert_stand_in(tmp_path_factory.mktemp("hub") / "bert-base-uncased",
                              list(dd["train"]["text"]) + list(dd["unsupervised"]["text"]), seed=0)
    return dd, folder


def _variant(folder, tmp_path, name, write):
    "A copy of the BERT stand-in with one thing changed by `write(copy)`."
    out = tmp_path / name
    shutil.copytree(folder, out)
    write(out)
    return out


def test_full_path_end_to_end(stand_ins, tmp_path):
    dd, folder = stand_ins
    ckpt = tmp_path / "ckpt"
    with hub_stand_ins({"stanfordnlp/imdb": dd, "bert-base-uncased": folder}):
        r = fp.run_full_path(ckpt, progress=False, lr=1e-3, device="cpu")
    assert (r["corpus"], r["model_name"], r["precision"]) == ("imdb", "bert-base-uncased", "fp32")
    assert r["shipped"] == {"test": {0: 12, 1: 12}, "train": {0: 12, 1: 12}}
    assert r["splits"] == {"train": 22, "valid": 2, "test": 24}            # IMDB's own test split kept; 10% of train validates
    assert r["breaks"]["train"]["breaks_removed"] > 0
    h = r["hist"]
    assert (h["epochs"], h["batch_size"], h["max_length"], len(h["evals"])) == (3, 32, 256, 3)   # the full row of SIZES
    assert r["test"]["confusion"].sum() == 24 and r["checkpoint_reloads_same"]
    assert (ckpt / "model.safetensors").exists() and (ckpt / "tokenizer_config.json").exists() and not fp.head_is_new(ckpt)
    t = r["truncation"].set_index("max_length")
    assert list(t.index) == [128, 256, 512] and t.loc[512, "cut"] <= t.loc[256, "cut"] <= t.loc[128, "cut"]
    assert hub_stand_in("bert-base-uncased") is None                        # the block leaves nothing behind


def test_imdb_loads_labelled_splits_with_split_column(stand_ins):
    dd, _ = stand_ins
    with hub_stand_ins({"stanfordnlp/imdb": dd}):
        ds = load_corpus("imdb")
        assert len(load_hub_dataset("imdb", split="unsupervised")) == 12
    assert len(ds) == 48 and "split" in ds.column_names
    assert ds["split"] == ["train"] * 24 + ["test"] * 24
    assert min(ds["label"]) == 0 and ds.features["label"].names == ["neg", "pos"]   # 'unsupervised' (label -1) left out


def test_renamed_split_is_an_error(stand_ins, tmp_path):
    dd, folder = stand_ins
    renamed = DatasetDict(train=dd["train"], validation=dd["test"], unsupervised=dd["unsupervised"])
    with hub_stand_ins({"stanfordnlp/imdb": renamed, "bert-base-uncased": folder}):
        with pytest.raises(ValueError, match=r"without \['test'\]"): load_corpus("imdb")
        with pytest.raises(ValueError, match="hub copy changed"): fp.run_full_path(tmp_path / "c", progress=False)


def test_missing_split_column_is_an_error(stand_ins, tmp_path, monkeypatch):
    dd, folder = stand_ins
    real = fp.load_corpus
    monkeypatch.setattr(fp, "load_corpus", lambda name, **kw: real(name, **kw).remove_columns("split"))
    with hub_stand_ins({"stanfordnlp/imdb": dd, "bert-base-uncased": folder}):
        with pytest.raises(ValueError, match="no 'split' column"): fp.run_full_path(tmp_path / "c", progress=False)


def test_cased_tokenizer_is_an_error(stand_ins, tmp_path):
    dd, folder = stand_ins
    from transformers import BertTokenizer
    vocab = load_tokenizer(folder).get_vocab()
    cased = _variant(folder, tmp_path, "cased", lambda d: BertTokenizer(vocab=vocab, do_lower_case=False).save_pretrained(d))
    with hub_stand_ins({"stanfordnlp/imdb": dd, "bert-base-uncased": cased}):
        assert fp.is_uncased(load_tokenizer("bert-base-uncased")) is False
        with pytest.raises(ValueError, match="keeps case"): fp.run_full_path(tmp_path / "c", progress=False)
    with hub_stand_ins({"bert-base-uncased": folder}):
        assert fp.is_uncased(load_tokenizer("bert-base-uncased"))


def test_head_that_is_not_new_is_an_error(stand_ins, tmp_path):
    dd, folder = stand_ins
    from transformers import BertForSequenceClassification
    def with_head(d):
        for f in d.glob("*.safetensors"): f.unlink()
        BertForSequenceClassification.from_pretrained(folder, num_labels=2).save_pretrained(d)
    fine_tuned = _variant(folder, tmp_path, "fine-tuned", with_head)
    assert fp.head_is_new(folder) and not fp.head_is_new(fine_tuned)
    with hub_stand_ins({"stanfordnlp/imdb": dd, "bert-base-uncased": fine_tuned}):
        with pytest.warns(UserWarning, match="head is not new"): load_classifier("bert-base-uncased")
        with pytest.raises(UserWarning, match="head is not new"): fp.run_full_path(tmp_path / "c", progress=False)


def test_pretrained_encoder_weights_are_loaded(stand_ins):
    _, folder = stand_ins
    from safetensors.torch import load_file
    saved = load_file(str(folder / "model.safetensors"))
    with hub_stand_ins({"bert-base-uncased": folder}):
        with warnings.catch_warnings():
            warnings.simplefilter("error")                     # no "head is not new", no "weights besides the head missing"
            m = load_classifier("bert-base-uncased")
    sd = m.state_dict()
    k = "bert.encoder.layer.0.attention.self.query.weight"
    assert k in saved and np.array_equal(sd[k].numpy(), saved[k].numpy())
    assert not any(key.startswith("classifier.") for key in saved) and m.classifier.out_features == 2


def test_full_mode_sizes_match_task_splits():
    "An IMDB of one-word reviews, at a tenth of the real size, through chapter 4's task_splits(mode='full') gives full_mode_sizes' numbers."
    feats = fp.IMDB_FEATURES
    mk = lambda y: Dataset.from_dict(dict(text=["ok"] * len(y), label=y), features=feats)
    tenth = DatasetDict(train=mk([0] * 1_250 + [1] * 1_250), test=mk([0] * 1_250 + [1] * 1_250), unsupervised=mk([-1] * 4))
    with hub_stand_ins({"stanfordnlp/imdb": tenth}):
        d = ch4.task_splits("imdb", mode="full")
    s10 = fp.full_mode_sizes({"train": 2_500, "test": 2_500})
    assert {k: len(v) for k, v in d.items()} == {"train": s10["train"], "valid": s10["valid"], "test": s10["test"]} == \
           {"train": 2_250, "valid": 250, "test": 2_500}
    s = fp.full_mode_sizes()                                 # the real IMDB: 25,000 / 25,000
    assert (s["train"], s["valid"], s["test"], s["steps"]) == (22_500, 2_500, 25_000, 3 * 704)
    assert sum(fp.DOCS_SPLIT.values()) == fp.IMDB_SHIPPED["train"]


@pytest.mark.parametrize("precision,dtype", [("bf16", "bfloat16"), ("fp16", "float16")])
def test_trainer_16_bit_branches_run(stand_ins, monkeypatch, precision, dtype):
    "The trainer's autocast branch (bf16, native on CPU) and its GradScaler branch (fp16: dtype forced, scaler inactive off-GPU)."
    import torch
    dd, folder = stand_ins
    if precision == "fp16":   # autocast_dtype refuses fp16 off a GPU; force the dtype so the GradScaler lines run
        monkeypatch.setattr(trainer, "autocast_dtype", lambda device, precision="auto": torch.float16)
    tr = dd["train"].select(range(8, 16))                   # 4 negative, 4 positive (the split is sorted by label)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                     # GradScaler says CUDA is not available and disables itself
        with hub_stand_ins({"bert-base-uncased": folder}):
            m, h = trainer.train_classifier(tr, tr, "bert-base-uncased", epochs=1, batch_size=4, max_length=32,
                                             precision=precision, device="cpu", progress=False)
    assert h["precision"] == dtype and np.isfinite(h["final_train_loss"])


def test_precision_per_gpu():
    assert fp.precision_for("cuda", (7, 5)) == "fp16"      # T4: no bf16 tensor cores
    assert fp.precision_for("cuda:0", (8, 0)) == "bf16" and fp.precision_for("cpu") == "fp32"


def test_estimate_is_ordered_and_in_range():
    cpu = dict(flops_per_s=2e10, torch_threads=2)
    e = fp.estimate_full_mode(fp.full_mode_sizes(), 256, cpu).set_index("device")
    assert abs(e.attrs["total_pflops"] - 10.6) < 0.2
    assert e.loc["A100", "hours_high"] < e.loc["T4", "hours_low"] and e.iloc[0]["hours_low"] > 24
    assert 5 < e.loc["T4", "hours_low"] * 60 < e.loc["T4", "hours_high"] * 60 < 40


def test_outside_the_block_nothing_changes():
    assert hub_stand_in("stanfordnlp/imdb") is None
    if hub_online(): pytest.skip("the hub is reachable here")
    with pytest.raises(OfflineError, match="load_corpus"): load_corpus("imdb")
    assert ch4.resolve_task(mode="full")[:2] == ("pang_lee", "minilm")
    with pytest.raises(OfflineError, match="hub_stand_ins"): fp.run_full_path(ROOT / "never-written", progress=False)


def _pip_lines(nb_path):
    cells = json.loads(Path(nb_path).read_text(encoding="utf-8"))["cells"]
    return [[l.strip().lstrip("!") for l in "".join(c["source"]).splitlines() if l.strip().startswith("!pip")]
            for c in cells if c["cell_type"] == "code" and "!pip" in "".join(c["source"])]


def test_colab_install_cell_is_the_front_page_one_and_installs_the_package():
    ours, front = _pip_lines(ROOT / "nbs" / "41_full_path.ipynb"), _pip_lines(ROOT / "nbs" / "index.ipynb")
    assert ours == front == [list(fp.COLAB_INSTALL)]
    src = "".join(json.loads((ROOT / "nbs" / "41_full_path.ipynb").read_text(encoding="utf-8"))["cells"][1]["source"])
    assert 'if "google.colab" in sys.modules:' in src                       # runs on Colab only
    import tomllib
    from setuptools import find_packages
    proj = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert re.match(rf'pip install -q "{proj["project"]["name"]} @ git\+https://', fp.COLAB_INSTALL[0])
    include = proj["tool"]["setuptools"]["packages"]["find"]["include"]
    assert "dsel_course.labs" in find_packages(str(ROOT), include=include)   # the wheel ships this chapter's module


def test_stand_ins_folder_serves_another_process(tmp_path):
    "write_stand_ins + DSEL_HUB_STAND_INS (what make full-check uses): a fresh process in full mode takes the online branch on the stand-ins."
    import os, subprocess, sys
    folder = fp.write_stand_ins(tmp_path / "hub", n=8)
    assert json.loads((folder / "stand_ins.json").read_text()) == {"stanfordnlp/imdb": "imdb", "bert-base-uncased": "bert-base-uncased"}
    env = {**os.environ, "DSEL_HUB_STAND_INS": str(folder), "DSEL_MODE": "full", "DSEL_FULL_SCALE": "0.001", "HF_HUB_OFFLINE": "1"}
    code = ("from dsel_course.labs.finetune import resolve_task, task_splits; from dsel_course.core import size, using_stand_ins; "
            "c, m, note = resolve_task(); d = task_splits(c); "
            "print(c, m, note, using_stand_ins(), size('train_examples'), {k: len(v) for k, v in d.items()})")
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.split()[:5] == ["imdb", "bert-base-uncased", "None", "True", "256"], r.stdout
    assert "'test': 8" in r.stdout                                           # IMDB's own test split, from the stand-in

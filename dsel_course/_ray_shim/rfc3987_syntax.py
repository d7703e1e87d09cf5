"""Hand-written (not generated): put first on the PYTHONPATH of Ray's processes by `dsel_course.scale.ensure_ray`.

jsonschema imports `rfc3987_syntax` if it can; that module builds a Lark grammar at import (about 7 s of CPU),
which makes Ray's dashboard agent miss the raylet's hard-coded 15 s start-up window on a busy machine
(ray-project/ray#65983). Raising ImportError here makes jsonschema skip it (it loses only IRI format checks)."""
raise ImportError("rfc3987_syntax is skipped in Ray's processes (dsel_course.scale.ensure_ray fast_start): see this file")

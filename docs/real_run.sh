#!/bin/bash
# The real run behind docs/real-*.png and docs/eval-*-bandai-val.md: index real motions from
# ../shared/data with the default checkpoint, search it in the explorer (five queries,
# one screenshot each) and evaluate the checkpoint and its dense-only baseline on the Bandai
# validation split. Run from the repository root under a display (or xvfb-run -a). The
# screenshots go to SHOTS (default docs/, replacing the committed ones).
#   bash docs/real_run.sh [BASELINE_DIR]
set -euo pipefail
export HF_HUB_OFFLINE=1
DATA=${DATA:-../shared/data}
OUT=${OUT:-runs/real}
SHOTS=${SHOTS:-docs}
CKPT=$(python3 -c "from motionlex.resources import default_model_dir; print(default_model_dir())")
mkdir -p "$OUT" "$SHOTS"
# 70 Bandai validation clips + the CMU sets (21 CMU clips with KIT-ML captions, 90 CMU trials
# with CMU's own descriptions), one index, built incrementally
motionlex index --checkpoint "$CKPT" --data "$DATA/bandai" --split val --out "$OUT/gallery.mlx"
motionlex index --checkpoint "$CKPT" --data "$DATA/cmu_kitml" --out "$OUT/gallery.mlx"
motionlex index --checkpoint "$CKPT" --data "$DATA/cmu_extra" --out "$OUT/gallery.mlx"
i=0
for q in "a person waves the left hand" \
         "a person walks forward and turns right" \
         "someone jumps forward" \
         "a person dribbles a basketball" \
         "a person raises both hands, then waves"; do
    i=$((i + 1))
    motionlex-explorer --gallery "$OUT/gallery.mlx" --checkpoint "$CKPT" --query "$q" \
        --screenshot "$SHOTS/real-$i.png" --settings "$OUT/explorer.ini" --timeout 300
    motionlex search "$q" --index "$OUT/gallery.mlx" -k 5 | tee "$OUT/search-$i.txt"
done
motionlex evaluate --checkpoint "$CKPT" --data "$DATA/bandai" --split val \
    --bvh-pairs "$DATA/raw_bvh" --out "$OUT/eval-default"
if [ $# -ge 1 ]; then
    motionlex evaluate --checkpoint "$1" --data "$DATA/bandai" --split val \
        --bvh-pairs "$DATA/raw_bvh" --out "$OUT/eval-baseline"
fi

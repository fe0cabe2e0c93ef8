/**
 * Classification metrics from class scores: top-1 and top-5 error (the paper's tables), per-class
 * accuracy and the confusion matrix. Plain arrays in, plain numbers out, so they serialise into
 * reports and checkpoints as they are.
 */
import { positiveInteger } from '../checks.js';
import { ResNetError } from '../errors.js';

export interface ClassificationMetrics {
  /** Examples counted. */
  readonly count: number;
  /** Fraction in [0, 1] whose best-scored class is wrong. */
  readonly top1Error: number;
  /** Fraction in [0, 1] whose label is not among the 5 best-scored classes (equals 0 with ≤ 5 classes). */
  readonly top5Error: number;
  /** Mean cross-entropy of the scores taken as probabilities, when they are (evaluation gives softmax averages). */
  readonly loss: number;
  /** Per class: correct / examples of that class (NaN for a class with no examples). */
  readonly perClassAccuracy: number[];
  /** confusion[label][predicted] = count. */
  readonly confusion: number[][];
}

/** How many of the `k` best-scored classes of row `i` beat the label's score, to decide top-k membership in one pass. */
function rankOfLabel(scores: ArrayLike<number>, offset: number, classes: number, label: number): number {
  const s = scores[offset + label]!;
  let rank = 0;
  // Ties count against the example (a constant score is not a correct prediction).
  for (let c = 0; c < classes; c++) if (c !== label && scores[offset + c]! >= s) rank++;
  return rank;
}

/**
 * Metrics from `scores` ([count, classes], row-major: probabilities or logits) and `labels`.
 * `loss` is the mean −log(p_label), meaningful when the scores are probabilities.
 */
export function classificationMetrics(scores: ArrayLike<number>, labels: ArrayLike<number>, classes: number): ClassificationMetrics {
  const count = labels.length;
  positiveInteger('metrics', 'classes', classes);
  if (scores.length !== count * classes)
    throw new ResNetError(`metrics: expected ${count}×${classes} = ${count * classes} scores, got ${scores.length}`);
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let top1 = 0;
  let top5 = 0;
  let loss = 0;
  for (let i = 0; i < count; i++) {
    const label = labels[i]!;
    if (!(Number.isInteger(label) && label >= 0 && label < classes))
      throw new ResNetError(`metrics: label ${label} of example ${i} is outside 0…${classes - 1}`);
    const offset = i * classes;
    let best = 0;
    for (let c = 1; c < classes; c++) if (scores[offset + c]! > scores[offset + best]!) best = c;
    confusion[label]![best]!++;
    const rank = rankOfLabel(scores, offset, classes, label);
    if (rank >= 1) top1++;
    if (rank >= 5) top5++;
    loss -= Math.log(Math.max(scores[offset + label]!, 1e-12));
  }
  const perClassAccuracy = confusion.map((row, c) => {
    const n = row.reduce((a, b) => a + b, 0);
    return n === 0 ? NaN : row[c]! / n;
  });
  return {
    count,
    top1Error: count ? top1 / count : NaN,
    top5Error: count ? top5 / count : NaN,
    loss: count ? loss / count : NaN,
    perClassAccuracy,
    confusion,
  };
}

/**
 * Weights holding NaN or ±Inf (a damaged file, or a run that diverged) would give NaN logits that
 * evaluation reports as an accuracy (issue #15), so every reader of a weights file refuses them.
 *
 * The check runs on the decoded values, where the readers hold them on the CPU, and never reads a
 * tensor back synchronously: on WebGPU that read (tfjs's canvas copy) is slow and, in Chromium 156,
 * leaves the device unusable ("A valid external Instance reference no longer exists").
 */
import { ResNetError } from '../errors.js';

/** Throws a {@link ResNetError} naming the first tensor with a NaN or infinite value, and how many there are. */
export function checkFiniteWeights(model: string, weights: Iterable<readonly [string, ArrayLike<number>]>): void {
  let total = 0;
  let first: { name: string; bad: number; size: number } | undefined;
  for (const [name, values] of weights) {
    let bad = 0;
    for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) bad++;
    if (bad === 0) continue;
    total += bad;
    first ??= { name, bad, size: values.length };
  }
  if (!first) return;
  throw new ResNetError(
    `resnet: weights for ${model} hold ${total} NaN or infinite value${total > 1 ? 's' : ''}, first in "${first.name}" (${first.bad} of ${first.size}): the file is damaged or was saved from a run that diverged`,
  );
}

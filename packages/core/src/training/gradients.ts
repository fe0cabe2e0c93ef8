/**
 * Gradients of a loss with respect to variables, as `tf.variableGrads` computes them (the same tape,
 * the same reverse order, the same accumulation, so the same numbers), but freeing memory as the
 * backward pass goes: a node's saved tensors and the gradients of its outputs are disposed as soon
 * as the node is processed. tfjs keeps all of them until the whole backward pass ends, so its peak
 * is every saved activation plus every activation's gradient at once; here it is the saved
 * activations not yet reached plus the gradients in flight (for ResNet-20 at batch 128 on onednn,
 * measured in packages/backend-onednn/README.md).
 *
 * This reads the engine's tape (`state.activeTape`, `startTape`/`endTape`), which tfjs-core 4.x
 * keeps but does not export; where an engine lacks them, `tf.variableGrads` runs instead.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ResNetError } from '../errors.js';

interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  gradient?: (dys: (tf.Tensor | null)[]) => Record<string, () => tf.Tensor>;
  saved?: tf.Tensor[];
}

interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  startTape(): void;
  endTape(): void;
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  tidy<T extends tf.TensorContainer>(name: string | (() => T), f?: () => T): T;
}

function internals(): EngineInternals | undefined {
  const e = tf.engine() as unknown as Partial<EngineInternals>;
  const ok =
    typeof e.startTape === 'function' &&
    typeof e.endTape === 'function' &&
    typeof e.scopedRun === 'function' &&
    typeof e.state?.gradientDepth === 'number';
  return ok ? (e as EngineInternals) : undefined;
}

/** The nodes on a path from one of `xs` to `y`, each with only the inputs that come from `xs`. */
function nodesFromXsToY(tape: readonly TapeNode[], xs: readonly tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromX = new Set(xs.map((x) => x.id));
  const nodeFromX = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((t) => fromX.has(t.id))) {
      nodeFromX.add(node.id);
      for (const o of node.outputs) fromX.add(o.id);
    }
  }
  const toY = new Set([y.id]);
  const nodeToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i]!;
    if (node.outputs.some((o) => toY.has(o.id))) {
      nodeToY.add(node.id);
      for (const t of Object.values(node.inputs)) toY.add(t.id);
    }
  }
  return tape
    .filter((n) => nodeFromX.has(n.id) && nodeToY.has(n.id))
    .map((n) => ({ ...n, inputs: Object.fromEntries(Object.entries(n.inputs).filter(([, t]) => fromX.has(t.id))) }));
}

/**
 * `{ value, grads }` of the scalar `f()` with respect to the trainable `variables`, grads keyed by
 * variable name, like `tf.variableGrads(f, variables)`.
 */
export function variableGrads(f: () => tf.Scalar, variables: readonly tf.Variable[]): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  const engine = internals();
  const trainable = variables.filter((v) => v.trainable);
  if (!engine || engine.state.gradientDepth > 0) return tf.variableGrads(f, trainable);
  if (trainable.length === 0) throw new ResNetError('gradients: none of the variables is trainable');
  const y = engine.scopedRun(
    () => engine.startTape(),
    () => engine.endTape(),
    () => engine.tidy('forward', f),
  );
  if (y.rank !== 0) throw new ResNetError(`gradients: the loss must be a scalar, got shape [${y.shape.join(', ')}]`);
  const tape = engine.state.activeTape!;
  const nodes = nodesFromXsToY(tape, trainable, y);
  const keep = new Set<number>(trainable.map((v) => v.id));
  return engine.tidy('backward', () => {
    const acc = new Map<number, tf.Tensor>([[y.id, tf.onesLike(y)]]);
    // Disposes t unless another gradient still is that very tensor (a gradient may pass its dy on).
    const release = (t: tf.Tensor) => {
      for (const other of acc.values()) if (other === t) return;
      t.dispose();
    };
    for (let i = nodes.length - 1; i >= 0; i--) {
      const node = nodes[i]!;
      if (!node.gradient) throw new ResNetError(`gradients: no gradient is registered for ${node.kernelName}`);
      const grads = node.gradient(node.outputs.map((o) => acc.get(o.id) ?? null));
      for (const [name, x] of Object.entries(node.inputs)) {
        if (!(name in grads)) throw new ResNetError(`gradients: ${node.kernelName}'s gradient has no entry for its input ${name}`);
        const dx = engine.tidy(() => grads[name]!());
        if (dx.dtype !== 'float32' || dx.shape.join() !== x.shape.join()) {
          throw new ResNetError(
            `gradients: ${node.kernelName}'s gradient for ${name} is ${dx.dtype} [${dx.shape.join(', ')}], expected float32 [${x.shape.join(', ')}]`,
          );
        }
        const before = acc.get(x.id);
        if (before) {
          acc.set(x.id, tf.add(before, dx));
          release(before);
          release(dx);
        } else acc.set(x.id, dx);
      }
      // This node was the last reader of its outputs' gradients and of what it saved.
      for (const o of node.outputs) {
        const g = acc.get(o.id);
        if (!g || keep.has(o.id)) continue;
        acc.delete(o.id);
        release(g);
      }
      for (const t of node.saved ?? []) t.dispose();
    }
    // What tfjs does at the end: every node's saved tensors go, and the tape with them.
    for (const node of tape) for (const t of node.saved ?? []) t.dispose();
    engine.state.activeTape = null;
    const named: tf.NamedTensorMap = {};
    for (const v of trainable) {
      const g = acc.get(v.id);
      if (g) named[v.name] = g;
    }
    if (Object.keys(named).length === 0) throw new ResNetError('gradients: no variable is connected to the loss');
    return { value: y, grads: named };
  });
}

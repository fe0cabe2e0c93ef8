/**
 * The `onednn` tfjs backend: tfjs's cpu backend (every kernel works, as plain JavaScript), with the
 * kernels where a ResNet spends its time replaced by native ones (kernels/*.ts over native/*.cc).
 *
 * Tensors live where the cpu backend keeps them, in JavaScript typed arrays, which the addon reads
 * and writes in place (no copies). Float32 outputs of the native kernels come from a pool of
 * buffers that tfjs has disposed: on these machines a freshly mapped 8 MiB buffer costs ~22 ms in
 * page faults on first touch (README.md, "Why it is built this way"), more than most kernels take, so reuse is what
 * lets oneDNN's speed show. A pooled buffer is never handed out to user code: reads return copies.
 */
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { DataId, DataType, TensorInfo, backend_util } from '@tensorflow/tfjs-core';
import type { NativeAddon } from './native_types.js';

/** Buffers below this many floats are left to the garbage collector (no page-fault cost to save). */
const POOL_MIN_FLOATS = 16 * 1024;

export interface PoolStats {
  /** Buffers and bytes waiting in the pool for reuse. */
  readonly buffers: number;
  readonly bytes: number;
  /** Outputs served from the pool, and freshly allocated. */
  readonly reused: number;
  readonly allocated: number;
  /** Bytes of pooled buffers held by live tensors now, and at most since the last `resetPeak()`. */
  readonly liveBytes: number;
  readonly peakLiveBytes: number;
}

export class OneDnnBackend extends MathBackendCPU {
  readonly addon: NativeAddon;
  /** Free buffers by length. */
  private readonly free = new Map<number, Float32Array[]>();
  private readonly pooled = new WeakSet<Float32Array>();
  /** Pooled buffers that a live tensor holds (a pooled buffer must back one tensor at a time). */
  private readonly owned = new WeakSet<Float32Array>();
  private readonly pooledBuffers = new WeakSet<ArrayBufferLike>();
  private freeBytes = 0;
  private reused = 0;
  private allocated = 0;
  private liveBytes = 0;
  private peakLiveBytes = 0;
  /** Most bytes the pool keeps waiting; past it, disposed buffers go to the garbage collector. */
  maxPoolBytes: number;
  /** Data ids the addon holds something for (reordered weights, workspaces). */
  private readonly keyed = new Set<number>();

  constructor(addon: NativeAddon, maxPoolBytes = 1024 * 1024 * 1024) {
    super();
    // The cpu backend's "install our node backend" banner: this is the native backend.
    (this as unknown as { firstUse: boolean }).firstUse = false;
    this.addon = addon;
    this.maxPoolBytes = maxPoolBytes;
  }

  /** A float32 buffer of `size` values for a kernel's output (contents undefined). */
  allocFloat32(size: number): Float32Array {
    if (size >= POOL_MIN_FLOATS) {
      const list = this.free.get(size);
      const hit = list?.pop();
      if (hit) {
        this.freeBytes -= hit.byteLength;
        this.reused++;
        return hit;
      }
      const fresh = new Float32Array(size);
      this.pooled.add(fresh);
      this.pooledBuffers.add(fresh.buffer);
      this.allocated++;
      return fresh;
    }
    return new Float32Array(size);
  }

  /**
   * Every tensor's values arrive here. A view into a pooled buffer (a cpu kernel's subarray), or a
   * pooled buffer another tensor already holds, is copied, so that recycling one tensor's buffer
   * can never change another tensor.
   */
  override write(values: backend_util.BackendValues, shape: number[], dtype: DataType): DataId {
    let v = values;
    if (ArrayBuffer.isView(v) && this.pooledBuffers.has(v.buffer)) {
      if (v instanceof Float32Array && this.pooled.has(v) && !this.owned.has(v)) {
        this.owned.add(v);
        this.liveBytes += v.byteLength;
        if (this.liveBytes > this.peakLiveBytes) this.peakLiveBytes = this.liveBytes;
      } else v = (v as Float32Array).slice();
    }
    return super.write(v, shape, dtype);
  }

  /** A float32 output tensor info of `shape` with a pooled buffer. */
  makeFloat32(shape: number[]): { info: TensorInfo; values: Float32Array } {
    const values = this.allocFloat32(shape.reduce((a, b) => a * b, 1));
    return { info: this.makeTensorInfo(shape, 'float32', values), values };
  }

  /** The float32 values of a tensor, as stored (for the addon to read). */
  f32(t: TensorInfo): Float32Array {
    const values = this.data.get(t.dataId).values;
    if (values instanceof Float32Array) return values;
    // A cpu kernel may store float32 data in another array type (Cast from bool keeps integers).
    const converted = Float32Array.from(values as ArrayLike<number>);
    this.data.get(t.dataId).values = converted;
    return converted;
  }

  /**
   * The key under which the addon keeps what belongs to a tensor (a weight's reorders, a batch
   * norm output's ReLU workspace); released when tfjs disposes the tensor's data.
   */
  tensorKey(t: TensorInfo): number {
    const id = (t.dataId as { id: number }).id;
    this.keyed.add(id);
    return id;
  }

  override disposeData(dataId: DataId, force = false): boolean {
    const entry = this.data.has(dataId) ? this.data.get(dataId) : undefined;
    const values = entry?.values;
    const released = super.disposeData(dataId, force);
    if (released && entry) {
      const id = (dataId as { id: number }).id;
      if (this.keyed.delete(id)) this.addon.release(id);
      if (values instanceof Float32Array && this.owned.delete(values)) this.liveBytes -= values.byteLength;
      if (values instanceof Float32Array && this.pooled.has(values) && this.freeBytes + values.byteLength <= this.maxPoolBytes) {
        let list = this.free.get(values.length);
        if (!list) this.free.set(values.length, (list = []));
        list.push(values);
        this.freeBytes += values.byteLength;
      }
    }
    return released;
  }

  override readSync(dataId: DataId): backend_util.BackendValues {
    const values = super.readSync(dataId);
    // A pooled buffer is reused once tfjs disposes its tensor: what user code keeps must be a copy.
    return values instanceof Float32Array && this.pooled.has(values) ? values.slice() : values;
  }

  override async read(dataId: DataId): Promise<backend_util.BackendValues> {
    return this.readSync(dataId);
  }

  poolStats(): PoolStats {
    let buffers = 0;
    for (const list of this.free.values()) buffers += list.length;
    return {
      buffers,
      bytes: this.freeBytes,
      reused: this.reused,
      allocated: this.allocated,
      liveBytes: this.liveBytes,
      peakLiveBytes: this.peakLiveBytes,
    };
  }

  /** Starts a new peak for `poolStats().peakLiveBytes`. */
  resetPeak(): void {
    this.peakLiveBytes = this.liveBytes;
  }

  /** Empties the pool and the addon's caches (primitives, reordered weights, scratch). */
  releaseMemory(): void {
    this.free.clear();
    this.freeBytes = 0;
    this.addon.clearCaches();
    this.keyed.clear();
  }

  override dispose(): void {
    this.releaseMemory();
    super.dispose();
  }
}

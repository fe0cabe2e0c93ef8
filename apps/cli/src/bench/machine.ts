/** The machine a benchmark ran on, for the table's heading and the JSON. */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGB: number;
  readonly os: string;
  readonly node: string;
  readonly tfjs: string;
  /** "torch 1.13.0, torchvision 0.14.1", or why PyTorch did not run. */
  readonly pytorch: string;
  /** "onnxruntime-node 1.30.0, onnxruntime-web 1.30.0", or why they did not run. */
  readonly onnxruntime: string;
}

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) return line.split(':')[1]!.trim();
  } catch {
    // not Linux: fall back to what Node says
  }
  return os.cpus()[0]?.model ?? 'unknown CPU';
}

export function describeMachine(pytorch: string, onnxruntime: string): Machine {
  return {
    cpu: cpuModel(),
    cores: typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length,
    memoryGB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.versions.node,
    tfjs: tf.version_core,
    pytorch,
    onnxruntime,
  };
}

export function machineLine(m: Machine): string {
  return `${m.cpu}, ${m.cores} cores, ${m.memoryGB} GB; ${m.os}; Node ${m.node}, tfjs ${m.tfjs}, ${m.pytorch}; ${m.onnxruntime}`;
}

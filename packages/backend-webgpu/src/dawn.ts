// The GPU in Node: Dawn, Chromium's WebGPU implementation, from the npm package `webgpu` (prebuilt
// inside the package for Linux, macOS and Windows). Dawn drives the GPU through Vulkan on Linux,
// Metal on macOS and D3D12 on Windows.
//
// On Linux without a GPU, SwiftShader (a Vulkan driver on the CPU, shipped by Debian's `chromium`)
// gives Dawn an adapter. When the user has not chosen a Vulkan driver (VK_ICD_FILENAMES or
// VK_DRIVER_FILES unset) and the system's drivers give no adapter, this sets
// VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json itself and asks again. That works from
// inside the process because the Vulkan loader reads the variable each time Dawn creates an instance
// (verified with webgpu 0.6.2: set after `import 'webgpu'`, and even after a first attempt without it).
// If no Vulkan loader (libvulkan.so.1) is installed either, Chromium's own copy is loaded first.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { GpuAdapterLike, GpuLike } from './gpu_types.js';
import { SWIFTSHADER_ICD, errorMessage, powerPreference, type GpuSource } from './provider.js';

/** Chromium's copy of the Vulkan loader, used when the system has none (`libvulkan1` not installed). */
const CHROMIUM_VULKAN_LOADER = '/usr/lib/chromium/libvulkan.so.1';

interface DawnModule {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}

function dawnVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    return (JSON.parse(readFileSync(require.resolve('webgpu/package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Whether a Vulkan loader is mapped into this process (Linux; `undefined` when it cannot tell). */
function vulkanLoaderLoaded(): boolean | undefined {
  try {
    return /\/libvulkan\.so/.test(readFileSync('/proc/self/maps', 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Loads a shared library for good, so that Dawn's later dlopen("libvulkan.so.1") finds it by its
 * soname. process.dlopen is meant for addons: it throws "did not self-register" and closes the
 * library again, which RTLD_NODELETE (glibc's 0x1000) turns into a no-op.
 */
function preload(file: string): boolean {
  const RTLD_NODELETE = 0x1000;
  try {
    process.dlopen({ exports: {} }, file, os.constants.dlopen.RTLD_NOW | os.constants.dlopen.RTLD_GLOBAL | RTLD_NODELETE);
  } catch {
    // expected: a Vulkan loader is not a Node addon
  }
  return vulkanLoaderLoaded() === true;
}

async function requestAdapter(gpu: GpuLike): Promise<GpuAdapterLike | null> {
  try {
    return await gpu.requestAdapter({ powerPreference: powerPreference() });
  } catch {
    return null;
  }
}

function installNavigatorGpu(gpu: GpuLike): void {
  const scope = globalThis as { navigator?: object };
  if (scope.navigator === undefined) {
    scope.navigator = { gpu }; // Node 20 has no navigator
  } else {
    // Node 21+ has one, without gpu
    Object.defineProperty(scope.navigator, 'gpu', { value: gpu, configurable: true, enumerable: true, writable: true });
  }
}

function noAdapterReason(userDriver: string | undefined, loader: boolean | undefined): string {
  const swiftshader =
    "without a GPU, install SwiftShader's Vulkan driver: apt-get install chromium (this package then uses " +
    `${SWIFTSHADER_ICD} by itself; or set VK_ICD_FILENAMES=${SWIFTSHADER_ICD} yourself)`;
  switch (process.platform) {
    case 'linux':
      if (userDriver !== undefined) {
        return (
          `no WebGPU adapter from the Vulkan driver chosen by VK_ICD_FILENAMES/VK_DRIVER_FILES=${userDriver}: ` +
          `check that the file exists and names a driver Dawn accepts (a GPU's driver, or SwiftShader: ${SWIFTSHADER_ICD}; ` +
          "Mesa's lavapipe is refused), or unset it to let this package look for one"
        );
      }
      if (loader === false) {
        return `no WebGPU adapter: no Vulkan loader (libvulkan.so.1) is installed: apt-get install libvulkan1 and your GPU's Vulkan driver; ${swiftshader}`;
      }
      return (
        "no WebGPU adapter: Dawn found no usable Vulkan driver (Mesa's lavapipe is refused). Install your GPU's Vulkan driver " +
        `(mesa-vulkan-drivers, or the NVIDIA driver); ${swiftshader}`
      );
    case 'darwin':
      return 'no WebGPU adapter: Dawn found no Metal device (macOS 11+ on a Mac with Metal support is needed)';
    case 'win32':
      return 'no WebGPU adapter: Dawn found no D3D12 or Vulkan device; update the GPU driver (Windows 10+)';
    default:
      return `no WebGPU adapter: the webgpu package has no Dawn build for ${process.platform}-${process.arch}`;
  }
}

/** Whether Linux shows a GPU device node (a DRM render node, or NVIDIA's proprietary device). */
function hasGpuDevice(): boolean {
  try {
    if (readdirSync('/dev/dri').some((d) => d.startsWith('renderD'))) return true;
  } catch {
    // no /dev/dri
  }
  return existsSync('/dev/nvidia0');
}

/** XDG_RUNTIME_DIR when it names a folder of ours with mode 0700 (what the XDG spec asks), else a new private one. */
function ensureRuntimeDir(details: Record<string, string>): void {
  const current = process.env.XDG_RUNTIME_DIR;
  if (current) {
    try {
      const st = statSync(current);
      if (st.isDirectory() && (st.mode & 0o777) === 0o700 && st.uid === process.getuid?.()) return;
    } catch {
      // missing: replaced below
    }
  }
  try {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'resnet-xdg-'));
    process.env.XDG_RUNTIME_DIR = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    details.xdgRuntimeDir = `${process.env.XDG_RUNTIME_DIR} (set by @resnet/backend-webgpu: ${current ? `${current} is not a private folder of this user` : 'none was set'})`;
  } catch {
    // a read-only tmp: Dawn prints its line, nothing else changes
  }
}

/** Sets Dawn up as navigator.gpu (once; the provider calls this on its first probe). */
export async function dawnGpu(): Promise<GpuSource> {
  const details: Record<string, string> = { tfjs: tf.version_core, node: process.version };

  // An existing navigator.gpu (Deno, Bun, or set up by the application) is used as it is.
  const existing = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
  if (existing) {
    details.gpu = 'navigator.gpu (set up before @resnet/backend-webgpu)';
    const adapter = await requestAdapter(existing);
    return adapter
      ? { gpu: existing, adapter, details }
      : { details, reason: 'no WebGPU adapter: navigator.gpu.requestAdapter() returned null' };
  }

  let dawn: DawnModule;
  try {
    dawn = (await import('webgpu')) as unknown as DawnModule;
  } catch (e) {
    return {
      details,
      reason:
        `Dawn, the WebGPU implementation for Node (npm package "webgpu", an optional dependency of @resnet/backend-webgpu), ` +
        `could not be loaded (${errorMessage(e)}): npm install webgpu (installs that omit optional dependencies skip it)`,
    };
  }
  details.dawn = `webgpu ${dawnVersion()}`;
  for (const [name, value] of Object.entries(dawn.globals)) {
    if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  }

  // Dawn's Vulkan window-system code prints "error: XDG_RUNTIME_DIR is invalid or not set" twice
  // per instance when the session has none (ssh, containers, CI): give it a private one, as a login does.
  ensureRuntimeDir(details);
  const userDriver = process.env.VK_ICD_FILENAMES ?? process.env.VK_DRIVER_FILES;
  if (userDriver !== undefined) details.vulkanDriver = `${userDriver} (VK_ICD_FILENAMES/VK_DRIVER_FILES)`;
  // Without a GPU device node no hardware Vulkan driver can give an adapter, and the software ones
  // Mesa installs (lavapipe) are refused by Dawn with a native warning on stderr: go straight to
  // SwiftShader then, as the fallback below would, without that noise.
  const straightToSwiftShader = userDriver === undefined && process.platform === 'linux' && !hasGpuDevice() && existsSync(SWIFTSHADER_ICD);
  let gpu = straightToSwiftShader ? undefined : dawn.create([]);
  let adapter = gpu ? await requestAdapter(gpu) : null;
  let loader = process.platform === 'linux' ? vulkanLoaderLoaded() : undefined;

  if (!adapter && userDriver === undefined && process.platform === 'linux' && existsSync(SWIFTSHADER_ICD)) {
    const notes = [
      `${SWIFTSHADER_ICD} (VK_ICD_FILENAMES, set by @resnet/backend-webgpu: ${straightToSwiftShader ? 'no GPU device in /dev/dri or /dev/nvidia*' : 'no other Vulkan driver gave an adapter'})`,
    ];
    if (loader === false && existsSync(CHROMIUM_VULKAN_LOADER)) {
      loader = preload(CHROMIUM_VULKAN_LOADER);
      if (loader) notes.push(`Vulkan loader ${CHROMIUM_VULKAN_LOADER} (no libvulkan1)`);
    }
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    gpu = dawn.create([]);
    adapter = await requestAdapter(gpu);
    details.vulkanDriver = notes.join('; ');
  }
  if (!adapter || !gpu) return { details, reason: noAdapterReason(userDriver, loader) };
  installNavigatorGpu(gpu);
  return { gpu, adapter, details };
}

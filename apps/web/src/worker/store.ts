/**
 * Weights saved in the browser: core's saveWeights/loadModel on `indexeddb://<name>` (tfjs's own
 * IndexedDB store), and beside them, in a small database of the page's own, what classifying needs and
 * the weights do not carry: the training mean and the class names.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ResNetError, loadModel, saveWeights, type ResNet } from '@resnet/core';
import type { SavedModel } from '../protocol';

const DB = 'resnet-web';
const STORE = 'meta';
const SCHEME = 'indexeddb://';

export interface SavedMeta {
  readonly model: string;
  readonly dataset: string;
  readonly savedAt: string;
  readonly mean?: Float32Array;
  readonly classNames: readonly string[];
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });
}

async function withStore<T>(mode: IDBTransactionMode, fn: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const open = indexedDB.open(DB, 1);
  open.onupgradeneeded = () => open.result.createObjectStore(STORE);
  const db = await request(open);
  try {
    return await request(fn(db.transaction(STORE, mode).objectStore(STORE)));
  } finally {
    db.close();
  }
}

/** Names become IndexedDB keys: keep them short and plain so the list reads well. */
export function checkName(name: string): string {
  const trimmed = name.trim();
  if (!/^[\w.-]{1,64}$/.test(trimmed)) {
    throw new ResNetError(`save: the name must be 1–64 letters, digits, '.', '-' or '_', got ${JSON.stringify(name)}`);
  }
  return trimmed;
}

export async function saveToBrowser(model: ResNet, name: string, meta: SavedMeta): Promise<void> {
  const key = checkName(name);
  await saveWeights(model, SCHEME + key);
  await withStore('readwrite', (s) => s.put(meta, key));
}

export async function loadFromBrowser(name: string): Promise<{ model: ResNet; meta: SavedMeta | undefined }> {
  const model = await loadModel(SCHEME + name);
  const meta = (await withStore('readonly', (s) => s.get(name))) as SavedMeta | undefined;
  return { model, meta };
}

export async function deleteFromBrowser(name: string): Promise<void> {
  await tf.io.removeModel(SCHEME + name);
  await withStore('readwrite', (s) => s.delete(name));
}

export async function listSaved(): Promise<SavedModel[]> {
  const models = await tf.io.listModels();
  const out: SavedModel[] = [];
  for (const url of Object.keys(models)) {
    if (!url.startsWith(SCHEME)) continue;
    const name = url.slice(SCHEME.length);
    const meta = (await withStore('readonly', (s) => s.get(name))) as SavedMeta | undefined;
    out.push({
      name,
      model: meta?.model ?? '?',
      dataset: meta?.dataset ?? 'unknown data',
      savedAt: meta?.savedAt ?? new Date(models[url]!.dateSaved).toISOString(),
      hasMean: meta?.mean !== undefined,
    });
  }
  return out.sort((a, b) => b.savedAt.localeCompare(a.savedAt));
}

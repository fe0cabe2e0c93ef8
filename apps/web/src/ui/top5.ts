// A classification result: the crop the model saw (32×32 for the CIFAR nets, 224×224 for the
// pretrained ones), and the five most likely classes as bars.
import type { Prediction } from '../protocol';
import { byId, element } from './dom';

/** The elements a result goes into: the Classify card's, or the pretrained card's. */
export interface ResultIds {
  readonly preview: string;
  readonly name: string;
  readonly list: string;
}

export const CLASSIFY_IDS: ResultIds = { preview: 'preview', name: 'classified-name', list: 'top5' };
export const PRETRAINED_IDS: ResultIds = { preview: 'pth-preview', name: 'pth-classified-name', list: 'pth-top5' };

export function showClassification(
  ids: ResultIds,
  name: string,
  top: readonly Prediction[],
  probabilities: readonly number[],
  preview: Uint8ClampedArray,
): void {
  const canvas = byId<HTMLCanvasElement>(ids.preview);
  const side = Math.round(Math.sqrt(preview.length / 4));
  canvas.width = side;
  canvas.height = side;
  canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(preview), side, side), 0, 0);
  byId(ids.name).textContent = name;
  const list = byId(ids.list);
  list.dataset.sum = String(probabilities.reduce((a, b) => a + b, 0));
  list.replaceChildren(
    ...top.map((p) => {
      const percent = (p.probability * 100).toFixed(1);
      const bar = element('span', { className: 'bar' });
      bar.style.width = `${Math.max(0.5, p.probability * 100)}%`;
      const row = element('li', {}, [
        element('span', { className: 'label', textContent: p.label }),
        element('span', { className: 'track' }, [bar]),
        element('span', { className: 'value', textContent: `${percent}%` }),
      ]);
      row.dataset.index = String(p.index);
      row.dataset.label = p.label;
      row.dataset.probability = String(p.probability);
      return row;
    }),
  );
}

// The classification result: the 32×32 crop the model saw, and the five most likely classes as bars.
import type { Prediction } from '../protocol';
import { byId, element } from './dom';

export function showClassification(
  name: string,
  top: readonly Prediction[],
  probabilities: readonly number[],
  preview: Uint8ClampedArray,
): void {
  const canvas = byId<HTMLCanvasElement>('preview');
  const side = Math.round(Math.sqrt(preview.length / 4));
  canvas.width = side;
  canvas.height = side;
  canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(preview), side, side), 0, 0);
  byId('classified-name').textContent = name;
  const list = byId('top5');
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
      row.dataset.label = p.label;
      row.dataset.probability = String(p.probability);
      return row;
    }),
  );
}

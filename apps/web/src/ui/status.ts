// The status line and the error list: every failure the worker reports is shown in the page, named
// by the part it belongs to, newest first.
import type { ErrorContext } from '../protocol';
import { byId, element } from './dom';

const TITLES: Record<ErrorContext, string> = {
  backend: 'Backend',
  model: 'Model',
  data: 'Data',
  train: 'Training',
  classify: 'Classification',
  weights: 'Weights',
  responses: 'Layer responses',
  pretrained: 'Pretrained weights',
  finetune: 'Fine-tuning',
};

export function showStatus(text: string): void {
  byId('status').textContent = text;
}

export function showError(context: ErrorContext, message: string): void {
  const list = byId('errors');
  const item = element('li', { className: 'error' }, [element('strong', {}, [`${TITLES[context]}: `]), message]);
  item.dataset.context = context;
  item.append(element('button', { className: 'dismiss', title: 'dismiss', textContent: '×', onclick: () => item.remove() }));
  list.prepend(item);
  showStatus(`${TITLES[context]} failed (see the message below)`);
}

export function clearErrors(context?: ErrorContext): void {
  for (const item of Array.from(byId('errors').children)) {
    if (context === undefined || (item as HTMLElement).dataset.context === context) item.remove();
  }
}

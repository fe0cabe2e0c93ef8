// The pretrained-weights card: what was loaded, the classes the user builds for fine-tuning (kept in
// the page: File objects, sent to the worker when training starts), and the fine-tuning progress.
import type { FinetunedInfo, FinetuneProgress, FinetuneState, HeadChoice, PretrainedInfo } from '../protocol';
import { button, byId, element, formatNumber } from './dom';

const FACTS = [
  'pth-network',
  'pth-identified',
  'pth-layout',
  'pth-params',
  'pth-file-name',
  'pth-sha256',
  'pth-entry',
  'pth-preprocessing',
  'pth-classes',
];

/** What the head picker can show: the file's classes, and those of a fine-tuned head once there is one. */
let loaded: PretrainedInfo | undefined;
let finetuned: FinetunedInfo | undefined;

function head(): HTMLSelectElement {
  return byId<HTMLSelectElement>('pth-head');
}

function finetunedOption(): HTMLOptionElement {
  return head().querySelector<HTMLOptionElement>('option[value="finetuned"]')!;
}

/** The head the next photo is classified with. */
export function chosenHead(): HeadChoice {
  return head().value === 'finetuned' && finetuned ? 'finetuned' : 'imagenet';
}

export function showHeadClasses(): void {
  const el = byId('pth-classes');
  if (chosenHead() === 'finetuned' && finetuned) {
    el.textContent = `${finetuned.classNames.length} classes: ${finetuned.classNames.join(', ')} (fine-tuned head: ${finetuned.description})`;
    el.dataset.count = String(finetuned.classNames.length);
  } else {
    el.textContent = loaded?.classes ?? '–';
    el.dataset.count = loaded ? String(loaded.numClasses) : '';
  }
}

function clearResult(): void {
  byId('pth-top5').replaceChildren();
  byId('pth-classified-name').textContent = '';
}

/** Nothing loaded (a new worker starts from nothing). */
export function resetPretrained(): void {
  loaded = undefined;
  finetuned = undefined;
  for (const id of FACTS) byId(id).textContent = '–';
  byId('pth-notes').replaceChildren();
  finetunedOption().disabled = true;
  finetunedOption().textContent = 'fine-tuned on this page';
  head().value = 'imagenet';
  clearResult();
  showFinetuneState('idle', '');
  document.body.dataset.pretrained = '';
}

export function showPretrained(info: PretrainedInfo): void {
  resetPretrained();
  loaded = info;
  byId('pth-network').textContent = `${info.label} (${info.name})`;
  byId('pth-identified').textContent = info.identifiedBy;
  byId('pth-layout').textContent = info.layout;
  byId('pth-params').textContent = info.params.toLocaleString('en-US');
  byId('pth-file-name').textContent = `${info.file} (${(info.bytes / 1e6).toFixed(1)} MB)`;
  byId('pth-sha256').textContent = `${info.sha256.slice(0, 16)}…: ${info.checksum}`;
  byId('pth-sha256').title = info.sha256;
  byId('pth-entry').textContent = info.entry
    ? `${info.entry.name} (${info.entry.torchvision}): top-1 ${info.entry.top1}%, top-5 ${info.entry.top5}% on ImageNet-1k val, as torchvision publishes them`
    : 'none: the file name is not one of the catalogue';
  byId('pth-preprocessing').textContent = info.preprocessing.source;
  byId('pth-notes').replaceChildren(...info.notes.map((n) => element('li', { textContent: n })));
  showHeadClasses();
  document.body.dataset.pretrained = info.name;
}

export function showFinetuned(info: FinetunedInfo): void {
  finetuned = info;
  const option = finetunedOption();
  option.disabled = false;
  option.textContent = `fine-tuned: ${info.classNames.join(', ')}`;
  head().value = 'finetuned';
  showHeadClasses();
}

export function showFinetuneProgress(p: FinetuneProgress): void {
  const iteration = byId('ft-iteration');
  iteration.textContent = `${p.iteration} / ${p.iterations}`;
  iteration.dataset.value = String(p.iteration);
  const loss = byId('ft-loss');
  loss.textContent = formatNumber(p.loss, 4);
  loss.dataset.value = String(p.loss);
  const first = byId('ft-first-loss');
  first.textContent = formatNumber(p.firstLoss, 4);
  first.dataset.value = String(p.firstLoss);
  byId('ft-speed').textContent = formatNumber(p.imagesPerSecond, 1);
  byId('ft-lr-now').textContent = Number.isFinite(p.learningRate) ? String(Number(p.learningRate.toPrecision(3))) : '–';
  const chart = byId('ft-loss-chart');
  chart.innerHTML = p.lossChart;
  chart.dataset.points = String(p.points);
}

export function showFinetuneState(state: FinetuneState, detail: string): void {
  byId('ft-state').textContent = detail ? `${state}: ${detail}` : state;
  document.body.dataset.finetune = state;
  const busy = state === 'preparing' || state === 'running';
  button('ft-start').disabled = busy;
  button('ft-stop').disabled = state !== 'running';
  if (state === 'preparing') {
    for (const id of ['ft-iteration', 'ft-loss', 'ft-first-loss', 'ft-speed', 'ft-lr-now'])
      byId(id).textContent = id === 'ft-iteration' ? '0' : '–';
    byId('ft-loss-chart').replaceChildren();
    byId('ft-loss-chart').dataset.points = '0';
  }
}

/** The classes for fine-tuning, in the order they were made (the order of the new head's outputs). */
export interface PageClass {
  readonly name: string;
  readonly files: File[];
}

export const classes: PageClass[] = [];

const IMAGE_NAME = /\.(jpe?g|png|webp|gif|bmp)$/i;

function isImage(file: File): boolean {
  return file.type.startsWith('image/') || IMAGE_NAME.test(file.name);
}

/**
 * Adds `files` to the class `name` (made if new). Returns what was left out and why, for the page
 * to show; throws when nothing could be added.
 */
export function addImages(name: string, files: readonly File[]): string | undefined {
  const trimmed = name.trim();
  if (trimmed === '') throw new Error('give the class a name (the field above the drop zone) before adding its images');
  const images = files.filter(isImage);
  const others = files.filter((f) => !isImage(f));
  if (images.length === 0)
    throw new Error(
      `${files.length === 0 ? 'no files were given' : `${others.map((f) => f.name).join(', ')} ${others.length === 1 ? 'is not an image' : 'are not images'}`}: expected JPEG or PNG photos for class ${JSON.stringify(trimmed)}`,
    );
  const existing = classes.find((c) => c.name === trimmed);
  if (existing) existing.files.push(...images);
  else classes.push({ name: trimmed, files: [...images] });
  renderClasses();
  return others.length > 0
    ? `left out ${others.map((f) => f.name).join(', ')}: not an image (class ${JSON.stringify(trimmed)})`
    : undefined;
}

/** What happens to images dropped onto a class's row (main.ts adds them, showing any error). */
let dropHandler: ((name: string, files: File[]) => void) | undefined;

export function onClassDrop(handler: (name: string, files: File[]) => void): void {
  dropHandler = handler;
}

export function renderClasses(): void {
  const list = byId('ft-classes');
  list.dataset.count = String(classes.length);
  if (classes.length === 0) {
    list.replaceChildren(element('li', { className: 'note', textContent: 'no classes yet' }));
    return;
  }
  list.replaceChildren(
    ...classes.map((c, i) => {
      const shown = c.files.slice(0, 4).map((f) => f.name);
      const item = element('li', {}, [
        element('span', {
          textContent: `${c.name}: ${c.files.length} image${c.files.length === 1 ? '' : 's'} (${shown.join(', ')}${c.files.length > 4 ? ', …' : ''})`,
        }),
        element('button', {
          type: 'button',
          className: 'delete',
          textContent: 'Remove',
          onclick: () => {
            classes.splice(i, 1);
            renderClasses();
          },
        }),
      ]);
      item.dataset.name = c.name;
      item.dataset.images = String(c.files.length);
      item.title = 'drop more images here to add them to this class';
      // More images for this class: dropped onto its row.
      item.ondragover = (e) => {
        e.preventDefault();
        item.classList.add('over');
      };
      item.ondragleave = () => item.classList.remove('over');
      item.ondrop = (e) => {
        e.preventDefault();
        item.classList.remove('over');
        dropHandler?.(c.name, Array.from(e.dataTransfer?.files ?? []));
      };
      return item;
    }),
  );
}

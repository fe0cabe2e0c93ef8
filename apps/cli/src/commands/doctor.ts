import { autoOrder, backendProviders, probeBackends } from '@resnet/core';
import { loadBackends } from '../backend.js';
import { table, type Output } from '../output.js';

export const DOCTOR_HELP = `resnet doctor [--json]

Lists every backend: whether it can run on this machine, why not, the device or adapter it found,
versions, and warnings (e.g. a CUDA build that silently runs on the CPU). The backend that
--backend auto picks is marked.`;

/** Lines of at most `width` characters: `first` then `rest` as indentation, broken between words (a longer word stays whole). */
export function wrapText(text: string, width: number, first = '  ', rest = '    '): string[] {
  const lines: string[] = [];
  let line = first;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const indent = lines.length === 0 ? first : rest;
    if (line.length > indent.length && line.length + 1 + word.length > width) {
      lines.push(line);
      line = rest + word;
    } else line += (line.length > indent.length ? ' ' : '') + word;
  }
  lines.push(line);
  return lines;
}

/** The terminal's width, or 100 columns when it is not a terminal; never below 60. */
const outputWidth = (): number => Math.max(60, Math.min(process.stdout.columns ?? 100, 160));

export async function doctorCommand(flags: { json: boolean }, io: Output): Promise<number> {
  await loadBackends();
  const statuses = await probeBackends();
  const auto = autoOrder(statuses)[0]?.name;
  if (flags.json) {
    io.out(JSON.stringify({ auto: auto ?? null, backends: statuses }, null, 2));
    return 0;
  }
  const priority = new Map(backendProviders().map((p) => [p.name, p.priority]));
  const rows = statuses.map((s) => [
    s.name === auto ? `${s.name} *` : s.name,
    s.available ? 'yes' : 'no',
    s.available ? (s.device ?? '') : '-',
  ]);
  io.out(table(['backend', 'runs here', 'device'], rows, [false, false, false]));
  const width = outputWidth();
  const section = (title: string, lines: string[]): void => {
    if (lines.length) io.out(`\n${title}:\n${lines.flatMap((l) => wrapText(l, width)).join('\n')}`);
  };
  section(
    'why not',
    statuses.filter((s) => !s.available).map((s) => `${s.name}: ${s.reason ?? 'unavailable'}`),
  );
  section(
    'warnings',
    statuses.flatMap((s) => (s.warnings ?? []).map((w) => `${s.name}: ${w}`)),
  );
  section(
    'details',
    statuses
      .filter((s) => s.details && Object.keys(s.details).length)
      .map(
        (s) =>
          `${s.name}: ${Object.entries(s.details!)
            .map(([k, v]) => `${k} ${v}`)
            .join('; ')}`,
      ),
  );
  io.out(
    auto
      ? `\n${wrapText(`* auto picks ${auto} (order: ${[...priority.keys()].join(' → ')}; software devices such as SwiftShader after native ones)`, width, '', '  ').join('\n')}`
      : '\nno backend can run here',
  );
  return 0;
}

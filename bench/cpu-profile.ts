import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly hitCount?: number;
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileSummary {
  readonly totalMs: number;
  /** Self time by area of code (our lambdas, zod, node:http…), largest first. */
  readonly byArea: readonly { area: string; ms: number; share: number }[];
  /** Self time by function, largest first. */
  readonly topFunctions: readonly { name: string; ms: number; share: number }[];
}

/**
 * Summarizes the main thread's `.cpuprofile` from a `node --cpu-prof` run: where the process spent its CPU. Other
 * threads (tsx's module loader runs in one) leave their own, nearly idle, profiles; the busiest one is the server.
 */
export async function summarizeCpuProfiles(folder: string, top = 15): Promise<ProfileSummary> {
  const byArea = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let totalMs = 0;
  const profiles: CpuProfile[] = [];
  for (const name of (await readdir(folder)).filter((file) => file.endsWith('.cpuprofile'))) {
    profiles.push(JSON.parse(await readFile(path.join(folder, name), 'utf8')) as CpuProfile);
  }
  const busiest = profiles.sort((a, b) => busyShare(b) - busyShare(a))[0];
  for (const profile of busiest ? [busiest] : []) {
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    profile.samples.forEach((nodeId, index) => {
      const ms = (profile.timeDeltas[index] ?? 0) / 1000;
      const node = nodes.get(nodeId);
      if (!node) return;
      totalMs += ms;
      const frame = node.callFrame;
      const area = areaOf(frame.url, frame.functionName);
      byArea.set(area, (byArea.get(area) ?? 0) + ms);
      const where = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : area;
      const label = `${frame.functionName || '(anonymous)'} ${where}`;
      byFunction.set(label, (byFunction.get(label) ?? 0) + ms);
    });
  }
  const ranked = (entries: Map<string, number>) =>
    [...entries.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([key, ms]) => ({ key, ms, share: totalMs > 0 ? ms / totalMs : 0 }));
  return {
    totalMs,
    byArea: ranked(byArea).map(({ key, ms, share }) => ({ area: key, ms, share })),
    topFunctions: ranked(byFunction)
      .slice(0, top)
      .map(({ key, ms, share }) => ({ name: key, ms, share })),
  };
}

function busyShare(profile: CpuProfile): number {
  const idle = new Set(
    profile.nodes.filter((node) => node.callFrame.functionName === '(idle)').map((node) => node.id),
  );
  const busy = profile.samples.filter((nodeId) => !idle.has(nodeId)).length;
  return profile.samples.length === 0 ? 0 : busy / profile.samples.length;
}

function areaOf(url: string, functionName: string): string {
  if (!url) {
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(garbage collector)') return 'garbage collection';
    if (functionName === '(program)') return 'native (program)';
    return `native ${functionName || '(anonymous)'}`;
  }
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dependency) return dependency[1]!;
  if (url.startsWith('node:')) {
    const module = url.replace(/^node:internal\//, '').split('/')[0]!;
    return `node:${module.replace(/^node:/, '')}`;
  }
  const ours = /\/(lambdas\/[^/]+)\//.exec(url);
  return ours ? ours[1]! : shortUrl(url);
}

function shortUrl(url: string): string {
  return url.replace(/^file:\/\/.*?\/(lambdas|node_modules|bin)\//, '$1/');
}

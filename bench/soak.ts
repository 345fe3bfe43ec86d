/**
 * `--soak`: mixed load on our server alone for the whole duration ({ __typename }, refreshToken
 * rotation, and `me` beside 20 logins, all at once) while its resident set is sampled every 5 s.
 * Issue 8 asks RSS to stay flat within 10%: the median of the last fifth of the samples against
 * the median of the second fifth (the first fifth is warm-up: JIT, pools, caches filling).
 * Beside RSS it samples the V8 heap the server reports on /metrics (metrics are on in the bench):
 * RSS also holds argon2's 19 MiB per hash in flight, so a heap that stays level while RSS moves
 * says the movement is native memory in use at that moment, not JavaScript objects kept.
 */
import { problemsOf, type Rounds } from "./report.js";
import type { Scenario, ScenarioKey } from "./scenarios.js";
import { residentMb, type ServerProcess } from "./server-process.js";

const SAMPLE_EVERY_MS = 5_000;
const MIXED: readonly ScenarioKey[] = ["ours.typename", "ours.refresh", "ours.me-during-logins"];

/** The V8 heap the server has committed, in MB, from its own /metrics; NaN when it does not answer. */
async function v8HeapMb(url: string): Promise<number> {
  try {
    const exposition = await (await fetch(`${url}/metrics`)).text();
    const match = /^nodejs_heap_size_total_bytes (\d+(?:\.\d+)?)$/m.exec(exposition);
    return match ? Number(match[1]) / 1024 / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** The median of the second fifth of a series (after warm-up) and of its last fifth. */
function settledAndEnd(series: readonly number[]): { settled: number; end: number } {
  const fifth = Math.max(1, Math.floor(series.length / 5));
  return { settled: median(series.slice(fifth, 2 * fifth)), end: median(series.slice(-fifth)) };
}

export async function soak(
  ours: ServerProcess,
  scenarios: readonly Scenario[],
  durationSeconds: number,
  connections: number,
): Promise<string[]> {
  const samples: number[] = [residentMb(ours.pid, "VmRSS")];
  const heapSamples: Promise<number>[] = [v8HeapMb(ours.url)];
  const timer = setInterval(() => {
    samples.push(residentMb(ours.pid, "VmRSS"));
    heapSamples.push(v8HeapMb(ours.url));
  }, SAMPLE_EVERY_MS);
  const mixed = scenarios.filter((s) => MIXED.includes(s.key));
  let results: Awaited<ReturnType<Scenario["run"]>>[];
  try {
    results = await Promise.all(mixed.map((s) => s.run()));
  } finally {
    clearInterval(timer);
  }
  samples.push(residentMb(ours.pid, "VmRSS"));
  const heap = await Promise.all(heapSamples);
  const rounds: Rounds = new Map(mixed.map((s, i) => [s.key, [results[i] as (typeof results)[number]]]));
  for (const [i, s] of mixed.entries()) {
    const r = results[i];
    if (r) console.log(`${s.label}: ${r.requestsPerSecond.toFixed(0)} req/s, p99 ${r.p99Ms.toFixed(1)} ms, ${r.errors} errors`);
  }
  const { settled, end } = settledAndEnd(samples);
  const growth = end / settled - 1;
  const flat = Math.abs(growth) <= 0.1;
  console.log(`RSS every ${SAMPLE_EVERY_MS / 1000} s (MB): ${samples.map((mb) => mb.toFixed(0)).join(" ")}`);
  console.log(`V8 heap committed, same times (MB): ${heap.map((mb) => mb.toFixed(0)).join(" ")}`);
  const heapLevels = settledAndEnd(heap);
  console.log(`V8 heap after warm-up ${heapLevels.settled.toFixed(0)} MB, at the end ${heapLevels.end.toFixed(0)} MB`);
  console.log(
    `RSS after warm-up ${settled.toFixed(0)} MB, at the end ${end.toFixed(0)} MB (${(growth * 100).toFixed(1)}%): ` +
      `${flat ? "flat within 10%" : "NOT flat within 10%"}; peak ${residentMb(ours.pid, "VmHWM").toFixed(0)} MB` +
      (durationSeconds < 300 ? ` (a ${durationSeconds} s soak: too short to judge; the issue asks for 300 s)` : ""),
  );
  const problems = problemsOf(rounds, connections);
  if (!flat) problems.push("RSS grew more than 10% during the soak");
  return problems;
}

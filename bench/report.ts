/** Medians over the rounds, the scenario table, the issue's ratios, peak RSS, and the run's problems. */
import type { Sample, Scenario, ScenarioKey } from "./scenarios.js";

export type Rounds = Map<ScenarioKey, Sample[]>;

function median(values: readonly number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function medianOf(rounds: Rounds, key: ScenarioKey, field: "requestsPerSecond" | "p50Ms" | "p99Ms"): number {
  return median((rounds.get(key) ?? []).map((sample) => sample[field]));
}

function table(header: string[], lines: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? "").length)));
  const format = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
  return [format(header), widths.map((w) => "-".repeat(w)).join("  "), ...lines.map(format)].join("\n");
}

const fixed = (value: number, digits: number) => (Number.isNaN(value) ? "-" : value.toFixed(digits));

/** The ratios issue 8 sets goals for, each with its goal; a missing side prints "-". */
const RATIOS: readonly { label: string; goal: string; of: ScenarioKey; to: ScenarioKey; field?: "p99Ms" }[] = [
  { label: "ours { __typename } / bare Apollo { __typename }", goal: ">= 0.9", of: "ours.typename", to: "apollo.typename" },
  { label: "ours me / bare Apollo me", goal: ">= 0.85", of: "ours.me", to: "apollo.me" },
  { label: "ours me / Yoga me", goal: ">= 1.0", of: "ours.me", to: "yoga.me" },
  { label: "ours refreshToken / ours { __typename }", goal: ">= 0.5 (SQLite)", of: "ours.refresh", to: "ours.typename" },
  { label: "ours refreshToken / raw compare-and-set UPDATE", goal: "(PostgreSQL: report)", of: "ours.refresh", to: "raw.cas" },
  { label: "ours login / raw argon2id verify", goal: ">= 0.8", of: "ours.login", to: "raw.argon2" },
  { label: "ours login / raw argon2id + our login's statements", goal: "(PostgreSQL: report)", of: "ours.login", to: "raw.login" },
  { label: "me p99 with logins running / idle me p99", goal: "< 2", of: "ours.me-during-logins", to: "ours.me", field: "p99Ms" },
];

export function printReport(scenarios: readonly Scenario[], rounds: Rounds, rssMb: Record<string, number>): void {
  const lines = scenarios.map(({ key, label }) => {
    const samples = rounds.get(key) ?? [];
    return [
      label,
      fixed(medianOf(rounds, key, "requestsPerSecond"), 0),
      fixed(medianOf(rounds, key, "p50Ms"), 1),
      fixed(medianOf(rounds, key, "p99Ms"), 1),
      String(samples.reduce((sum, s) => sum + s.errors, 0)),
    ];
  });
  console.log(table(["scenario (median of rounds)", "req/s", "p50 ms", "p99 ms", "errors"], lines));
  const ratioLines = RATIOS.filter(({ of, to }) => rounds.has(of) && rounds.has(to)).map(({ label, goal, of, to, field }) => {
    const f = field ?? "requestsPerSecond";
    return [label, fixed(medianOf(rounds, of, f) / medianOf(rounds, to, f), 2), goal];
  });
  console.log(`\n${table(["ratio", "value", "goal"], ratioLines)}`);
  console.log(
    `\npeak RSS (VmHWM): ${Object.entries(rssMb)
      .map(([name, mb]) => `${name} ${fixed(mb, 0)} MB`)
      .join(", ")}`,
  );
}

/** What makes the run fail: failed requests, broken rotation chains, cookies that stopped rotating. */
export function problemsOf(rounds: Rounds, connections: number): string[] {
  const problems: string[] = [];
  for (const [key, samples] of rounds) {
    if (samples.some((s) => s.errors > 0)) problems.push(`${key}: some requests failed`);
  }
  for (const { rotation, errors } of rounds.get("ours.refresh") ?? []) {
    if (!rotation) continue;
    console.log(
      `refreshToken: ${rotation.rotations} rotations carried forward; ${rotation.intact}/${connections} sessions still refreshed`,
    );
    if (rotation.intact < connections) problems.push("a session's rotation chain broke during the run");
    // Within REFRESH_REUSE_GRACE a stale cookie is answered with the same successor, so a client that
    // stopped carrying cookies forward would still succeed; only the count of new cookies shows it.
    if (rotation.rotations < rotation.total - errors - connections)
      problems.push("refreshToken answers did not rotate the cookie on every request");
  }
  return problems;
}

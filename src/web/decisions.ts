import type { ApprovalEntry, Approvals, Decision, ReportPair, ReportRun } from '../model.js';

/** The part of the Web Storage API the decisions use (localStorage in the page; a Map in tests). */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** Where a report's decisions are kept: one key per run id, so two reports never share decisions. */
export const storageKey = (reportId: string): string => `nectar-loss-decisions:${reportId}`;

const isDecision = (v: unknown): v is Decision => v === 'accept' || v === 'reject' || v === 'variant';

/** What one undo step restores: each path's decision before the step (undefined: undecided). */
type Step = { path: string; before: Decision | undefined }[];

/**
 * The reviewer's decisions on one report: path -> decision, persisted after every change (so a reload
 * finds them), with undo by steps (one decision, or one "accept all shown").
 */
export class DecisionState {
  private readonly decided = new Map<string, Decision>();
  private readonly steps: Step[] = [];

  constructor(
    readonly reportId: string,
    private readonly store?: KeyValueStore,
  ) {
    const saved = this.read();
    for (const [p, d] of Object.entries(saved)) if (isDecision(d)) this.decided.set(p, d);
  }

  private read(): Record<string, unknown> {
    try {
      const v: unknown = JSON.parse(this.store?.getItem(storageKey(this.reportId)) ?? '{}');
      return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  }

  private save(): void {
    try {
      this.store?.setItem(storageKey(this.reportId), JSON.stringify(Object.fromEntries(this.decided)));
    } catch {
      // A full or disabled storage: the decisions still hold for this page's life.
    }
  }

  get(path: string): Decision | undefined {
    return this.decided.get(path);
  }

  /** Decides every path given (one undo step); returns the paths whose decision changed. */
  decide(paths: readonly string[], decision: Decision): string[] {
    const step: Step = paths
      .filter((p) => this.decided.get(p) !== decision)
      .map((p) => ({ path: p, before: this.decided.get(p) }));
    if (!step.length) return [];
    for (const s of step) this.decided.set(s.path, decision);
    this.steps.push(step);
    this.save();
    return step.map((s) => s.path);
  }

  /** Takes back the last step; returns the paths it changed (none when there is nothing to undo). */
  undo(): string[] {
    const step = this.steps.pop();
    if (!step) return [];
    for (const s of step)
      if (s.before === undefined) this.decided.delete(s.path);
      else this.decided.set(s.path, s.before);
    this.save();
    return step.map((s) => s.path);
  }

  /** How many pairs have each decision, and in all. */
  counts(): Record<Decision, number> & { decided: number } {
    const c = { accept: 0, reject: 0, variant: 0, decided: this.decided.size };
    for (const d of this.decided.values()) c[d]++;
    return c;
  }

  /** approvals.json: the decided pairs among `pairs` (in their order), with the hashes the report showed. */
  approvals(run: ReportRun, pairs: readonly ReportPair[]): Approvals {
    const entries: ApprovalEntry[] = [];
    for (const p of pairs) {
      const decision = this.decided.get(p.name);
      if (decision && p.approval)
        entries.push({ path: p.name, decision, baseline: p.approval.baseline, current: p.approval.current });
    }
    return {
      nectarLossApprovals: 1,
      report: run.id,
      baselineDir: run.baselineDir,
      currentDir: run.currentDir,
      pairs: entries,
    };
  }
}
